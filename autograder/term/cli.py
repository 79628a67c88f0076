"""The term's subcommands of ``python -m autograder``: publish, collect, return, export, report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..exercises import ASSIGNMENTS

__all__ = ["add_term_commands"]


def _course(args) -> Path:
    return Path(args.course_dir).resolve()


def _policy_roster(args):
    from .course import default_file, read_roster
    from .policy import load_policy

    course_dir = _course(args)
    policy = load_policy(default_file(course_dir, args.term_file, "term.toml"))
    roster_path = default_file(course_dir, args.roster, "roster.csv")
    return policy, (read_roster(roster_path) if roster_path else None)


def _guard(fn):
    """Run a command; a known failure prints ``error: ...`` and exits with 2, not a traceback."""
    def run(args) -> int:
        from .policy import PolicyError

        try:
            return fn(args)
        except (PolicyError, ValueError, RuntimeError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return run


@_guard
def _cmd_publish(args) -> int:
    from .course import exchange_root
    from .publish import publish

    policy, _ = _policy_roster(args)
    due = args.due or (policy.due[args.assignment].isoformat() if args.assignment in policy.due else None)
    exchange = exchange_root(args.exchange)
    publish(args.assignment, _course(args), exchange, due=due, force=args.force)
    print(f"published {args.assignment} to {exchange}/nncourse/outbound/{args.assignment}"
          + (f" (due {due})" if due else ""))
    return 0


@_guard
def _cmd_collect(args) -> int:
    from .collect import collect, status_text, statuses, write_statuses
    from .course import exchange_root

    policy, roster = _policy_roster(args)
    if args.due:
        from .policy import parse_time

        policy.due[args.assignment] = parse_time(args.due)
    course_dir = _course(args)
    if not args.no_exchange:
        collect(args.assignment, course_dir, exchange_root(args.exchange))
    rows = statuses(args.assignment, course_dir, policy, roster)
    path = write_statuses(course_dir, args.assignment, rows)
    print(status_text(args.assignment, rows))
    print(f"status of every student: {path}")
    return 0


@_guard
def _cmd_return(args) -> int:
    from .course import exchange_root
    from .return_feedback import return_feedback

    ready, without = return_feedback(args.assignment, _course(args), exchange_root(args.exchange))
    print(f"{args.assignment}: feedback returned to {len(ready)} student(s): {', '.join(ready) or 'none'}")
    if without:
        print(f"  submitted but no feedback to return (grade them first): {', '.join(without)}")
    return 0


@_guard
def _cmd_export(args) -> int:
    from .export import export

    policy, roster = _policy_roster(args)
    result = export(_course(args), policy, roster, assignments=args.assignments or None)
    print(result.summary())
    return 0


@_guard
def _cmd_report(args) -> int:
    course_dir = _course(args)
    if args.term:
        from .report import write_term_report

        policy, roster = _policy_roster(args)
        print(f"term dashboard: {write_term_report(course_dir, policy, roster)}")
        return 0
    if not args.assignment:
        print("error: name an assignment, or --term for the whole term", file=sys.stderr)
        return 2
    from ..grading.class_report import write_class_report
    from ..grading.journal import load_journal, students_of

    journal = load_journal(course_dir, args.assignment, students_of(course_dir))
    if not journal:
        print(f"error: {args.assignment} has not been graded in {course_dir}", file=sys.stderr)
        return 2
    print(f"class report: {write_class_report(course_dir, journal, args.assignment)}")
    return 0


def _common(p: argparse.ArgumentParser, exchange: bool = False, term: bool = False) -> None:
    p.add_argument("--course-dir", required=True,
                   help="the course directory (submitted/, feedback/, reports/)")
    if exchange:
        p.add_argument("--exchange", default=None, help="nbgrader's exchange (default: $NNCOURSE_EXCHANGE "
                       "or /srv/nbgrader/exchange)")
    if term:
        p.add_argument("--roster", default=None,
                       help="class list CSV (default: DIR/roster.csv if it exists): "
                       "Canvas's gradebook export, or any CSV with a student_id/username column")
        p.add_argument("--term-file", default=None, help="due dates, late penalty and extensions, TOML "
                       "(default: DIR/term.toml if it exists; see docs/jupyterhub.md)")


def add_term_commands(sub) -> None:
    """Add the term's subcommands to ``python -m autograder``'s subparsers ``sub``."""
    p = sub.add_parser("publish", help="generate an assignment and release it to nbgrader's exchange",
                       description="nbgrader generate_assignment into DIR/release/, then release_assignment "
                       "to the exchange, where students fetch it from the Assignments tab.")
    p.add_argument("assignment", choices=ASSIGNMENTS)
    _common(p, exchange=True, term=True)
    p.add_argument("--due", default=None,
                   help="due date, e.g. 2026-10-05T23:59:00Z (default: the term file's)")
    p.add_argument("--force", action="store_true", help="replace an assignment already released")
    p.set_defaults(func=_cmd_publish)

    c = sub.add_parser("collect", help="collect submissions; list who is missing and who is late",
                       description="nbgrader collect (each student's newest submission) into DIR/submitted/, "
                       "then each student's status (on time, late by N started days, missing) from the due "
                       "date and extensions: printed and written to DIR/reports/ASSIGNMENT_collect.csv.")
    c.add_argument("assignment", choices=ASSIGNMENTS)
    _common(c, exchange=True, term=True)
    c.add_argument("--due", default=None, help="due date (overrides the term file's)")
    c.add_argument("--no-exchange", action="store_true",
                   help="do not collect; only report on what DIR/submitted/ holds")
    c.set_defaults(func=_cmd_collect)

    r = sub.add_parser("return", help="release graded feedback to the students through the exchange",
                       description="nbgrader release_feedback of DIR/feedback/<student>/ASSIGNMENT/: each "
                       "student then fetches it from the Assignments tab (Fetch Feedback).")
    r.add_argument("assignment", choices=ASSIGNMENTS)
    _common(r, exchange=True)
    r.set_defaults(func=_cmd_return)

    e = sub.add_parser("export",
                       help="grades of every assignment: nbgrader CSV, Canvas import, late penalties",
                       description="Write DIR/reports/export/: nbgrader_grades.csv (nbgrader export), "
                       "term_grades.csv (raw and penalised scores, status of each student and assignment) "
                       "and, with a roster, canvas_import.csv (points out of the registry's maxima). "
                       "Missing students and students not on the roster are listed, never dropped.")
    e.add_argument("assignments", nargs="*", help="default: every assignment graded so far")
    _common(e, term=True)
    e.set_defaults(func=_cmd_export)

    t = sub.add_parser("report", help="rewrite a class report, or --term: the term dashboard",
                       description="With --term: DIR/reports/term.html (scores of every student and "
                       "assignment, exercise difficulty, common diagnoses, students at risk); with an "
                       "assignment: its class report from the grading journal.")
    t.add_argument("assignment", nargs="?", choices=ASSIGNMENTS)
    t.add_argument("--term", action="store_true", help="the whole term's dashboard")
    _common(t, term=True)
    t.set_defaults(func=_cmd_report)
