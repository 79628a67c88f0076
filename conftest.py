"""Repository-wide pytest configuration."""

# Notebook fixtures inside tests/ (malformed submissions, attack corpus) are data, not tests;
# the student copies in course/ are expected to fail until a student fills them in.
collect_ignore_glob = ["tests/**/*.ipynb", "course/*", "grading/*", "build/*", "artifacts/*"]
