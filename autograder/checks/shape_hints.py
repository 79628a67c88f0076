"""NumPy's operand-shape errors explained in the exercise's own names.

A student's line ``dX = dZ @ W.T`` fails with NumPy's "matmul: Input operand 1 has a mismatch in its
core dimension 0 ... (size 3 is different from 4)", which names neither an array nor a formula.
:func:`shape_hint` reads the student's line (the ``line`` of :func:`autograder.checks.runner.error_info`),
works out the shapes of the names it can know from the case (the exercise's arguments, the parts of
a ``cache``, ``W1, b1, ...`` of ``params``), and finds the operation that fails. It says something
only when that is certain: the shapes it computed reproduce NumPy's own numbers exactly, or the line
holds a single operation of the failing kind (then the shapes come from NumPy's message). Then it
names the operands with their shapes and, where the statement has a formula for what the line
computes (the name assigned, the place in the returned tuple), that formula with the case's shapes:

    you multiplied dZ (2, 4) by W.T (3, 4): the 4 columns of the left factor must match the 3 rows
    of the right one; the statement's dX = dZ @ W: dZ (2, 4) @ W (4, 3) gives (2, 3)

Nothing here runs student code: the line is parsed with :mod:`ast`, never executed.
"""

from __future__ import annotations

import ast
import re

import numpy as np

__all__ = ["OUTPUTS", "STEPS", "column_vector_note", "onehot_note", "shape_hint"]

#: names of the parts of a tuple argument (as the statements name them)
_PARTS = {("dense_backward", "cache"): ("X", "W"), ("activation_backward", "cache"): ("Z", None)}

#: the outputs of each exercise, in the order it returns them
OUTPUTS = {
    "dense_forward": ("Z", None),
    "dense_backward": ("dX", "dW", "db"),
    "neuron_sgd_step": ("w", "b"),
    "hinge_sgd_update": ("w", "b"),
    "softmax_cross_entropy": ("loss", "dZ"),
    "perceptron_predict": ("predictions",),
    "neuron_forward": ("f",),
    "activation_backward": ("dZ",),
    "bump_forward": ("y",),
}

#: exercise -> [(what it computes, the statement's formula as code, how to show it)]; a formula's
#: shapes are worked out from the case. ``None`` as code: shown without shapes.
STEPS = {
    "perceptron_predict": [("predictions", "X @ w + b", "b + X @ w")],
    "neuron_forward": [("f", "X @ w + b", "f = sigmoid(X @ w + b)")],
    "dense_forward": [("Z", "X @ W.T + b", "Z = X @ W.T + b")],
    "dense_backward": [("dX", "dZ @ W", "dX = dZ @ W"), ("dW", "dZ.T @ X", "dW = dZ.T @ X"),
                       ("db", "dZ.sum(axis=0)", "db = dZ.sum(axis=0)")],
    "activation_backward": [("dZ", None, "dZ = dA * g'(Z): * multiplies entry by entry, so dZ has "
                             "the shape of dA")],
    "bump_forward": [("y", "X @ W1.T + b1", "y = sigmoid(X @ W1.T + b1) @ W2.T + b2")],
    "mlp_forward": [("Z", None, "Z = A @ W.T + b, with W (n_out, n_in)")],
    "mlp_loss_and_grads": [("delta", None, "delta_(l-1) = (delta_l @ W_l) * g'(Z_(l-1)), with "
                            "W_l (n_l, n_(l-1)) as it is"),
                           ("dW", None, "dW_l = delta_l.T @ A_(l-1)")],
    "softmax": [("P", None, "exp(Z - max) / sum(exp(Z - max)), the max and the sum over "
                 "axis=1 with keepdims=True")],
    "log_softmax": [("log_p", None, "Z - max - log(sum(exp(Z - max))), the max and the sum over "
                     "axis=1 with keepdims=True")],
    "softmax_cross_entropy": [("dZ", None, "dZ = (softmax(Z) - onehot(y)) / N, onehot(y) (N, K)")],
    "neuron_sgd_step": [("z", "x @ w + b", "z = w . x + b")],
    "hinge_sgd_update": [("z", "w @ x + b", "z = w . x + b")],
}

_REDUCE = ("sum", "mean", "max", "min", "prod")
_ELEMENTWISE = ("exp", "log", "tanh", "abs", "sqrt", "square", "negative", "sign", "log1p", "expm1")
_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)


