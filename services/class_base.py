"""The class store's interface and its data: what a class is (:class:`ClassInfo`), the limits, the errors
a request can get, and :class:`ClassStore`, the interface both backends implement
(``services/class_sqlite.py``, ``services/class_redis.py``; ``services/class_store.py`` opens one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import unicodedata
from dataclasses import dataclass

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # 32 symbols, no 0/O, 1/I
CODE_LENGTH = 6
CLASS_TTL = 4 * 3600          # seconds a class lives after it starts
NAME_MAX = 24                 # characters of a display name
MAX_MEMBERS = 500
JOIN_LIMIT = (10, 60)         # at most 10 join attempts per browser session per 60 s
IP_JOIN_LIMIT = (150, 60)     # and 150 per address (a whole class may sit behind one school NAT)
ANSWER_LIMIT = (30, 60)       # at most 30 answers per member per 60 s
QUESTION_MAX = 8000           # bytes of a question's JSON
VIEW_MAX = 4000               # bytes of a view's JSON


class StoreError(Exception):
    """A request the store refuses; ``code`` is the catalog suffix ``class.err_<code>``."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Forbidden(StoreError):
    def __init__(self):
        super().__init__("forbidden", "only the teacher's link can do this")


class NotFound(StoreError):
    def __init__(self):
        super().__init__("not_found", "no open class with this code")


class RateLimited(StoreError):
    def __init__(self):
        super().__init__("rate_limited", "too many attempts; wait a minute")


@dataclass(frozen=True)
class ClassInfo:
    """What anyone in the class may know about it (no secret, no names)."""

    code: str
    created: float
    expires: float
    closed: bool
    view: dict | None          # {"page": url_path, "params": {...}} or None
    view_version: int
    qnum: int                  # 0: no question asked yet
    question: dict | None      # Question.to_dict() of question ``qnum``
    revealed: bool
    members: int

    @property
    def open(self):
        return not self.closed and self.expires > time.time()


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text):
    """What a student typed -> a code to look up (upper case, no spaces or dashes), or ''."""
    text = "".join(str(text or "").split()).replace("-", "").upper()[:CODE_LENGTH + 2]
    return text if len(text) == CODE_LENGTH and all(c in ALPHABET for c in text) else ""


def clean_name(text):
    """A display name: printable characters only, trimmed, at most ``NAME_MAX`` characters."""
    text = "".join(c for c in str(text or "") if unicodedata.category(c)[0] not in "CZ" or c == " ")
    return " ".join(text.split())[:NAME_MAX]


def hash_secret(secret):
    return hashlib.sha256(str(secret).encode()).hexdigest()


def _same(stored_hash, secret):
    return bool(stored_hash) and secret is not None and hmac.compare_digest(stored_hash, hash_secret(secret))


def _dumps(obj, limit):
    raw = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    if len(raw.encode()) > limit:
        raise StoreError("too_large", "too much data")
    return raw


class ClassStore:
    """The interface both backends implement (see the module docstring)."""

    def create_class(self):
        """Start a class: returns ``(code, secret)``; the secret goes only into the teacher's link."""
        raise NotImplementedError

    def info(self, code) -> ClassInfo | None:
        """The class ``code`` (None when unknown or expired; a closed class is returned closed)."""
        raise NotImplementedError

    def is_teacher(self, code, secret) -> bool:
        raise NotImplementedError

    def join(self, code, member, name="", client="", ip="") -> ClassInfo:
        """Add ``member`` (an opaque id) to an open class; rate-limited per ``client`` and per ``ip``.

        Every attempt counts, right code or wrong: guessing codes is limited to
        ``JOIN_LIMIT`` per session and ``IP_JOIN_LIMIT`` per address.
        """
        raise NotImplementedError

    def is_member(self, code, member) -> bool:
        """Whether ``member`` joined the open class ``code`` (a reconnecting student keeps their place)."""
        raise NotImplementedError

    def set_view(self, code, secret, view) -> int:
        """The teacher shows ``view`` to everyone; returns the new view version."""
        raise NotImplementedError

    def ask(self, code, secret, question) -> int:
        """Open ``question`` (a dict) as the class's current question; returns its number."""
        raise NotImplementedError

    def answer(self, code, member, qnum, response) -> bool:
        """Record (or change) ``member``'s answer to question ``qnum``; False once revealed/closed."""
        raise NotImplementedError

    def my_answer(self, code, member, qnum):
        raise NotImplementedError

    def answer_count(self, code, qnum) -> int:
        raise NotImplementedError

    def responses(self, code, secret, qnum) -> list:
        """Every answer to ``qnum`` (anonymous, in no particular order); teacher only."""
        raise NotImplementedError

    def names(self, code, secret) -> list:
        """The members' display names (sorted); teacher only."""
        raise NotImplementedError

    def reveal(self, code, secret, qnum) -> None:
        raise NotImplementedError

    def close(self, code, secret) -> None:
        raise NotImplementedError

    def purge(self, now=None) -> int:
        """Delete expired classes; returns how many went."""
        raise NotImplementedError

    # helpers shared by both backends ------------------------------------
    def _check_join(self, info, member, name):
        if info is None or not info.open:
            raise NotFound()
        if not member or len(str(member)) > 64:
            raise StoreError("bad_member", "bad member id")
        return clean_name(name)
