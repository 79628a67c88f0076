"""An instructor's term: hand out, collect, return, export and the term dashboard.

``python -m autograder publish|collect|return|export|report --term`` (:mod:`.cli`), around
``grade`` (:mod:`autograder.grading`). Each step is one small module: :mod:`.publish`,
:mod:`.collect`, :mod:`.return_feedback`, :mod:`.export`, :mod:`.report`; the term's rules
(due dates, late penalty, extensions) are :mod:`.policy`; :mod:`.course` is what they share.
nbgrader's exchange (``/srv/nbgrader/exchange`` on a hub, see ``deploy/jupyterhub/``) carries
assignments to students and their submissions and feedback back and forth.
"""
