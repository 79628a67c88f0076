"""The term's rules, from one small TOML file: due dates, the late penalty and extensions.

Example (``term.toml``; every key optional)::

    [due]                                   # when each assignment is due (UTC unless an offset is given)
    01_perceptron = 2026-10-05T23:59:00Z
    02_logistic_neuron = 2026-10-12T23:59:00Z

    [late]
    grace_minutes = 15                      # submissions this late count as on time
    penalty_per_day = 0.10                  # fraction of the earned score lost per started day late
    max_days = 7                            # later than this: 0 points (the raw score is kept)

    [extensions]                            # per student: extra days, or a due date per assignment
    alice = { days = 2 }
    bob = { 01_perceptron = 2026-10-09T23:59:00Z }

The penalty is applied at export (:mod:`autograder.term.export`); grading never sees it, so the
raw scores stay in the gradebook and the journal.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..exercises import ASSIGNMENTS

__all__ = ["Policy", "PolicyError", "load_policy", "parse_time"]


class PolicyError(ValueError):
    """The term file is malformed: the message names the key and the value."""


def parse_time(value) -> datetime:
    """A timezone-aware UTC datetime from TOML's datetime, an ISO string or nbgrader's
    ``timestamp.txt`` format (``2026-10-05 21:03:11.123456 UTC``); naive times are UTC."""
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        text = value.strip().removesuffix(" UTC").replace("Z", "+00:00")
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            raise PolicyError(f"not a date and time: {value!r} "
                              "(expected e.g. 2026-10-05T23:59:00Z)") from None
    else:
        raise PolicyError(f"not a date and time: {value!r}")
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass
class Policy:
    due: dict[str, datetime] = field(default_factory=dict)
    grace: timedelta = timedelta(0)
    penalty_per_day: float = 0.0
    max_days: int | None = None
    extensions: dict[str, dict] = field(default_factory=dict)

    def due_for(self, assignment: str, student: str | None = None) -> datetime | None:
        """The due date of ``assignment`` for ``student``, extensions included."""
        ext = self.extensions.get(student or "", {})
        if assignment in ext:
            return ext[assignment]
        base = self.due.get(assignment)
        if base is not None and "days" in ext:
            return base + timedelta(days=ext["days"])
        return base

    def days_late(self, assignment: str, student: str, submitted: datetime | None) -> int:
        """Started days late, counted from the due date (0 if on time, within the grace period,
        or without a due date)."""
        due = self.due_for(assignment, student)
        if due is None or submitted is None or submitted <= due + self.grace:
            return 0
        return math.ceil((submitted - due) / timedelta(days=1))

    def penalised(self, raw: float, days_late: int) -> float:
        """The score after the late penalty: ``raw * (1 - penalty_per_day * days)``, never below
        0, and 0 beyond ``max_days``."""
        if days_late <= 0:
            return raw
        if self.max_days is not None and days_late > self.max_days:
            return 0.0
        return max(0.0, raw * (1.0 - self.penalty_per_day * days_late))


def load_policy(path: Path | None) -> Policy:
    """Read the term file (``None`` or a missing default: no due dates, no penalty)."""
    if path is None:
        return Policy()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise PolicyError(f"term file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - {"due", "late", "extensions"}
    if unknown:
        raise PolicyError(f"{path}: unknown section(s) {sorted(unknown)}; valid: due, late, extensions")
    p = Policy()
    for a, t in data.get("due", {}).items():
        _check_assignment(path, "due", a)
        p.due[a] = parse_time(t)
    late = data.get("late", {})
    bad = set(late) - {"grace_minutes", "penalty_per_day", "max_days"}
    if bad:
        raise PolicyError(f"{path} [late]: unknown key(s) {sorted(bad)}; valid: grace_minutes, "
                          "penalty_per_day, max_days")
    p.grace = timedelta(minutes=float(late.get("grace_minutes", 0)))
    p.penalty_per_day = float(late.get("penalty_per_day", 0.0))
    if not 0.0 <= p.penalty_per_day <= 1.0:
        raise PolicyError(f"{path} [late] penalty_per_day must be a fraction in [0, 1], "
                          f"got {p.penalty_per_day}")
    p.max_days = None if "max_days" not in late else int(late["max_days"])
    for student, ext in data.get("extensions", {}).items():
        if not isinstance(ext, dict):
            raise PolicyError(f"{path} [extensions] {student}: expected a table like {{ days = 2 }}")
        parsed = {}
        for key, value in ext.items():
            if key == "days":
                parsed["days"] = float(value)
            else:
                _check_assignment(path, f"extensions.{student}", key)
                parsed[key] = parse_time(value)
        p.extensions[student] = parsed
    return p


def _check_assignment(path: Path, section: str, name: str) -> None:
    if name not in ASSIGNMENTS:
        raise PolicyError(f"{path} [{section}]: unknown assignment {name!r}; valid: {', '.join(ASSIGNMENTS)}")
