"""What the course's text promises a learner, checked (issue 15).

- every exercise statement ends with a worked example whose printed output is recomputed here with
  nnlib's reference (so the numbers in the text cannot drift from the code);
- every notebook states the same reuse rule in its introduction;
- every graded cell says it repeats the check;
- every notebook has conceptual questions with their answers folded away in ``<details>``;
- no cell other than an answer cell is longer than about 30 lines.

These tests read the solution notebooks and never execute them (nbval and tests/test_notebooks.py do).
"""

from __future__ import annotations

import doctest
import re

import nbformat
import numpy as np
import pytest

import nnlib
from autograder.checks.choices import CHOICES, letters_words
from autograder.exercises import ASSIGNMENTS, exercises_for, get_exercise
from autograder.notebooks import solution_path

REUSE_RULE = (
    "**The reuse rule.** Your answers may use NumPy, helper functions you define in the same cell or in a "
    "code cell you add above it, and your own answers to earlier exercises of this notebook; they may not "
    "call nnlib's reference version of an exercise of this notebook (the check tells you if one does)."
)
GRADED_DOCSTRING = (
    '"""Graded: the check above again, on fresh cases (a failure here is the same problem, not a new one)."""'
)
FENCE = re.compile(r"```python\n(.*?)```", re.S)
MAX_LINES = 32

EXERCISES = [ex.name for a in ASSIGNMENTS for ex in exercises_for(a)]
# A multiple-choice question has no worked example to recompute (its answer is one letter): the one
# exemption, checked instead by test_choice_statement_lists_its_letters.
CHOICE_QUESTIONS = [name for name in EXERCISES if get_exercise(name).kind == "choice"]
WORKED = [name for name in EXERCISES if name not in CHOICE_QUESTIONS]


def _cells(assignment: str):
    return nbformat.read(solution_path(assignment), as_version=4).cells


def _answer_index(cells, name: str) -> int:
    hits = [i for i, c in enumerate(cells) if c.cell_type == "code" and f"def {name}(" in c.source]
    assert len(hits) == 1, f"{name}: expected one answer cell, found {len(hits)}"
    return hits[0]


def _namespace(name: str) -> dict:
    """np, nnlib and ``name`` bound to nnlib's reference (or, for an exercise without one, to the
    function the solution notebook defines, which builds on nnlib)."""
    ex = get_exercise(name)
    ns = {"np": np, "nnlib": nnlib}
    if ex.reference is not None:
        ns[name] = ex.reference
    else:
        cells = _cells(ex.assignment)
        exec(cells[_answer_index(cells, name)].source, ns)
    return ns


@pytest.mark.parametrize("name", WORKED)
def test_statement_ends_with_a_worked_example_that_the_reference_reproduces(name):
    ex = get_exercise(name)
    cells = _cells(ex.assignment)
    statement = cells[_answer_index(cells, name) - 1]
    assert statement.cell_type == "markdown", f"{name}: the cell before the answer is not its statement"
    blocks = FENCE.findall(statement.source)
    assert blocks and ">>>" in blocks[-1], f"{name}: the statement has no worked example (>>> block)"
    assert statement.source.rstrip().endswith("```"), f"{name}: the worked example is not at the end"
    test = doctest.DocTestParser().get_doctest(blocks[-1], _namespace(name), name, None, 0)
    assert test.examples, name
    report = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.append)
    assert result.failed == 0, f"{name}: the printed worked example is out of date:\n{''.join(report)}"


@pytest.mark.parametrize("name", CHOICE_QUESTIONS)
def test_choice_statement_lists_its_letters(name):
    """The statement of a multiple-choice question lists exactly its allowed letters, in order, and
    the answer cell's docstring names them."""
    cells = _cells(get_exercise(name).assignment)
    i = _answer_index(cells, name)
    letters = CHOICES[name].letters
    assert re.findall(r"^\* \*\*([a-z])\.\*\* ", cells[i - 1].source, flags=re.M) == list(letters), name
    assert "Return one letter: " + letters_words(letters) + "." in cells[i].source, name


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_introduction_states_the_reuse_rule(a):
    assert REUSE_RULE in _cells(a)[0].source, f"{a}: the introduction lacks the reuse rule (word for word)"


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_graded_cells_say_they_repeat_the_check(a):
    cells = _cells(a)
    for ex in exercises_for(a):
        graded = [c for c in cells if c.cell_type == "code" and f'grade("{ex.name}", {ex.name})\n' in c.source]
        assert len(graded) == 1, f"{a}: {ex.name} has {len(graded)} graded cells"
        assert graded[0].source.startswith(GRADED_DOCSTRING), f"{a}: {ex.name}'s graded cell docstring"


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_conceptual_questions_with_folded_answers(a):
    text = "\n".join(c.source for c in _cells(a) if c.cell_type == "markdown")
    questions = re.findall(r"\*\*Question \d+\.\*\*", text)
    answers = re.findall(r"<details>\s*<summary>.*?</summary>.*?</details>", text, flags=re.S)
    assert len(questions) >= 2, f"{a}: {len(questions)} conceptual questions (want 2 or 3)"
    assert len(answers) >= len(questions), f"{a}: {len(questions)} questions but {len(answers)} folded answers"


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_cells_hold_one_idea_each(a):
    long = []
    for i, c in enumerate(_cells(a)):
        is_answer = c.cell_type == "code" and "### BEGIN SOLUTION" in c.source
        n = len(c.source.splitlines())
        if not is_answer and n > MAX_LINES and "<details>" not in c.source:
            long.append((i, n))
    assert not long, f"{a}: cells longer than {MAX_LINES} lines (index, lines): {long}"


