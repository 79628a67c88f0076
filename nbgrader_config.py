"""nbgrader configuration for the course: masters in solutions/, the student release in course/.

Working folders of a grading run (submitted/, autograded/, feedback/) and the gradebook live in
grading/ (git-ignored) unless NNCOURSE_COURSE_DIR names another course directory, so that grading
never dirties the repository.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader)

_here = os.path.dirname(os.path.abspath(__file__))
_work = os.path.abspath(os.environ.get("NNCOURSE_COURSE_DIR", os.path.join(_here, "grading")))

c.CourseDirectory.course_id = "nncourse"
c.CourseDirectory.root = _here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = os.environ.get("NNCOURSE_RELEASE_DIR", "course")
c.CourseDirectory.submitted_directory = os.path.join(_work, "submitted")
c.CourseDirectory.autograded_directory = os.path.join(_work, "autograded")
c.CourseDirectory.feedback_directory = os.path.join(_work, "feedback")
c.CourseDirectory.db_url = os.environ.get(
    "NNCOURSE_GRADEBOOK", "sqlite:///" + os.path.join(_work, "gradebook.db")
)
# Notebooks that cannot be executed in time fail the cell, not the run.
c.Execute.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
