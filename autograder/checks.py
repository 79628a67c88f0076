"""Placeholder: being written (issue 4). API: check(name, fn, *, seed=None, hidden=False) -> CheckResult;
run_check(name, fn) for visible check cells; grade(name, fn, hidden=False) for graded cells."""