class _Mismatch(Exception):
    """A fully known operation whose shapes NumPy refuses."""

    def __init__(self, kind, node, left, right, shapes):
        super().__init__(kind)
        self.kind, self.node, self.left, self.right, self.shapes = kind, node, left, right, shapes


def _known(name, case) -> dict:
    """name -> shape for every array of the case whose name the student is likely to use."""
    out = {}
    for arg, value in zip(case.names, case.args, strict=False):
        if isinstance(value, np.ndarray):
            out[arg] = value.shape
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[arg] = ()
        elif isinstance(value, tuple):
            for part, v in zip(_PARTS.get((name, arg), ()), value, strict=False):
                if part and isinstance(v, np.ndarray):
                    out[part] = v.shape
        elif isinstance(value, list) and value and all(
                isinstance(v, tuple) and len(v) == 2 for v in value):
            for i, (W, b) in enumerate(value):
                out[f"W{i + 1}"], out[f"b{i + 1}"] = np.shape(W), np.shape(b)
    return out


def _np(func) -> str | None:
    """'exp' for np.exp / numpy.exp, else None."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id in ("np", "numpy"):
        return func.attr
    return None


def _broadcast(a, b):
    out = []
    for x, y in zip(a[::-1] + (1,) * (len(b) - len(a)), b[::-1] + (1,) * (len(a) - len(b)),
                    strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y) if 1 in (x, y) else x)
    return tuple(out[::-1])


def _matmul(a, b):
    if not a or not b or len(a) > 2 or len(b) > 2:
        return "unknown"
    k_left, k_right = a[-1], (b[0] if len(b) == 1 else b[-2])
    if k_left != k_right:
        return None
    return a[:-1] + b[1:] if len(b) == 2 else a[:-1]


def _keywords(node):
    return {k.arg: k.value for k in node.keywords if k.arg}


def _reduced(shape, node, args):
    kw = _keywords(node)
    axis = kw.get("axis", args[0] if args else None)
    keep = kw.get("keepdims")
    keep = isinstance(keep, ast.Constant) and keep.value is True
    if axis is None:
        return (1,) * len(shape) if keep else ()
    if not isinstance(axis, ast.Constant | ast.UnaryOp):
        return None
    try:
        ax = int(ast.literal_eval(axis))
    except (ValueError, TypeError):
        return None
    if not -len(shape) <= ax < len(shape):
        return None
    ax %= len(shape)
    return shape[:ax] + ((1,) if keep else ()) + shape[ax + 1:]


class _Shapes:
    """Shapes of the expressions of one line, from the names the case knows."""

    def __init__(self, known):
        self.known = known
        self.ops = []   # (kind, node, left shape, right shape) of every operation that can fail

    def of(self, node):
        """The shape of ``node`` (a tuple), or None if unknown; raises _Mismatch."""
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            for child in ast.iter_child_nodes(node):
                self.of(child)
            return None
        return method(node)

    def _Name(self, node):
        return self.known.get(node.id)

    def _Constant(self, node):
        return () if isinstance(node.value, int | float) and not isinstance(node.value, bool) else None

    def _Attribute(self, node):
        shape = self.of(node.value)
        return shape[::-1] if node.attr == "T" and shape is not None else None

    def _UnaryOp(self, node):
        return self.of(node.operand)

    def _BinOp(self, node):
        a, b = self.of(node.left), self.of(node.right)
        if isinstance(node.op, ast.MatMult):
            self.ops.append(("matmul", node, a, b))
            return self._product(node, a, b)
        if isinstance(node.op, _ARITH):
            self.ops.append(("broadcast", node, a, b))
            if a is None or b is None:
                return None
            out = _broadcast(a, b)
            if out is None:
                raise _Mismatch("broadcast", node, node.left, node.right, (a, b))
            return out
        return None

    def _Compare(self, node):
        shapes = [self.of(node.left)] + [self.of(c) for c in node.comparators]
        if len(shapes) == 2:
            self.ops.append(("broadcast", node, *shapes))
        if len(shapes) == 2 and None not in shapes:
            out = _broadcast(*shapes)
            if out is None:
                raise _Mismatch("broadcast", node, node.left, node.comparators[0], tuple(shapes))
            return out
        return None

    def _product(self, node, a, b, kind="matmul"):
        left, right = (node.left, node.right) if isinstance(node, ast.BinOp) else node.args[:2]
        if a is None or b is None:
            return None
        out = _matmul(a, b)
        if out is None:
            raise _Mismatch(kind, node, left, right, (a, b))
        return None if out == "unknown" else out

    def _Call(self, node):
        fn = _np(node.func)
        args = [self.of(a) for a in node.args]
        for k in node.keywords:
            self.of(k.value)
        if fn in ("dot", "matmul") and len(node.args) == 2:
            self.ops.append((fn if fn == "dot" else "matmul", node, args[0], args[1]))
            return self._product(node, args[0], args[1], fn if fn == "dot" else "matmul")
        if fn in _ELEMENTWISE and len(args) == 1:
            return args[0]
        if fn in _REDUCE and args and args[0] is not None:
            return _reduced(args[0], node, node.args[1:])
        if isinstance(node.func, ast.Attribute) and node.func.attr in _REDUCE and not fn:
            shape = self.of(node.func.value)
            return None if shape is None else _reduced(shape, node, node.args)
        if isinstance(node.func, ast.Attribute) and not fn:
            self.of(node.func.value)
        return None


def _parse(line: str):
    text = line.strip().rstrip(":")
    for candidate in (text, text.rstrip(",") + ")", text + ")"):
        try:
            return ast.parse(candidate)
        except SyntaxError:
            continue
    return None


_INTS = r"\(([\d, ]*)\)"


def _message_shapes(message: str):
    """(kind, numbers) from NumPy's message: matmul -> (right rows, left columns); dot and
    broadcast -> the operands' shapes."""
    m = re.search(r"matmul: Input operand 1 has a mismatch in its core dimension 0.*"
                  r"\(size (\d+) is different from (\d+)\)", message)
    if m:
        return "matmul", (int(m.group(1)), int(m.group(2)))
    m = re.search(rf"shapes {_INTS} and {_INTS} not aligned", message)
    if m:
        return "dot", tuple(_ints(g) for g in m.groups())
    m = re.search(r"operands could not be broadcast together with (?:remapped )?shapes "
                  r"((?:\([\d, ]*\)\s*)+)", message)
    if m:
        return "broadcast", tuple(_ints(g) for g in re.findall(_INTS, m.group(1)))
    return None, None