@pytest.mark.timeout(120)
def test_depth_beats_width_at_the_same_budget_as_notebook_05_says():
    from nnlib.demos.universal_approximation import DEPTH_WIDTH_SIZES, depth_vs_width

    results = depth_vs_width("wiggle", seeds=range(4))
    one, two, three = (results[s] for s in DEPTH_WIDTH_SIZES)
    assert one["params"] == two["params"] >= three["params"], "the budgets are not the same"
    med = [float(np.median(r["errors"])) for r in (one, two, three)]
    # "the two-layer nets reach a clearly lower error than the one-layer net from every start"
    assert max(two["errors"]) < min(one["errors"]), (one["errors"], two["errors"])
    assert med[1] < 0.7 * med[0], med
    # "and the three-layer nets, with fewer parameters, lower still"
    assert med[2] < med[1], med
    # "the medians fall by about 0.08, then by about 0.04" (the first extra layer gains more)
    assert 0.06 < med[0] - med[1] < 0.10 and 0.02 < med[1] - med[2] < 0.06, med


def test_xor_plateau_as_notebook_04_says():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.demos.xor import plot_seed_losses

    fig, ax = plt.subplots()
    runs = plot_seed_losses(ax, hidden=2, activation="tanh", seeds=range(12), lr=1.0, n_epochs=150)
    plt.close(fig)
    stuck = [losses[-1] for losses, solved in runs.values() if not solved]
    assert 0 < len(stuck) < len(runs), "the figure should show both outcomes"
    # "The stuck runs sit on a plateau near log 2 / 2"
    assert all(abs(v - np.log(2) / 2) < 0.03 for v in stuck), stuck
    assert all(losses[-1] < 0.1 for losses, solved in runs.values() if solved)


