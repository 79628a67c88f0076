"""The words of a check: the result object, and how a diagnosis becomes a message.

A :class:`Finding` is one diagnosis (a code, a headline, explanatory lines); :func:`format_message`
turns it into the text a student reads, naming the exercise, the case and its input shapes. For
hidden cases the numbers (inputs, expected values) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .wire import Case, FnSpec, RngSpec

__all__ = ["CheckResult", "Finding", "describe_inputs", "format_message", "index_text", "num"]


@dataclass
class CheckResult:
    """The verdict of a check: ``passed``, a ``message`` for the student, and a ``diagnosis`` code
    (see :data:`CODES`) with the exercise, case and output it failed on."""

    passed: bool
    message: str
    diagnosis: str | None = None
    exercise: str = ""
    case: Case | None = None
    output: object = None
    expected: object = None
    seed: int | None = None
    hidden: bool = False
    n_checks: int = 0
    case_index: int | None = None

    def __bool__(self) -> bool:
        return self.passed


@dataclass
class Finding:
    """One diagnosis: a code, a headline and the lines that explain it."""

    code: str
    headline: str
    lines: list = field(default_factory=list)        # shown for visible and hidden cases
    value_lines: list = field(default_factory=list)  # numbers: shown for visible cases only
    hint: str = ""
    where: str = ""   # the first differing entry without its values (shown for hidden cases)

    def __post_init__(self):
        if self.value_lines and not self.where:
            first = self.value_lines[0]
            place, _, rest = first.partition(": expected ")
            counts = rest[rest.find("(") + 1:rest.find(";")] if "(" in rest else ""
            self.where = f"first difference at {place}" + (f" ({counts})" if counts else "")


# --- formatting ------------------------------------------------------------------------------

def num(x) -> str:
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.6g}"


def index_text(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if len(index) else ""


#: names of the parts of a tuple argument, for messages
_PARTS = {"cache": {"dense_backward": ("X", "W"), "activation_backward": ("Z", "name")}}


def _shape_of(value, name: str, hidden: bool, parts=()) -> str:
    if isinstance(value, np.ndarray):
        text = f"{value.shape}" + (" float32" if value.dtype == np.float32 else "")
        return f"{name} {text}" if name else text
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2
                                                 for v in value):
        layers = [f"W{i + 1} {np.shape(W)}, b{i + 1} {np.shape(b)}" for i, (W, b) in
                  enumerate(value)]
        return f"{name}: [{'; '.join(layers)}]"
    if isinstance(value, tuple):
        inner = [_shape_of(v, parts[i] if i < len(parts) else "", hidden)
                 for i, v in enumerate(value)]
        return f"{name} = ({', '.join(inner)})"
    if isinstance(value, list):
        return f"{name} = {value!r}" if not hidden else f"{name} (a list of {len(value)})"
    if isinstance(value, RngSpec | FnSpec):
        return name
    if isinstance(value, str):
        return f"{name}={value!r}" if name else repr(value)
    if hidden:
        return name or "?"
    return f"{name}={value!r}" if name else repr(value)


def describe_inputs(case: Case, exercise: str = "") -> str:
    """'X (5, 3), W (4, 3), b (4,)': the input shapes (and small values of visible cases)."""
    names = list(case.names) + [f"arg{i}" for i in range(len(case.names), len(case.args))]
    parts = [_shape_of(v, n, case.hidden, _PARTS.get(n, {}).get(exercise, ()))
             for n, v in zip(names, case.args, strict=False)]
    parts += [_shape_of(v, k, case.hidden) for k, v in case.kwargs.items()]
    return ", ".join(parts) if parts else "no arguments"


def format_message(name: str, case: Case, f: Finding) -> str:
    head = f.headline if f.headline.startswith(f"{name} ") else f"{name}: {f.headline}"
    lines = [f"✗ {head}"]
    lines.append(f"  case: {case.label}" + (f"; inputs: {describe_inputs(case, name)}" if case.args
                                               else ""))
    lines += [f"  {line}" for line in f.lines]
    if case.hidden:
        if f.where:
            lines.append(f"  {f.where}")
        if f.value_lines:
            lines.append("  (a hidden test: its inputs and expected values are not shown)")
    else:
        lines += [f"  {line}" for line in f.value_lines]
    if f.hint:
        lines.append(f"  hint: {f.hint}")
    return "\n".join(lines)