def _ints(text: str) -> tuple:
    return tuple(int(t) for t in text.replace(" ", "").split(",") if t)


def _n(k, word) -> str:
    if k == 1:
        return f"{k} {word}"
    return f"{k} {word[:-1]}ies" if word.endswith("y") else f"{k} {word}s"


def column_vector_note(message: str) -> str:
    """For an error message that names a column (n, 1) and a vector (n,) of the same length."""
    shapes = [_ints(g) for g in re.findall(_INTS, message)]
    for a in shapes:
        for b in shapes:
            if len(a) == 2 and a[1] == 1 and b == (a[0],):
                return (f"a column {_shape_text(a)} meets a vector {_shape_text(b)}: give the two the "
                        "same shape (.reshape(-1, 1) makes a column; [:, 0] or .ravel() a vector)")
    return ""


def _shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _agrees(kind, numbers, mismatch) -> bool:
    if kind != mismatch.kind:
        return False
    a, b = mismatch.shapes
    if kind == "matmul":
        return numbers == ((b[0] if len(b) == 1 else b[-2]), a[-1])
    return tuple(numbers[:2]) == (a, b)


def _sentence(kind, numbers, lt, rt, ls, rs):
    if kind in ("matmul", "dot"):
        if ls is not None and rs is not None:
            cols, rows = ls[-1], (rs[0] if len(rs) == 1 else rs[-2])
            return (f"you multiplied {lt} {_shape_text(ls)} by {rt} {_shape_text(rs)}: the "
                    f"{_n(cols, 'column' if len(ls) > 1 else 'entry')} of the left factor must match "
                    f"the {_n(rows, 'row' if len(rs) > 1 else 'entry')} of the right one")
        rows, cols = numbers
        return (f"in {lt} @ {rt} the left factor has {_n(cols, 'column')} but the right one has "
                f"{_n(rows, 'row')}; they must match")
    return (f"{lt} {_shape_text(ls)} and {rt} {_shape_text(rs)} do not broadcast: NumPy lines "
            "shapes up from the right, and each pair of sizes must be equal or 1")


