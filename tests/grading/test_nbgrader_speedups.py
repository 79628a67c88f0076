"""What the grading workers change in nbgrader's and nbconvert's workings to go faster: each must
give exactly what the unchanged code gives."""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.notebooks import solution_path


def test_alembic_head_in_process_equals_nbgrader_own():
    import nbgrader.api

    from autograder.notebooks import _use_inprocess_alembic_head, alembic_head

    original = nbgrader.api.get_alembic_version
    if getattr(original, "nncourse", False):
        pytest.skip("nbgrader.api was already patched in this process")
    try:
        assert alembic_head() == original()  # original: nbgrader runs `alembic heads`
        _use_inprocess_alembic_head()
        assert nbgrader.api.get_alembic_version() == original()
    finally:
        nbgrader.api.get_alembic_version = original


def test_shared_template_cache_gives_the_same_html():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    from autograder.grading.feedback import reuse_compiled_templates

    nb = nbformat.read(solution_path("06_backprop"), as_version=4)

    def html():
        out, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", out)

    original = TemplateExporter._create_environment
    if getattr(original, "nncourse", False):
        pytest.skip("nbconvert was already patched in this process")
    try:
        plain = html()
        reuse_compiled_templates()
        first, second = html(), html()  # compiled, then from the cache
        assert TemplateExporter._create_environment is not original
    finally:
        TemplateExporter._create_environment = original
    assert first == plain
    assert second == plain


def test_rendered_cells_kept_give_the_same_html():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.html import HTMLExporter as Exporter
    from nbconvert.filters.highlight import Highlight2HTML

    from autograder.grading.feedback import reuse_rendered_cells

    nb = nbformat.read(solution_path("06_backprop"), as_version=4)

    def html(notebook):
        out, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", out)

    originals = Highlight2HTML.__call__, Exporter.markdown2html
    if getattr(originals[0], "nncourse", False):
        pytest.skip("nbconvert was already patched in this process")
    edited = nbformat.from_dict(nbformat.from_dict(nb))
    code = next(c for c in edited.cells if c.cell_type == "code")
    text = next(c for c in edited.cells if c.cell_type == "markdown")
    code.source += "\nanswer = 42  # a student's line"
    text.source += "\n\nA student's *note*."
    try:
        plain, plain_edited = html(nb), html(edited)
        reuse_rendered_cells()
        first, second, kept_edited = html(nb), html(nb), html(edited)  # rendered, then kept
        assert Highlight2HTML.__call__ is not originals[0]
    finally:
        Highlight2HTML.__call__, Exporter.markdown2html = originals
    assert first == plain
    assert second == plain
    assert kept_edited == plain_edited  # an edited cell is rendered anew, not taken from the cache
    assert "a student&#39;s line" in kept_edited or "a student's line" in kept_edited
    assert "<em>note</em>" in kept_edited


def test_nbgraders_metadata_check_with_checked_schemas_raises_what_jsonschema_raises():
    import jsonschema
    from nbgrader.nbgraderformat import MetadataValidator, common

    from autograder.grading.nbgrader_speed import reuse_schema_checks, validate

    schema = MetadataValidator().schema
    good = {"grade": True, "grade_id": "x_tests", "locked": True, "points": 2, "schema_version": 3,
            "solution": False, "task": False}
    bad = [{**good, "points": "two"}, {**good, "solution": "yes"}, {**good, "grade_id": 7}, [],
           {**good, "points": None}]
    assert validate(good, schema) is None and validate(good, schema) is None
    for meta in bad:
        with pytest.raises(jsonschema.ValidationError) as ours:
            validate(meta, schema)
        with pytest.raises(jsonschema.ValidationError) as theirs:
            jsonschema.validate(meta, schema)
        assert (ours.value.message, list(ours.value.path)) == (theirs.value.message, list(theirs.value.path))
    with pytest.raises(jsonschema.SchemaError):
        validate({}, {"type": "no such type"})

    # through nbgrader's own validator: the same verdict on every cell of a notebook, bad ones too
    nb = nbformat.read(solution_path("06_backprop"), as_version=4)
    graded = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    graded.metadata.nbgrader["points"] = "lots"
    original = common.jsonschema
    try:
        with pytest.raises(jsonschema.ValidationError) as theirs:
            MetadataValidator().validate_nb(nb)
        reuse_schema_checks()
        assert common.jsonschema is not original and common.jsonschema.ValidationError is jsonschema.ValidationError
        with pytest.raises(jsonschema.ValidationError) as ours:
            MetadataValidator().validate_nb(nb)
        graded.metadata.nbgrader["points"] = 3
        MetadataValidator().validate_nb(nb)
    finally:
        common.jsonschema = original
    assert ours.value.message == theirs.value.message
