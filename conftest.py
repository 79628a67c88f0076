"""Repository-wide pytest configuration."""

# Notebook fixtures inside tests/ (malformed submissions, attack corpus) are data, not tests;
# the student copies in course/ are expected to fail until a student fills them in.
collect_ignore_glob = ["tests/**/*.ipynb", "course/*", "grading/*", "build/*", "artifacts/*"]


import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _numpy_in_doctests(doctest_namespace):
    """Docstring examples use ``np`` without importing it, as the docs do."""
    doctest_namespace["np"] = np
