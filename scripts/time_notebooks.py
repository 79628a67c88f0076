"""Execute every solution notebook in a fresh kernel and print how long each took.

    python scripts/time_notebooks.py [--course]     (--course: the blank student copies instead)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from autograder.exercises import ASSIGNMENTS
from autograder.notebooks import ROOT, execute


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--course", action="store_true", help="time the student copies in course/")
    args = ap.parse_args()
    folder = ROOT / ("course" if args.course else "solutions")
    total = 0.0
    print(f"{'notebook':<32} {'seconds':>8}  errors")
    for a in ASSIGNMENTS:
        src = folder / a / f"{a}.ipynb"
        if not src.exists():
            print(f"{a:<32} {'missing':>8}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(src.parent, tmp, dirs_exist_ok=True)
            nb, seconds = execute(Path(tmp) / src.name, allow_errors=True)
        errors = sum(1 for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error")
        total += seconds
        print(f"{a:<32} {seconds:8.1f}  {errors}")
    print(f"{'total':<32} {total:8.1f}")


if __name__ == "__main__":
    main()