def _new_figures():
    """Every figure added for issue 15, drawn by its demo function: (name, figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.demos import backprop, mlp_forward, perceptron, softmax, universal_approximation, xor

    figs = []

    def new(name, *shape, size=(8, 4)):
        fig, axes = plt.subplots(*shape, figsize=size) if shape else plt.subplots(figsize=size)
        figs.append((name, fig))
        return axes

    perceptron.draw_neuron(new("01 neuron diagram"), [1.0, 0.5, 2.0], [0.8, -1.2, 0.3], -0.5)
    axes = new("01 perceptron update geometry", 1, 2)
    perceptron.plot_update_geometry(axes[0], np.array([2.0, 1.0]), +1, np.array([-1.0, 0.5]))
    perceptron.plot_update_geometry(axes[1], np.array([1.0, 2.0]), -1, np.array([0.5, 0.5]))
    axes = new("03 the 26- and 39-parameter networks", 1, 2)
    mlp_forward.draw_network(axes[0], [3, 4, 2], title="[3, 4, 2]: 26 parameters")
    mlp_forward.draw_network(axes[1], [3, 4, 3, 2], title="[3, 4, 3, 2]: 39 parameters")
    mlp_forward.plot_regression_losses(new("03 regression losses"))
    xor.plot_seed_losses(new("04 stuck XOR starts"), seeds=range(4), n_epochs=20)
    X, y = nnlib.make_xor(10, noise=0.2, rng=np.random.default_rng(0))
    figs.append(("04 XOR widget with hidden-unit maps", xor.trained_figure(X, y, hidden=3, lr=0.5, n_epochs=5)))
    results = universal_approximation.depth_vs_width("wiggle", seeds=range(1), n_epochs=2)
    universal_approximation.plot_depth_vs_width(new("05 depth against width", 1, 2), results)
    backprop.draw_chain_graph(new("06 computational graph"), 0.8, 0.3, 0.5, -1.2)
    ax = new("07 weight images", size=(10, 5))
    softmax.weight_colorbar(ax.figure, softmax.plot_weight_mosaic(ax, _weights()), ax)
    return figs


def _weights():
    """Weights of 32 hidden units on 8x8 images, smooth enough to have sign regions."""
    W = np.random.default_rng(0).normal(size=(32, 8, 8))
    return (W + np.roll(W, 1, axis=1) + np.roll(W, 1, axis=2)).reshape(32, 64)


def test_weight_images_read_in_grayscale_and_mark_the_sign():
    """07's weight tiles: the map's grey level rises with the weight (so a grayscale print or a
    colour-blind reader still tells dark negative from light positive), a contour marks w = 0, and the
    colour bar is labelled in units with its 0 marked."""
    import matplotlib
    import matplotlib.pyplot as plt

    from nnlib.demos import softmax

    rgb = matplotlib.colormaps[softmax.WEIGHT_CMAP](np.linspace(0, 1, 256))[:, :3]
    grey = rgb @ np.array([0.299, 0.587, 0.114])      # the luma of a grayscale conversion
    assert np.all(np.diff(grey) > 0) and grey[-1] - grey[0] > 0.5, "the weights' grey levels are not monotone"
    fig, ax = plt.subplots(figsize=(10, 5))
    bar = softmax.weight_colorbar(fig, softmax.plot_weight_mosaic(ax, _weights()), ax)
    try:
        assert ax.collections, "no contour at w = 0"
        assert "(unitless)" in bar.ax.get_ylabel() and bar.ax.lines, bar.ax.get_ylabel()
    finally:
        plt.close(fig)


def test_new_figures_have_titles_labels_and_units():
    import matplotlib.pyplot as plt

    problems = []
    for name, fig in _new_figures():
        for ax in fig.axes:
            if not ax.get_visible() or ax.get_label() == "<colorbar>":
                continue
            if not ax.axison:   # a diagram without axes (the neuron, the graph): a title suffices
                if not ax.get_title() and not fig.texts:
                    problems.append(f"{name}: a diagram without a title")
                continue
            if not ax.get_title():
                problems.append(f"{name}: an axes without a title")
            for which, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
                if not label or "(" not in label:
                    problems.append(f"{name}: {which}-label {label!r} has no unit in parentheses")
        plt.close(fig)
    assert not problems, "\n".join(problems)


def test_classes_differ_by_marker_as_well_as_colour():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.demos.plot import scatter_classes

    fig, ax = plt.subplots()
    scatter_classes(ax, np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]), np.array([0, 1, 2]))
    paths = [tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in ax.collections]
    colours = [tuple(c.get_facecolor()[0]) for c in ax.collections]
    plt.close(fig)
    assert len(paths) == 3 and len(set(paths)) == 3, "each class needs its own marker"
    assert len(set(colours)) == 3, "and its own colour"


def test_stuck_xor_starts_stay_stuck_with_twenty_times_the_steps():
    # notebook 04: "from these starts 3,000 steps (twenty times as many) end on the same plateau"
    from nnlib.demos.xor import train_mlp

    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    for seed in (5, 6, 7, 8, 10, 11):        # the starts the notebook's figure shows stuck
        model, losses = train_mlp(X, y, 2, 1.0, 150, seed, "tanh")
        assert not np.array_equal(model.predict(X), y), seed
        model, losses = train_mlp(X, y, 2, 1.0, 3000, seed, "tanh")
        assert abs(losses[-1] - np.log(2) / 2) < 0.01, (seed, losses[-1])
        assert np.sort(model(X)[np.arange(4), y])[:2] == pytest.approx([0.5, 0.5], abs=0.02), seed


def test_float32_gradient_check_as_notebook_06_says():
    # "on the small tanh network of section 6 a float32 check gives a relative error of about 1e-2 at
    #  h = 1e-5 ... and still about 2e-5 with a much larger step, h = 1e-2"
    rng = np.random.default_rng(6)                       # notebook 06's SEED and draws
    params = nnlib.init_params([3, 4, 3], rng)
    X = rng.standard_normal((6, 3)).astype(np.float32)
    y = rng.integers(0, 3, 6)
    p32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]
    _, grads = nnlib.mlp_loss_and_grads(X, y, p32, "tanh", "softmax")

    def err(h):
        W = p32[0][0]
        num = nnlib.numerical_gradient(lambda _: nnlib.mlp_loss_and_grads(X, y, p32, "tanh", "softmax")[0],
                                       W, h=h)
        return nnlib.relative_error(grads[0][0], num)

    assert 3e-3 < err(1e-5) < 3e-2
    assert 5e-6 < err(1e-2) < 6e-5
