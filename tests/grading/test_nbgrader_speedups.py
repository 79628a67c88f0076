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


def _gradebook_story(url: str) -> list:
    """What nbgrader's autograde and feedback do to a gradebook, in many short sessions as they do."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        gb.update_or_create_assignment("a1")
        gb.update_or_create_notebook("nb1", "a1")
        gb.update_or_create_grade_cell("c1", "nb1", "a1", max_score=3, cell_type="code")
    for student in ("s1", "s2"):
        with Gradebook(url) as gb:
            gb.update_or_create_student(student)
        with Gradebook(url) as gb:
            gb.update_or_create_submission("a1", student)
        with Gradebook(url) as gb, Gradebook(url) as inner:  # two sessions open at once, as nbgrader does
            g = gb.find_grade("c1", "nb1", "a1", student)
            g.auto_score = 2.0 if student == "s1" else 0.5
            gb.db.commit()
            assert inner.find_student(student).id == student
    with Gradebook(url) as gb:
        return [(g.student.id, g.name, g.auto_score, g.max_score) for g in
                (gb.find_grade("c1", "nb1", "a1", s) for s in ("s1", "s2"))]


def test_one_engine_per_url_gives_the_same_gradebook_and_compiles_each_statement_once(tmp_path):
    import nbgrader.api

    from autograder.grading.nbgrader_speed import reuse_engines

    original = nbgrader.api.create_engine
    if getattr(original, "nncourse", False):
        pytest.skip("nbgrader.api was already patched in this process")
    plain = _gradebook_story(f"sqlite:///{tmp_path / 'plain.db'}")
    made = []
    try:
        reuse_engines()
        patched = nbgrader.api.create_engine

        def counting(url, **kwargs):
            engine = patched(url, **kwargs)
            made.append(engine)
            return engine

        nbgrader.api.create_engine = counting
        url = f"sqlite:///{tmp_path / 'shared.db'}"
        shared = _gradebook_story(url)
        again = _gradebook_story(url)  # the same queries again, as for the next student
        compiled = len(made[0]._compiled_cache)
        third = _gradebook_story(url)
    finally:
        nbgrader.api.create_engine = original
    assert shared == plain == again == third
    assert len(made) > 10 and len({id(e) for e in made}) == 1  # one engine for every Gradebook
    assert made[0].pool.checkedout() == 0  # every Gradebook.close() gave its connection back
    # SQLAlchemy's statement cache works across Gradebooks: nothing new compiled the third time
    assert compiled > 0 and len(made[0]._compiled_cache) == compiled
