"""nncourse's grading side: the check engine (:mod:`.checks`), the grading driver (:mod:`.grading`)
and the term's workflow (:mod:`.term`).

Importing it keeps ``jsonschema`` from loading the optional ``rfc3987_syntax`` (installed with
``jupyter-events``' format extras): that module compiles a grammar at import, 1.5 s of CPU in
every process that imports ``nbformat`` (the CLI, each grading worker, the gradebook writer),
for a check of IRI strings (the ``iri`` JSON-schema format) that no notebook schema uses.
``jsonschema`` treats the missing module as not installed and checks every other format.
"""

import sys as _sys

_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
