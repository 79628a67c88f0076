"""Command line: ``python -m autograder COMMAND`` (see ``--help``)."""

from __future__ import annotations

import argparse
import sys

from .exercises import ASSIGNMENTS


def _cmd_sync(args) -> int:
    from .notebooks import solution_path, sync_metadata

    changed = []
    for a in args.assignments or ASSIGNMENTS:
        if solution_path(a).exists() and sync_metadata(a, write=not args.check):
            changed.append(a)
    if args.check and changed:
        print("nbgrader metadata out of date in: " + ", ".join(changed), file=sys.stderr)
        return 1
    print("metadata " + ("checked" if args.check else "synced") + ": " + (", ".join(changed) or "no change"))
    return 0


def _cmd_release(args) -> int:
    from .notebooks import release

    dest = release(args.assignments or ASSIGNMENTS, dest=args.dest)
    print(f"released to {dest}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder", description="nncourse's course tools.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sync", help="derive nbgrader metadata of solutions/ from the exercise registry")
    s.add_argument("assignments", nargs="*", help="default: all")
    s.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    s.set_defaults(func=_cmd_sync)
    r = sub.add_parser("release", help="regenerate course/ from solutions/ with nbgrader")
    r.add_argument("assignments", nargs="*", help="default: all")
    r.add_argument("--dest", default=None, help="release folder (default: course/)")
    r.set_defaults(func=_cmd_release)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
