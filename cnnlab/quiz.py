"""Predict-then-reveal questions: a pure model, grading and the class's answer distribution.

A :class:`Question` holds catalog keys (never text), the numbers that fill
them, the right answer and how close counts as right. It is plain data: a
lesson builds it from its current settings with ``cnnlab`` computing the
answer, the class store keeps it as JSON (:meth:`Question.to_dict`), and any
screen in any language shows it. Two kinds:

- **numeric**: the answer is a number; a response within ``tolerance``
  (absolute) of it is right. ``tolerance=0`` asks for the exact integer.
- **choice**: ``choices`` are catalog keys (or literal labels such as
  ``"(1, 2)"``); the answer is the index of the right one.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from cnnlab.checks import LessonError

KINDS = ("numeric", "choice")
MAX_ABS = 1e12            # a numeric response beyond this is refused, not stored
MAX_TEXT = 40             # characters of a typed number
MAX_BARS = 8              # bars of a numeric distribution (the rest is "other")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")


@dataclass(frozen=True)
class Question:
    """One question about the lesson's live picture.

    Attributes
    ----------
    qid : str, stable id inside the lesson, e.g. ``"conv.out_side"``
    prompt : str, catalog key of the question, formatted with ``params``
    params : tuple of (name, value) pairs (numbers or short strings)
    answer : float (numeric) or int (index into ``choices``)
    choices : tuple of str, empty for a numeric question
    tolerance : float, absolute tolerance of a numeric answer
    explanation : str, catalog key shown after the answer, formatted with ``params``
    """

    qid: str
    prompt: str
    params: tuple = ()
    answer: float = 0.0
    choices: tuple = ()
    tolerance: float = 0.0
    explanation: str = ""
    kind: str = field(default="numeric")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "choice":
            if len(self.choices) < 2:
                raise ValueError("a choice question needs at least two choices")
            if not (isinstance(self.answer, int) and 0 <= self.answer < len(self.choices)):
                raise ValueError(f"answer must index the choices, got {self.answer!r}")
        else:
            if not math.isfinite(float(self.answer)):
                raise ValueError("a numeric answer must be finite")
            if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
                raise ValueError("tolerance must be a finite number >= 0")

    @property
    def values(self):
        """``params`` as a dict (for formatting the prompt and explanation)."""
        return dict(self.params)

    def key(self):
        """A short fingerprint: the same question built from the same settings has the same key."""
        raw = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def to_dict(self):
        return {"qid": self.qid, "prompt": self.prompt, "params": [list(p) for p in self.params],
                "answer": self.answer, "choices": list(self.choices), "tolerance": self.tolerance,
                "explanation": self.explanation, "kind": self.kind}

    @classmethod
    def from_dict(cls, d):
        """Rebuild from :meth:`to_dict` output (e.g. read back from the class store)."""
        kind = d.get("kind", "numeric")
        answer = int(d["answer"]) if kind == "choice" else float(d["answer"])
        params = tuple((str(k), v) for k, v in d.get("params", ()))
        return cls(str(d["qid"]), str(d["prompt"]), params, answer, tuple(d.get("choices", ())),
                   float(d.get("tolerance", 0.0)), str(d.get("explanation", "")), kind)


def _params(params):
    out = []
    for name, value in sorted(params.items()):
        if isinstance(value, bool):
            value = int(value)
        out.append((name, value))
    return tuple(out)


def numeric(qid, prompt, answer, explanation, tolerance=0.0, **params):
    """A numeric question whose right answer is ``answer`` (computed by the caller with ``cnnlab``)."""
    answer = float(answer)
    return Question(qid, prompt, _params(params), answer, (), float(tolerance), explanation, "numeric")


def choice(qid, prompt, choices, answer, explanation, **params):
    """A multiple-choice question; ``answer`` is the index of the right entry of ``choices``."""
    return Question(qid, prompt, _params(params), int(answer), tuple(choices), 0.0, explanation, "choice")


def parse_response(question, raw):
    """A student's response as the stored value: float (numeric) or int (choice index).

    Raises :class:`~cnnlab.checks.LessonError` (``quiz_not_a_number`` /
    ``quiz_bad_choice``) for anything else; never evaluates the text.
    """
    if question.kind == "choice":
        try:
            index = int(raw)
        except (TypeError, ValueError):
            raise LessonError("quiz_bad_choice", "choose one of the answers.") from None
        if isinstance(raw, float) and not raw.is_integer() or not 0 <= index < len(question.choices):
            raise LessonError("quiz_bad_choice", "choose one of the answers.")
        return index
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    else:
        text = str(raw).strip().replace(",", ".").replace("\u2212", "-")[:MAX_TEXT + 1]
        if len(text) > MAX_TEXT or not _NUMBER.match(text):
            raise LessonError("quiz_not_a_number", "type a number, for example 5 or 2.5.")
        value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_ABS:
        raise LessonError("quiz_not_a_number", "type a number, for example 5 or 2.5.")
    return value


def is_correct(question, response):
    """Whether a parsed response (see :func:`parse_response`) is right."""
    if question.kind == "choice":
        return int(response) == question.answer
    # a hair of slack so 0.1 + 0.2 typed as 0.3 counts when the tolerance is 0
    slack = question.tolerance + 1e-9 * max(1.0, abs(question.answer))
    return abs(float(response) - question.answer) <= slack


def grade(question, raw):
    """Parse and grade in one step: ``(response, correct)``."""
    response = parse_response(question, raw)
    return response, is_correct(question, response)


@dataclass(frozen=True)
class Distribution:
    """How a class answered, without names.

    ``bars`` is a list of ``(label, count, is_right)``: one per choice for a
    choice question (label = choice index), or the most frequent values of a
    numeric question (label = the value) with the rest folded into one
    ``("other", n, False)`` bar. ``correct`` counts right answers.
    """

    total: int
    correct: int
    bars: tuple


def _value_label(v):
    return int(v) if float(v).is_integer() else round(float(v), 6)


def distribution(question, responses):
    """The :class:`Distribution` of parsed responses (an iterable of floats or choice indices)."""
    responses = list(responses)
    correct = sum(1 for r in responses if is_correct(question, r))
    if question.kind == "choice":
        counts = Counter(int(r) for r in responses)
        bars = tuple((i, counts.get(i, 0), i == question.answer) for i in range(len(question.choices)))
        return Distribution(len(responses), correct, bars)
    counts = Counter(_value_label(r) for r in responses)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top, rest = ranked[:MAX_BARS], ranked[MAX_BARS:]
    bars = [(v, n, is_correct(question, v)) for v, n in sorted(top)]
    if rest:
        bars.append(("other", sum(n for _, n in rest), False))
    return Distribution(len(responses), correct, tuple(bars))


def settings_with_defaults(settings, defaults):
    """``defaults`` overridden by the entries of ``settings`` that it names (e.g. a lesson's URL values)."""
    out = dict(defaults)
    for name, value in dict(settings or {}).items():
        if name in defaults and value is not None:
            out[name] = value
    return out


def clamp_int(value, lo, hi, default):
    """``value`` as an int in ``lo..hi`` (``default`` when it is not a number)."""
    try:
        v = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default
    return min(max(v, lo), hi)
