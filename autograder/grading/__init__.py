"""Grading a class: everything that runs student code outside the student's own kernel.

What it is for: an instructor's ``python -m autograder grade ASSIGNMENT --course-dir DIR`` hands
every submission to this package. The driver (:mod:`.driver`) feeds long-lived workers
(:mod:`.worker`); per submission a worker validates the folder (:mod:`.submission`), starts the
isolated re-check (:mod:`.recheck`, :mod:`.sandbox`, :mod:`.sandbox_main`) beside nbgrader's
autograde in a jailed kernel (:mod:`.autograde`, :mod:`.kernel`, :mod:`.kernel_launcher`),
reconciles the two and writes the feedback (:mod:`.feedback`); the driver journals the result
(:mod:`.journal`) and writes the gradebook, ``grades.csv`` and the class report
(:mod:`.class_report`). :mod:`.jail` confines every process that runs student code and
:mod:`.forkserver` starts those processes with their imports done. With ``--scheduler`` or
``--cluster``, :mod:`.cluster` sends each submission as bytes to a Dask task that feeds the same
worker process on the Dask worker's machine, and the driver stays the only writer of every output.

Who calls it: the command line (:mod:`autograder.__main__`), the grading tests and the grading
benchmark. Notebooks never import it.

What it must never do: run student code in a process that holds anything worth stealing or
breaking (the gradebook, ``solutions/``, other students' files, the network), or trust what such a
process says: scores come from :func:`autograder.checks.diagnose.judge` run here, on plain data read
back with size and type checks. It is the only code that runs student code outside a student's
own kernel.
"""
