"""A scalar reverse-mode autograd engine, small enough to read in one sitting.

Each :class:`Value` remembers the nodes it was computed from and, computed right
beside its forward rule, the *local* derivative of its output with respect to
each input. :meth:`Value.backward` then applies the chain rule in reverse
topological order::

    child.grad += node.grad * local        # upstream x local = passed down

A node used twice receives two contributions, which add up. ``backward`` starts
by setting every gradient in the graph to zero, so calling it twice gives the
same gradients, never doubled ones.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import LessonError
from .expr import Expression, check_values, parse, to_text
from .gradcheck import numerical_gradient, relative_error


def _check(value, op):
    if not math.isfinite(value):
        code = "expr_domain" if math.isnan(value) else "expr_overflow"
        raise LessonError(code, f"{op} gives a value that is not a finite number here.", op=op)
    return value


class Value:
    """One scalar node of a computational graph.

    Attributes
    ----------
    data : float, the value from the forward pass
    grad : float, d(root)/d(this node) after ``root.backward()``
    children : tuple of Value, the inputs of the operation
    local : tuple of float, d(this)/d(child) for each child
    op : str, the operation ("" for an input, "const" for a number)
    label : str, a name for drawing
    """

    __slots__ = ("data", "grad", "children", "local", "op", "label")

    def __init__(self, data, children=(), local=(), op="", label=""):
        self.data = _check(float(data), op or "input")
        self.grad = 0.0
        self.children = tuple(children)
        self.local = tuple(float(v) for v in local)
        self.op = op
        self.label = label

    def __repr__(self):
        return f"Value({self.label or self.op or 'input'}: data={self.data:g}, grad={self.grad:g})"

    @staticmethod
    def _lift(other):
        return other if isinstance(other, Value) else Value(other, op="const", label=f"{other:g}")

    # ---- forward rules, each with its local derivatives ----------------------
    def __add__(self, other):
        other = self._lift(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "add")

    def __sub__(self, other):
        other = self._lift(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0), "sub")

    def __mul__(self, other):
        other = self._lift(other)                        # d(ab)/da = b, d(ab)/db = a
        return Value(self.data * other.data, (self, other), (other.data, self.data), "mul")

    def __truediv__(self, other):
        other = self._lift(other)
        if other.data == 0:
            raise LessonError("expr_overflow", "Division by zero.", op="div")
        a, b = self.data, other.data                     # d(a/b)/da = 1/b, d/db = -a/b^2
        return Value(a / b, (self, other), (1.0 / b, -a / (b * b)), "div")

    def __pow__(self, p):
        if isinstance(p, Value):
            raise LessonError("expr_exponent", "Exponents must be constant numbers.", limit="64")
        p = float(p)
        try:
            out = self.data ** p
            local = p * self.data ** (p - 1.0) if p != 0 else 0.0
        except (ZeroDivisionError, OverflowError):
            raise LessonError("expr_overflow", "The power is too large or divides by zero.",
                              op="pow") from None
        if isinstance(out, complex) or isinstance(local, complex):
            raise LessonError("expr_domain", "A negative number cannot be raised to a "
                              "fractional power.", op="pow")
        return Value(out, (self,), (_check(local, "pow"),), "pow", label=f"^{p:g}")

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,), "neg")

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def exp(self):
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise LessonError("expr_overflow", "exp overflows here.", op="exp") from None
        return Value(out, (self,), (out,), "exp")         # d(e^a)/da = e^a

    def log(self):
        if self.data <= 0:
            raise LessonError("expr_domain", "log needs a positive number.", op="log")
        return Value(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):
        a = self.data
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        return Value(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self):                                      # the gradient stops when off
        on = self.data > 0
        return Value(self.data if on else 0.0, (self,), (1.0 if on else 0.0,), "relu")

    def max(self, other):                                # routes the gradient to the larger
        other = self._lift(other)                        # input (the first one on a tie)
        first = self.data >= other.data
        return Value(max(self.data, other.data), (self, other),
                     (1.0, 0.0) if first else (0.0, 1.0), "max")

    def min(self, other):
        other = self._lift(other)
        first = self.data <= other.data
        return Value(min(self.data, other.data), (self, other),
                     (1.0, 0.0) if first else (0.0, 1.0), "min")

    def abs(self):
        return Value(abs(self.data), (self,), (1.0 if self.data >= 0 else -1.0,), "abs")

    def sqrt(self):
        if self.data < 0:
            raise LessonError("expr_domain", "sqrt needs a number >= 0.", op="sqrt")
        r = math.sqrt(self.data)
        if r == 0:
            raise LessonError("expr_overflow", "The slope of sqrt at 0 is infinite.", op="sqrt")
        return Value(r, (self,), (0.5 / r,), "sqrt")

    def sin(self):
        return Value(math.sin(self.data), (self,), (math.cos(self.data),), "sin")

    def cos(self):
        return Value(math.cos(self.data), (self,), (-math.sin(self.data),), "cos")

    # ---- backward ------------------------------------------------------------
    def topological_order(self):
        """Every node of the graph, each after all of its children (iterative DFS)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children) if id(c) not in seen)
        return order

    def backward(self):
        """Fill ``grad`` of every node with d(self)/d(node).

        All gradients in the graph are reset to 0 first, so a second call gives the
        same numbers (gradients never silently double).
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):                     # reverse topological order
            for child, local in zip(node.children, node.local):
                child.grad += node.grad * local          # chain rule; += for reuse
        return self


def build_graph(tree, values):
    """Build the graph of an expression tree (see :mod:`cnnlab.calculus.expr`).

    Returns ``(root, leaves)`` with one leaf Value per variable name.
    """
    leaves = {name: Value(v, op="", label=name) for name, v in values.items()}

    def build(node):
        kind = node[0]
        if kind == "num":
            return Value(node[1], op="const", label=f"{node[1]:.4g}")
        if kind == "var":
            return leaves[node[1]]
        if kind == "pow":
            return build(node[1]) ** node[2][1]
        args = [build(c) for c in node[1:]]
        if kind == "neg":
            return -args[0]
        if kind in ("add", "sub", "mul", "div"):
            a, b = args
            return {"add": a.__add__, "sub": a.__sub__, "mul": a.__mul__,
                    "div": a.__truediv__}[kind](b)
        if kind in ("max", "min"):
            return getattr(args[0], kind)(args[1])
        return getattr(args[0], kind)()

    return build(tree), leaves


def _parsed(expression):
    return expression if isinstance(expression, Expression) else parse(expression)


def expression_graph(expr, values):
    """The autograd graph of a parsed expression at ``values``.

    Returns
    -------
    root : Value, the output node
    leaves : dict name -> Value, one leaf per variable (a variable used twice
        is one node with two outgoing edges, so its gradients add)
    """
    vals = check_values(values, expr.variables)
    for name, v in vals.items():
        if np.ndim(v):
            raise LessonError("expr_bad_value", f"The value of {name} must be a single "
                              "number here.", name=name)
    return build_graph(expr.tree, vals)


def _graph(expression, values):
    expr = _parsed(expression)
    if not isinstance(values, dict):
        raise LessonError("expr_bad_value", "The values must be a mapping from variable names "
                          "to numbers.", name="values")
    root, leaves = expression_graph(expr, values)
    return expr, root, leaves


def gradients(expression, values):
    """Value and gradient of an expression typed as text.

    Parameters
    ----------
    expression : str, e.g. ``"(x + y) * z"`` (see :mod:`cnnlab.calculus.expr`), or an Expression
    values : dict name -> float, a value for every variable

    Returns
    -------
    value : float
    grads : dict name -> float, d(expression)/d(name) for every variable it uses,
        and 0.0 for any extra name given in ``values``

    Raises
    ------
    ValueError (``LessonError``) for invalid or hostile expressions and bad values.

    Examples
    --------
    >>> gradients("(x + y) * z", {"x": -2, "y": 5, "z": -4})
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
    """
    expr, root, leaves = _graph(expression, values)
    root.backward()
    grads = {name: leaves[name].grad for name in expr.variables}
    for name in values:
        grads.setdefault(name, 0.0)
    return root.data, grads


def numerical_gradients(expression, values, h=1e-5):
    """Central differences ``(f(v + h) - f(v - h)) / 2h`` for every variable
    (:func:`cnnlab.calculus.gradcheck.numerical_gradient`, one variable at a time).

    Costs two evaluations per variable and is only approximate (error ~ h^2, and
    wrong next to a kink such as relu(0) or a tie in max).
    """
    expr = _parsed(expression)
    grads = {}
    for name in expr.variables:
        cell = np.array([float(values[name])])
        point = dict(values)

        def loss(name=name, cell=cell, point=point):
            point[name] = float(cell[0])
            return expr.evaluate(point)

        grads[name] = float(numerical_gradient(loss, cell, h)[0])
    return grads


def gradient_check(expression, values, h=1e-5):
    """Rows ``{"name", "analytic", "numerical", "rel_error"}``, one per variable."""
    _, grads = gradients(expression, values)
    numerical = numerical_gradients(expression, values, h)
    return [{"name": n, "analytic": grads[n], "numerical": numerical[n],
             "rel_error": relative_error(grads[n], numerical[n])} for n in numerical]


def trace(root, run_backward=True):
    """The graph of ``root`` as data, with the order of the forward and backward steps.

    Parameters
    ----------
    root : Value
    run_backward : bool, call ``root.backward()`` first (gradients are reset, not doubled)

    Returns
    -------
    dict with
      ``nodes`` : list of dicts ``{id, op, label, value, grad, kind}``, in forward
          (topological) order; ``kind`` is "input", "const" or "op"
      ``edges`` : list of ``(child_id, parent_id, local)``
      ``forward`` : list of node ids, the order of the forward pass
      ``backward`` : list of steps ``{node, child, upstream, local, product, grad_after}``
          in reverse topological order: ``product = upstream * local`` is added to the
          child's gradient, which is then ``grad_after``
      ``root`` : id of the output node
    """
    if run_backward:
        root.backward()
    order = root.topological_order()
    ids = {id(n): i for i, n in enumerate(order)}
    nodes = [{"id": ids[id(n)], "op": n.op, "label": n.label or n.op, "value": n.data,
              "grad": n.grad, "kind": "op" if n.children else ("const" if n.op == "const"
                                                                else "input")}
             for n in order]
    edges = [(ids[id(c)], ids[id(n)], loc) for n in order for c, loc in zip(n.children, n.local)]
    running = {i: 0.0 for i in range(len(order))}
    running[ids[id(root)]] = 1.0
    steps = []
    for n in reversed(order):
        for c, loc in zip(n.children, n.local):
            product = n.grad * loc
            running[ids[id(c)]] += product
            steps.append({"node": ids[id(n)], "child": ids[id(c)], "upstream": n.grad,
                          "local": loc, "product": product, "grad_after": running[ids[id(c)]]})
    return {"nodes": nodes, "edges": edges, "forward": list(range(len(order))),
            "backward": steps, "root": ids[id(root)]}


def expression_trace(expression, values):
    """Parse, build, run backward and :func:`trace` in one call (what the lesson shows)."""
    _, root, _ = _graph(expression, values)
    return trace(root)


__all__ = ["Value", "build_graph", "gradients", "numerical_gradients", "relative_error",
           "gradient_check", "trace", "expression_trace", "to_text"]