def _reduction(node):
    """(function name, axis node, call) of a reduction without keepdims, looking through
    element-wise NumPy calls (np.log(np.sum(E, axis=1))), or None."""
    while isinstance(node, ast.Call) and _np(node.func) in _ELEMENTWISE and len(node.args) == 1:
        node = node.args[0]
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    fn = _np(node.func) or node.func.attr
    kw = _keywords(node)
    if fn not in _REDUCE or "keepdims" in kw:
        return None
    rest = node.args[1:] if _np(node.func) else node.args
    axis = kw.get("axis", rest[0] if rest else None)
    if not isinstance(axis, ast.Constant) or not isinstance(axis.value, int) \
            or isinstance(axis.value, bool):
        return None
    return fn, axis.value, node


def _keepdims_note(right, ls, rs) -> str:
    """'keepdims=True' when the right operand is a reduction that dropped the axis the left has."""
    found = _reduction(right)
    if found is None or ls is None or rs is None or len(ls) != len(rs) + 1:
        return ""
    fn, ax, _ = found
    ax %= len(ls)
    kept = (*rs[:ax], 1, *rs[ax:])
    if _broadcast(ls, kept) is None or ls[:ax] + ls[ax + 1:] != rs:
        return ""
    return (f"; {fn} with keepdims=True keeps the reduced axis, {_shape_text(kept)}, which "
            "broadcasts")


def _target(tree, node):
    """What the failing operation computes: the name assigned, or the place in a returned tuple."""
    stmt = tree.body[0] if tree.body else None
    if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id, None
        if len(targets) == 1 and isinstance(targets[0], ast.Tuple) and isinstance(stmt.value, ast.Tuple):
            return _in_tuple(targets[0].elts, stmt.value.elts, node, names=True), None
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        if isinstance(stmt.value, ast.Tuple):
            return None, _in_tuple(range(len(stmt.value.elts)), stmt.value.elts, node)
        return None, 0
    return None, None


def _in_tuple(labels, values, node, names=False):
    for label, value in zip(labels, values, strict=False):
        if any(n is node for n in ast.walk(value)):
            return label.id if names and isinstance(label, ast.Name) else (None if names else label)
    return None


def _formula(name, known, tree, node) -> str:
    steps = STEPS.get(name, [])
    target, position = _target(tree, node)
    if target is None and position is not None:
        outputs = OUTPUTS.get(name, ())
        target = outputs[position] if position < len(outputs) else None
    chosen = [s for s in steps if target is not None and s[0] == target]
    if not chosen and len(steps) == 1 and (position == 0 or target is None or steps[0][1] is None):
        chosen = steps  # the exercise's one formula (shown as text when it has no shapes)
    if not chosen:  # a step whose formula uses every known name of the failing operation
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in known}
        chosen = [s for s in steps if used and s[1] is not None and used <= {
            n.id for n in ast.walk(ast.parse(s[1], mode="eval")) if isinstance(n, ast.Name)}]
    if len(chosen) != 1:
        return ""
    _, code, shown = chosen[0]
    if code is None:
        return f"; the statement's formula: {shown}"
    expr = ast.parse(code, mode="eval").body
    try:
        result = _Shapes(known).of(expr)
    except _Mismatch:  # pragma: no cover - the statement's formula fits the case's shapes
        return ""
    if result is None:
        return f"; the statement's formula: {shown}"
    factors = _factors(expr, known)
    gives = "a number" if result == () else _shape_text(result)
    return f"; the statement's {shown}: " + factors + f" gives {gives}"


def _factors(expr, known) -> str:
    """'dZ (2, 4) @ W (4, 3)': the statement's formula with the case's shapes."""
    class Show(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in known:
                return ast.Name(id=f"{node.id} {_shape_text(known[node.id])}")
            return node

        def visit_Attribute(self, node):
            if isinstance(node.value, ast.Name) and node.value.id in known and node.attr == "T":
                return ast.Name(id=f"{node.value.id}.T {_shape_text(known[node.value.id][::-1])}")
            return self.generic_visit(node)
    # the bias of a forward pass adds nothing to the shapes: show the product only
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add) \
            and isinstance(expr.left, ast.BinOp) and isinstance(expr.left.op, ast.MatMult):
        expr = expr.left
    return ast.unparse(Show().visit(expr))


