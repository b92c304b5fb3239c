"""A safe reader for small math expressions typed by students, such as ``(x + y) * z``.

The text is parsed with Python's :mod:`ast` and then checked against a whitelist
of node types, names and functions; it is never passed to ``eval`` or ``exec``.
Before ``ast.parse`` runs, the length, the characters and the nesting depth of
the brackets are checked, so hostile input (``__import__('os')``, ten thousand
nested brackets, ``9**9**9``) fails quickly with a :class:`LessonError`.

Full-width input from a Chinese keyboard and the signs × · ÷ − are first made
ASCII by :func:`cnnlab.text.normalize_text` (``（x＋y）×z`` reads as ``(x+y)*z``).

Grammar (Python syntax, with ``^`` accepted as a synonym of ``**``)::

    numbers        2, 0.5, 1e-3
    constants      pi, e
    variables      names such as x, y, w0, x_1 (a letter, then letters, digits, _)
    operators      +  -  *  /  **  (unary + and -)
    functions      exp log tanh sigmoid relu sqrt abs sin cos   (one argument)
                   max min                                       (two or more)

Exponents must be constant numbers with ``|p| <= 64`` (``x**2``, ``x**-1``,
``x**0.5``); ``2**x`` can be written ``exp(x*log(2))``.

The parsed expression is a small tree of tuples, shared by the evaluator here and
by the autograd engine (:func:`cnnlab.calculus.autograd.expression_graph`):

* ``("num", value)`` - a number or a named constant
* ``("var", name)`` - a variable
* ``(op, child, ...)`` - an operation; ``op`` is one of ``OPS``

Error codes (``LessonError.code``): ``expr_empty``, ``expr_too_long``,
``expr_bad_char``, ``expr_too_deep``, ``expr_syntax``, ``expr_unknown_name``,
``expr_unknown_function``, ``expr_unsupported``, ``expr_arity``,
``expr_exponent``, ``expr_too_many_variables``, ``expr_too_many_parts``,
``expr_function_needs_call``, ``expr_bad_name``, ``expr_arity_many``, ``expr_missing_value``,
``expr_bad_value``, ``expr_overflow``, ``expr_domain``.
"""

from __future__ import annotations

import ast
import math
import re

import numpy as np

from ..checks import LessonError
from ..text import normalize_text

MAX_LENGTH = 500          # characters
MAX_DEPTH = 40            # nesting of brackets
MAX_TREE_DEPTH = 100      # nesting of the parsed tree (a long sum is a deep tree)
MAX_EXPONENT = 64.0       # |p| in x**p
MAX_VARIABLES = 12
MAX_NODES = 200

CONSTANTS = {"pi": math.pi, "e": math.e}
UNARY = ("exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "sin", "cos")
NARY = ("max", "min")
FUNCTIONS = UNARY + NARY
BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
OPS = ("add", "sub", "mul", "div", "pow", "neg") + FUNCTIONS
SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−"}

# what a student wrote, in words (a ``term.*`` of the catalogs), for the node types the reader refuses
SYNTAX_TERMS = {"Attribute": "syntax_attribute", "IfExp": "syntax_if", "Compare": "syntax_compare",
                "BoolOp": "syntax_logic", "Not": "syntax_logic", "Invert": "syntax_logic",
                "Subscript": "syntax_index", "Slice": "syntax_index", "List": "syntax_collection",
                "Tuple": "syntax_collection", "Set": "syntax_collection", "Dict": "syntax_collection",
                "ListComp": "syntax_collection", "SetComp": "syntax_collection",
                "GeneratorExp": "syntax_collection", "DictComp": "syntax_collection",
                "Lambda": "syntax_lambda", "NamedExpr": "syntax_assign", "Starred": "syntax_keyword",
                "keyword": "syntax_keyword", "complex": "syntax_complex", "Mod": "syntax_operator",
                "FloorDiv": "syntax_operator", "MatMult": "syntax_operator", "BitOr": "syntax_operator",
                "BitAnd": "syntax_operator", "BitXor": "syntax_operator", "LShift": "syntax_operator",
                "RShift": "syntax_operator", "Call": "syntax_call"}
SYNTAX_WORDS = {"syntax_attribute": "a dot after a name (a.b)", "syntax_if": "if ... else",
                "syntax_compare": "a comparison (<, >, ==)", "syntax_logic": "and / or / not",
                "syntax_index": "square brackets (a[i])", "syntax_collection": "a list or tuple",
                "syntax_lambda": "lambda", "syntax_assign": "an assignment (:=)",
                "syntax_keyword": "named or starred arguments (f(a=1), *a)", "syntax_complex": "a complex number (1j)",
                "syntax_operator": "an operator other than + - * / ^", "syntax_call": "calling something that is "
                "not a function name", "syntax_other": "this kind of syntax"}


def _syntax(node_or_name):
    """The ``term.*`` name of a refused piece of syntax (``syntax_other`` if it has none)."""
    name = node_or_name if isinstance(node_or_name, str) else type(node_or_name).__name__
    if isinstance(node_or_name, (ast.UnaryOp, ast.BinOp)):
        name = type(node_or_name.op).__name__
    return SYNTAX_TERMS.get(name, "syntax_other")


def _unsupported(node_or_name, message=None):
    term = _syntax(node_or_name)
    return LessonError("expr_unsupported", message or f"{SYNTAX_WORDS[term]} is not allowed in an expression; "
                       "use numbers, variables, + - * / ^, brackets and the listed functions.", what=term)


_ALLOWED_CHARS = re.compile(r"[A-Za-z0-9_.+\-*/^(), \t\r\n]*")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}")


