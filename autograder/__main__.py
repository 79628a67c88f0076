"""Command line: ``python -m autograder COMMAND`` (see ``--help``)."""

from __future__ import annotations

import argparse
import sys
import threading

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


def _import_for_the_report() -> None:
    """Import Matplotlib (the class report's figures, ~0.5 s) at a low priority while the class is
    graded, not after it (Linux gives a thread its own nice value)."""
    import os

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot
    except Exception:  # the report imports it again, and says what is wrong
        pass


def _cmd_grade(args) -> int:
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from .grading.class_report import summary_table, write_class_report
    from .grading.driver import GradingError, grade_class
    from .grading.gradebook import GradebookWriter, write_grades_csv

    course_dir = Path(args.course_dir).resolve()
    cluster = None
    tls = {"tls_ca_file": args.tls_ca_file, "tls_cert": args.tls_cert, "tls_key": args.tls_key}
    if any(tls.values()) and not (args.scheduler or args.scheduler_file):
        print("error: --tls-ca-file, --tls-cert and --tls-key go with --scheduler or --scheduler-file",
              file=sys.stderr)
        return 2
    if args.scheduler or args.scheduler_file or args.cluster:
        from .grading.cluster import ClusterSpec

        if args.jobs is not None:
            print("error: --jobs sets local worker processes; on a Dask cluster its workers grade",
                  file=sys.stderr)
            return 2
        try:
            cluster = (ClusterSpec.from_local(args.cluster) if args.cluster else
                       ClusterSpec(scheduler=args.scheduler, scheduler_file=args.scheduler_file, **tls))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    run_info: dict = {}
    written: dict = {}
    # nbgrader's gradebook is written by a process of its own, started now so that its imports
    # (1-2 s) are done while the class is graded; the CSV and the class report are written while
    # it writes, and all three while the workers exit.
    gradebook = GradebookWriter(course_dir, args.assignment)
    threading.Thread(target=_import_for_the_report, daemon=True).start()

    def finish(journal: dict) -> None:
        with ThreadPoolExecutor(1) as pool:
            done = pool.submit(gradebook.write)
            written["csv"] = write_grades_csv(course_dir, journal, args.assignment)
            written["report"] = write_class_report(course_dir, journal, args.assignment)
            done.result()

    try:
        journal = grade_class(args.assignment, course_dir, jobs=args.jobs, force=args.force,
                              timeout=args.timeout, cluster=cluster, run_info=run_info, finish=finish)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        gradebook.cancel()  # a run that failed leaves the gradebook as it was
    csv_path, report = written["csv"], written["report"]
    print(summary_table(journal, args.assignment))
    if run_info.get("where"):
        print(f"graded on {run_info['where']}")
    print(f"grades: {csv_path}\nclass report: {report}\nfeedback: {course_dir / 'feedback'}/<student>/"
          f"{args.assignment}/\ngradebook: {course_dir / 'gradebook.db'}")
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
    g = sub.add_parser(
        "grade", help="grade every submission of an assignment (autograde, re-check, feedback, report)",
        description="Grade DIR/submitted/<student>/ASSIGNMENT/ASSIGNMENT.ipynb for every student: nbgrader "
        "autograde, an isolated re-check whose score stands where the two disagree, feedback without hidden "
        "tests, then DIR/gradebook.db, DIR/reports/grades.csv and DIR/reports/ASSIGNMENT_report.html. "
        "Resumable: a killed run continues where it stopped; a finished one changes nothing without --force.")
    g.add_argument("assignment", choices=ASSIGNMENTS)
    g.add_argument("--course-dir", required=True, help="course directory holding submitted/")
    g.add_argument("--jobs", type=int, default=None, help="parallel workers (default: number of cores)")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="grade on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786; "
                       "see docs/grading-cluster.md)")
    where.add_argument("--scheduler-file", metavar="PATH", default=None,
                       help="grade on the Dask cluster whose scheduler wrote this file (dask scheduler "
                       "--scheduler-file PATH)")
    where.add_argument("--cluster", metavar="local:N", default=None,
                       help="grade on a Dask LocalCluster of N single-threaded worker processes started here")
    for opt, what in (("--tls-ca-file", "the CA certificate"), ("--tls-cert", "the client's certificate"),
                      ("--tls-key", "the client's private key")):
        g.add_argument(opt, metavar="PEM", default=None,
                       help=f"mutual TLS with a tls:// scheduler: {what} (default: Dask's configuration, "
                       "distributed.comm.tls.*)")
    g.add_argument("--force", action="store_true", help="grade again students already graded")
    g.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per submission")
    g.set_defaults(func=_cmd_grade)
    from .term.cli import add_term_commands

    add_term_commands(sub)  # publish, collect, return, export, report (autograder/term/)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