def shape_hint(e: dict, name: str, case) -> str:
    """The course's words for NumPy's shape error ``e`` (as from runner.error_info) on ``case``
    of exercise ``name``, or '' when nothing certain can be said."""
    if case is None or e.get("type") != "ValueError":
        return ""
    kind, numbers = _message_shapes(str(e.get("message", "")))
    tree = _parse(str(e.get("line", "")))
    if kind is None or tree is None:
        return ""
    known = _known(name, case)
    shapes = _Shapes(known)
    try:
        shapes.of(tree)
    except _Mismatch as mismatch:
        if not _agrees(kind, numbers, mismatch):
            return ""
        ls, rs = mismatch.shapes
        left, right, node = mismatch.left, mismatch.right, mismatch.node
    else:
        # no fully known operation fails: NumPy's numbers must single out one operation of the
        # failing kind, and its operands' shapes are then NumPy's
        found = _single(kind, numbers, shapes.ops)
        if found is None:
            return onehot_note(name, case, numbers) if kind == "broadcast" else ""
        node, left, right, ls, rs = found
    text = _sentence(kind, numbers, ast.unparse(left), ast.unparse(right), ls, rs)
    if kind == "broadcast":
        text += _keepdims_note(right, ls, rs) + _labels_note(name, case, left, right, ls, rs)
    return text + _formula(name, known, tree, node)


def _sides(node):
    if isinstance(node, ast.BinOp):
        return node.left, node.right
    if isinstance(node, ast.Compare):
        return node.left, node.comparators[0]
    return node.args[0], node.args[1]


def _single(kind, numbers, ops):
    """(node, left, right, left shape, right shape) of the one operation of ``kind`` that NumPy's
    numbers fit (a known operand must have exactly NumPy's shape), or None."""
    fits, anchored = [], []
    for k, node, a, b in ops:
        if k != kind:
            continue
        if a is not None and b is not None:
            continue  # both shapes known and the operation went through: not this one
        if kind == "matmul":
            ok = (a is None or a[-1:] == (numbers[1],)) and \
                 (b is None or (b[0] if len(b) == 1 else b[-2]) == numbers[0])
            ls, rs = a, b
        else:
            ls, rs = numbers[0], numbers[1]
            ok = (a is None or a == ls) and (b is None or b == rs)
        if ok:
            fits.append((node, *_sides(node), ls, rs))
            if a is not None or b is not None:
                anchored.append(fits[-1])
    if len(fits) == 1:
        return fits[0]
    if len(anchored) == 1:
        return anchored[0]
    # a reduction without keepdims that explains NumPy's second shape exactly
    reduced = [f for f in fits if kind == "broadcast" and _keepdims_note(f[2], f[3], f[4])]
    return reduced[0] if len(reduced) == 1 else None


def _labels(name, case):
    """The integer labels y (N,) of a softmax exercise's case, or None."""
    if name not in ("softmax_cross_entropy", "mlp_loss_and_grads"):
        return None
    y = dict(zip(case.names, case.args, strict=False)).get("y")
    if not isinstance(y, np.ndarray) or y.dtype.kind not in "iu" or y.ndim != 1:
        return None
    return y


def onehot_note(name, case, shapes) -> str:
    """Two (N, K) and (N, K') shapes in a softmax exercise: a one-hot with the wrong number of
    columns, said conditionally (the message does not say which array is the one-hot)."""
    y = _labels(name, case)
    if y is None or case is None or len(shapes) < 2:
        return ""
    a, b = shapes[:2]
    if len(a) == 2 and len(b) == 2 and a[0] == b[0] == len(y) and a[1] != b[1]:
        Z = dict(zip(case.names, case.args, strict=False)).get("Z")
        K = Z.shape[1] if isinstance(Z, np.ndarray) else max(a[1], b[1])
        if K not in (a[1], b[1]):
            return ""
        other = b if a[1] == K else a
        return (f"if {_shape_text(other)} is your one-hot of y, it needs K = {K} columns, one per "
                f"class: np.eye({K})[y] (np.eye(Z.shape[1])[y]), not np.eye(len(y)) or "
                "np.eye(y.max() + 1), which depend on the batch")
    return ""


def _labels_note(name, case, left, right, ls, rs) -> str:
    """Integer labels y (N,) used where onehot(y) (N, K) is meant."""
    y = _labels(name, case)
    if y is None:
        return ""
    for side, shape, other in ((left, ls, rs), (right, rs, ls)):
        if isinstance(side, ast.Name) and side.id == "y" and shape == y.shape and other is not None \
                and len(other) == 2 and other[0] == len(y):
            K = other[1]
            return (f"; y holds the {len(y)} class labels, not one-hot rows: onehot(y) is "
                    f"{_shape_text((len(y), K))}, a 1 in column y[n] of row n (np.eye({K})[y])")
    return ""