def _bracket_depth(text):
    """Deepest nesting of round brackets, without parsing (so it cannot recurse)."""
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def _depth(node, children, limit=None):
    """Depth of a tree walked with an explicit stack; stops early once deeper than ``limit``."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if limit is not None and d > limit:
            return d
        stack.extend((c, d + 1) for c in children(item))
    return deepest


def _tree_depth(node):
    """Depth of a tuple tree."""
    return _depth(node, lambda item: () if item[0] in ("num", "var") else item[1:])


def _ast_depth(node):
    """Depth of a Python syntax tree (before anything is built from it)."""
    return _depth(node, ast.iter_child_nodes, MAX_TREE_DEPTH * 3)


def _finite_number(value, text):
    try:
        value = float(value)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise LessonError("expr_overflow", f"The number {text} is too large.", detail=text)
    return value


class _Reader:
    """Turns a checked ``ast`` tree into the tuple tree, rejecting anything not whitelisted."""

    def __init__(self, allowed, source=""):
        self.allowed = allowed
        self.source = source
        self.names = set()
        self.nodes = 0

    def read(self, node):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise LessonError("expr_too_many_parts", "The expression has too many parts "
                              f"(at most {MAX_NODES}).", limit=MAX_NODES)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise _unsupported(type(node.value).__name__, "Only real numbers can appear as constants.")
            return ("num", _finite_number(node.value, self.source_of(node)))
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            child = self.read(node.operand)
            if isinstance(node.op, ast.UAdd):
                return child
            if child[0] == "num":
                return ("num", -child[1])
            return ("neg", child)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            op = BINARY[type(node.op)]
            left = self.read(node.left)
            if op == "pow":
                return ("pow", left, ("num", self.exponent(node.right)))
            return (op, left, self.read(node.right))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _unsupported(node)

    def source_of(self, node):
        return (ast.get_source_segment(self.source, node) or "")[:20]

    def name(self, name):
        if name in CONSTANTS:
            return ("num", CONSTANTS[name])
        if name in FUNCTIONS:
            raise LessonError("expr_function_needs_call", f"{name} is a function; write "
                              f"{name}(...).", name=name)
        if not _NAME.fullmatch(name):
            raise LessonError("expr_bad_name", f"The name {name[:20]} is not allowed: a "
                              "variable name starts with a letter and has at most 16 letters, "
                              "digits or _.", name=name[:20])
        if self.allowed is not None and name not in self.allowed:
            raise LessonError("expr_unknown_name", f"Unknown name {name}: the variables here are "
                              f"{', '.join(sorted(self.allowed))}.", name=name,
                              allowed=", ".join(sorted(self.allowed)))
        self.names.add(name)
        if len(self.names) > MAX_VARIABLES:
            raise LessonError("expr_too_many_variables", "The expression uses too many variables "
                              f"(at most {MAX_VARIABLES}).", limit=MAX_VARIABLES)
        return ("var", name)

    def exponent(self, node):
        sub = _Reader(frozenset(), self.source)
        try:
            tree = sub.read(node)
        except LessonError as exc:
            if exc.code in ("expr_unknown_name", "expr_too_many_variables"):
                raise LessonError("expr_exponent", "An exponent must be a constant number, such "
                                  "as x**2; write a**b with variable b as exp(b*log(a)).",
                                  limit=f"{MAX_EXPONENT:g}") from None
            raise
        if _tree_depth(tree) > 4:
            raise LessonError("expr_exponent", "An exponent must be a simple constant number.",
                              limit=f"{MAX_EXPONENT:g}")
        with np.errstate(all="ignore"):
            value = float(_evaluate(tree, {}))
        if not math.isfinite(value) or abs(value) > MAX_EXPONENT:
            raise LessonError("expr_exponent", "Exponents must be constant numbers between "
                              f"-{MAX_EXPONENT:g} and {MAX_EXPONENT:g}.", limit=f"{MAX_EXPONENT:g}")
        return value

    def call(self, node):
        if not isinstance(node.func, ast.Name):
            raise _unsupported("Call", "Only plain function names such as exp(x) can be called.")
        fname = node.func.id
        if fname not in FUNCTIONS:
            raise LessonError("expr_unknown_function", f"Unknown function {fname[:20]}; the "
                              f"functions are {', '.join(FUNCTIONS)}.", name=fname[:20],
                              allowed=", ".join(FUNCTIONS))
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _unsupported("keyword", f"{fname} takes plain arguments only.")
        args = [self.read(a) for a in node.args]
        if fname in UNARY and len(args) != 1:
            raise LessonError("expr_arity", f"{fname} takes exactly one argument, "
                              f"got {len(args)}.", name=fname, count=1, given=len(args))
        if fname in NARY and len(args) < 2:
            raise LessonError("expr_arity_many", f"{fname} takes two or more arguments, "
                              f"got {len(args)}.", name=fname, count=2, given=len(args))
        if fname in NARY:               # max(a, b, c) -> max(max(a, b), c)
            tree = (fname, args[0], args[1])
            for extra in args[2:]:
                tree = (fname, tree, extra)
            return tree
        return (fname, args[0])


def _sigmoid(a):
    a = np.asarray(a, dtype=float)
    return np.where(a >= 0, 1.0 / (1.0 + np.exp(-np.abs(a))),
                    np.exp(-np.abs(a)) / (1.0 + np.exp(-np.abs(a))))


# Forward rules for the evaluator, elementwise on floats or arrays.
_NUMPY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "pow": np.power, "neg": np.negative, "exp": np.exp, "log": np.log, "tanh": np.tanh,
    "sigmoid": _sigmoid, "relu": lambda a: np.maximum(a, 0.0), "sqrt": np.sqrt,
    "abs": np.abs, "sin": np.sin, "cos": np.cos, "max": np.maximum, "min": np.minimum,
}


def _evaluate(tree, values):
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "var":
        return values[tree[1]]
    return _NUMPY[kind](*(_evaluate(c, values) for c in tree[1:]))


def check_values(values, names):
    """Return ``{name: float or float ndarray}`` for every name, or raise ``LessonError``."""
    if not isinstance(values, dict):
        raise LessonError("expr_bad_value", "The values must be a mapping from variable names "
                          "to numbers.", name="values")
    out = {}
    for name in names:
        if name not in values:
            raise LessonError("expr_missing_value", f"No value given for the variable {name}.",
                              name=name)
        raw = values[name]
        if isinstance(raw, bool) or isinstance(raw, str):
            raise LessonError("expr_bad_value", f"The value of {name} must be a number.",
                              name=name)
        try:
            arr = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise LessonError("expr_bad_value", f"The value of {name} must be a number.",
                              name=name) from None
        if not np.all(np.isfinite(arr)):
            raise LessonError("expr_bad_value", f"The value of {name} must be a finite number.",
                              name=name)
        out[name] = float(arr) if arr.ndim == 0 else arr
    return out


class Expression:
    """A parsed, checked expression.

    Attributes
    ----------
    text : str, the text as typed
    tree : tuple tree (see the module docstring)
    variables : tuple of str, the variable names it uses, sorted
    """

    def __init__(self, text, tree, variables, allowed=None):
        self.text = text
        self.tree = tree
        self.variables = tuple(sorted(variables))
        # the names the caller declared (parse(..., variables=...)): a constant
        # expression evaluated on a grid still returns the grid's shape
        self._declared = tuple(sorted(allowed)) if allowed is not None else self.variables

    def __repr__(self):
        return f"Expression({self.text!r})"

    def evaluate(self, values):
        """Value of the expression.

        Parameters
        ----------
        values : dict name -> float or ndarray (arrays broadcast together, e.g. a
            contour grid ``{"x": X, "y": Y}`` with ``X, Y : (rows, cols)``)

        Returns
        -------
        float when every value is a scalar; otherwise a float ndarray of the
        broadcast shape, in which points where the expression is undefined or
        overflows are NaN or +-inf (not an error, so a contour grid can mask them).

        Raises
        ------
        LessonError ``expr_overflow`` (result infinite) or ``expr_domain`` (result
        NaN, e.g. ``log(-1)``) for scalar inputs; ``expr_missing_value`` /
        ``expr_bad_value`` for missing or non-finite inputs.
        """
        vals = check_values(values, self.variables)
        shapes = [np.shape(v) for v in vals.values()]
        shapes += [np.shape(values[k]) for k in self._declared
                   if k not in vals and k in values and not isinstance(values[k], str)]
        with np.errstate(all="ignore"):
            out = _evaluate(self.tree, vals)
        if np.ndim(out) == 0 and not any(shapes):
            out = float(out)
            if math.isnan(out):
                raise LessonError("expr_domain", "The expression is undefined at these values "
                                  "(for example log or sqrt of a negative number, or 0/0).")
            if math.isinf(out):
                raise LessonError("expr_overflow", "The result is too large to represent "
                                  "(overflow or division by zero).")
            return out
        shape = np.broadcast_shapes(*shapes)
        return np.broadcast_to(np.asarray(out, dtype=float), shape).copy()


def parse(text, variables=None):
    """Parse and check ``text``; never evaluates it with Python.

    Parameters
    ----------
    text : str, e.g. ``"(x + y) * z"``; ``^`` means ``**``
    variables : iterable of str or None. If given, only these names may appear
        (``expr_unknown_name`` otherwise); if None, any valid name is a variable.

    Returns
    -------
    Expression

    Raises
    ------
    LessonError (a ``ValueError``) with a code listed in the module docstring.
    """
    if not isinstance(text, str):
        raise LessonError("expr_syntax", "The expression must be text.", detail="")
    if len(text) > MAX_LENGTH:
        raise LessonError("expr_too_long", f"The expression is {len(text)} characters long; "
                          f"the limit is {MAX_LENGTH}.", length=len(text), limit=MAX_LENGTH)
    text = normalize_text(text)       # full width (（x＋y）×z) -> ASCII; may lengthen a few characters
    if len(text) > MAX_LENGTH:
        raise LessonError("expr_too_long", f"The expression is {len(text)} characters long; "
                          f"the limit is {MAX_LENGTH}.", length=len(text), limit=MAX_LENGTH)
    if not text.strip():
        raise LessonError("expr_empty", "Please type an expression, for example (x + y) * z.")
    bad = _ALLOWED_CHARS.sub("", text)
    if bad:
        char = bad[0] if bad[0].isprintable() and not bad[0].isspace() else f"U+{ord(bad[0]):04X}"
        raise LessonError("expr_bad_char", f"The character {char} is not allowed; use "
                          "letters, digits, + - * / ^ ( ) , and spaces.", char=char)
    if _bracket_depth(text) > MAX_DEPTH:
        raise LessonError("expr_too_deep", f"The brackets are nested more than {MAX_DEPTH} "
                          "deep.", limit=MAX_DEPTH)
    allowed = None if variables is None else frozenset(variables)
    source = text.replace("^", "**").strip()
    try:
        module = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = f" near column {exc.offset}" if exc.offset else ""
        raise LessonError("expr_syntax", f"This is not a valid expression{col}: "
                          f"{exc.msg}.", detail=exc.msg) from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise LessonError("expr_too_deep", "The expression is nested too deeply.",
                          limit=MAX_DEPTH) from None
    if _ast_depth(module.body) > MAX_TREE_DEPTH * 2:
        raise LessonError("expr_too_deep", "The expression is too long a chain or nested "
                          "too deeply.", limit=MAX_DEPTH)
    reader = _Reader(allowed, source)
    tree = reader.read(module.body)
    if _tree_depth(tree) > MAX_TREE_DEPTH:
        raise LessonError("expr_too_deep", "The expression is too long a chain or nested "
                          "too deeply.", limit=MAX_DEPTH)
    return Expression(text, tree, reader.names, allowed)


def to_text(tree):
    """Write a tuple tree back as text that :func:`parse` reads to the same tree."""
    kind = tree[0]
    if kind == "num":
        return repr(float(tree[1])) if tree[1] >= 0 else f"({tree[1]!r})"
    if kind == "var":
        return tree[1]
    args = [to_text(c) for c in tree[1:]]
    if kind == "neg":
        return f"(-{args[0]})"
    if kind in ("add", "sub", "mul", "div", "pow"):
        sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}[kind]
        return f"({args[0]} {sym} {args[1]})"
    return f"{kind}({', '.join(args)})"
