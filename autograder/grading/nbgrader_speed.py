"""Two of nbgrader's per-submission costs, cut in a grading worker (installed by :mod:`.autograde`).

**Schemas.** nbgrader validates every cell's ``nbgrader`` metadata with ``jsonschema.validate(meta, schema)``
(``nbgrader/nbgraderformat/common.py``), which first checks that the *schema* is a valid JSON
Schema: 144 schema checks per 06_backprop submission, most of nbgrader's validation time.
:func:`reuse_schema_checks`, installed once per grading worker (:mod:`.autograde`), gives nbgrader's
module a ``validate`` that checks each schema once (keyed by its content) and then validates
exactly as ``jsonschema.validate`` does: the same validator class, the same best-matching error
raised (tested). Nothing else in the process is changed.

**SQL.** Every ``nbgrader.api.Gradebook`` makes a new SQLAlchemy engine (about 12 per submission),
and SQLAlchemy keeps its compiled statements per engine, so each of nbgrader's ~270 queries per
submission was compiled anew (0.15 s of the worker's CPU per 06_backprop submission).
:func:`reuse_engines` gives nbgrader one engine per database URL in this process: SQLAlchemy's
own statement cache then works. ``Gradebook.close()`` still disposes of the engine's connection
pool (the engine stays usable, with a fresh pool), so connections are closed as before.
"""

from __future__ import annotations

import json
import types

__all__ = ["reuse_engines", "reuse_schema_checks", "validate"]

_VALIDATORS: dict[str, object] = {}


def validate(instance, schema, cls=None, *args, **kwargs) -> None:
    """``jsonschema.validate(instance, schema)``, with the schema's own check done once."""
    import jsonschema
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

    if cls is not None or args or kwargs:
        return jsonschema.validate(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True)
    validator = _VALIDATORS.get(key)
    if validator is None:
        cls = validator_for(schema)
        cls.check_schema(schema)  # raises SchemaError as jsonschema.validate does: nothing kept
        validator = _VALIDATORS[key] = cls(schema)
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        raise error
    return None


class _JsonschemaWithCheckedSchemas(types.ModuleType):
    """``jsonschema`` as nbgrader's module sees it: :func:`validate`, the rest jsonschema's own."""

    nncourse = True
    validate = staticmethod(validate)

    def __getattr__(self, name):
        import jsonschema

        return getattr(jsonschema, name)


def reuse_schema_checks() -> None:
    """Point nbgrader's metadata validator at :func:`validate` (idempotent)."""
    from nbgrader.nbgraderformat import common

    if not getattr(common.jsonschema, "nncourse", False):
        common.jsonschema = _JsonschemaWithCheckedSchemas("jsonschema")


def reuse_engines() -> None:
    """One SQLAlchemy engine per database URL and options for nbgrader's gradebooks (idempotent)."""
    import nbgrader.api as api

    if getattr(api.create_engine, "nncourse", False):
        return
    original, engines = api.create_engine, {}

    def create_engine(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = original(url, **kwargs)
        return engines[key]

    create_engine.nncourse = True
    api.create_engine = create_engine

