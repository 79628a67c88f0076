"""environment.yml (conda) gives the same environment as pyproject.toml (pip).

Every requirement of pyproject.toml (the core dependencies and every extra: course, test, oracle, dev)
is in environment.yml with the same version specifier, either as a conda package (conda-forge name)
or under ``pip:``; environment.yml lists nothing pyproject.toml does not; Python is 3.11.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT = ROOT / "environment.yml"

EXTRAS = {"course", "test", "oracle", "dev"}
PYTHON = "3.11"
#: pip name -> conda-forge name, where they differ.
CONDA_NAMES = {"torch": "pytorch"}
#: Only installable the pip way in this course: PyTorch must be the CPU wheel torch==2.13.0
#: (conda-forge's pytorch builds differ), as scripts/venv.sh installs it.
PIP_ONLY = {"torch"}
#: conda entries that are not Python requirements of the package.
CONDA_TOOLING = {"python", "pip"}


def _pyproject(text: str | None = None) -> dict:
    return tomllib.loads(PYPROJECT.read_text() if text is None else text)


def _environment(text: str | None = None) -> dict:
    return yaml.safe_load(ENVIRONMENT.read_text() if text is None else text)


def pyproject_requirements(text: str | None = None) -> dict[str, SpecifierSet]:
    """Every requirement of the package and of all its extras (self-references resolved)."""
    project = _pyproject(text)["project"]
    me = canonicalize_name(project["name"])
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    out: dict[str, SpecifierSet] = {}
    for line in reqs:
        r = Requirement(line)
        name = canonicalize_name(r.name)
        if name == me:  # "nncourse[course]": covered by that extra itself
            continue
        if name in out and out[name] != r.specifier:
            pytest.fail(f"pyproject.toml lists {name} twice: {out[name]} and {r.specifier}")
        out[name] = r.specifier
    return out


_CONDA = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


def conda_specifier(spec: str) -> SpecifierSet:
    """A conda version spec as a PEP 440 specifier set (``=3.11`` means ``==3.11.*``)."""
    parts = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = re.fullmatch(r"=\s*([\w.]+)(\.\*)?", part)
        if m:  # conda's single '=' is a prefix match
            parts.append(f"=={m.group(1)}.*")
        elif re.fullmatch(r"[\w.]+", part):  # a bare version: conda reads it as ==
            parts.append(f"=={part}")
        else:
            parts.append(part)
    return SpecifierSet(",".join(parts))


def environment_requirements(
    text: str | None = None,
) -> tuple[dict[str, SpecifierSet], dict[str, SpecifierSet], list[str]]:
    """(conda packages, pip packages, other pip lines such as ``-e .``) of environment.yml."""
    conda: dict[str, SpecifierSet] = {}
    pip: dict[str, SpecifierSet] = {}
    other: list[str] = []
    for dep in _environment(text)["dependencies"]:
        if isinstance(dep, dict):
            assert set(dep) == {"pip"}, f"environment.yml: unexpected entry {dep}"
            for line in dep["pip"]:
                if line.startswith("-"):
                    other.append(line)
                    continue
                r = Requirement(line)
                assert canonicalize_name(r.name) not in pip, f"environment.yml lists {r.name} twice under pip"
                pip[canonicalize_name(r.name)] = r.specifier
            continue
        m = _CONDA.match(str(dep))
        assert m, f"environment.yml: cannot read {dep!r}"
        name = canonicalize_name(m.group(1))
        assert name not in conda, f"environment.yml lists {name} twice"
        conda[name] = conda_specifier(m.group(2))
    return conda, pip, other


def test_pyproject_has_the_extras_and_python():
    project = _pyproject()["project"]
    assert set(project.get("optional-dependencies", {})) == EXTRAS
    assert SpecifierSet(project["requires-python"]).contains(f"{PYTHON}.0"), project["requires-python"]


def test_environment_pins_python_311_and_pip():
    env = _environment()
    conda, _, _ = environment_requirements()
    assert env["name"] == "nncourse"
    assert "python" in conda, "environment.yml must pin python"
    got = str(conda["python"])
    assert got == f"=={PYTHON}.*", f"environment.yml: python{got}, want python={PYTHON}"
    assert "pip" in conda, "environment.yml needs pip (it installs the pip: section)"


def test_environment_installs_the_package_itself():
    _, _, other = environment_requirements()
    assert any(re.fullmatch(r"-e\s+\.(\[[\w,]*\])?", line.strip()) for line in other), (
        "environment.yml: the pip section must install the package itself (`-e .`), "
        "so that nnlib and autograder import in the conda environment"
    )


def differences(pyproject_text: str | None = None, environment_text: str | None = None) -> list[str]:
    """How environment.yml fails to give pyproject.toml's requirements (empty: it gives them all)."""
    want = pyproject_requirements(pyproject_text)
    conda, pip, _ = environment_requirements(environment_text)
    problems = []
    for name, spec in sorted(want.items()):
        conda_name = CONDA_NAMES.get(name, name)
        where = [("pip", pip[name])] if name in pip else []
        if conda_name in conda:
            where.append(("conda", conda[conda_name]))
        if not where:
            problems.append(f"{name}{spec}: missing from environment.yml")
            continue
        if len(where) > 1:
            problems.append(f"{name}: listed both as a conda package and under pip:")
        section, got = where[0]
        if got != spec:
            problems.append(f"{name}: pyproject.toml says {spec or '(any)'}, "
                            f"environment.yml ({section}) says {got or '(any)'}")
        if name in PIP_ONLY and section != "pip":
            problems.append(f"{name}: must be under pip: in environment.yml (the CPU wheel {name}{spec})")
    return problems


def test_every_pyproject_requirement_is_in_environment_yml_with_the_same_versions():
    problems = differences()
    assert not problems, "environment.yml is out of step with pyproject.toml:\n" + "\n".join(problems)


def test_environment_yml_lists_nothing_pyproject_does_not():
    want = pyproject_requirements()
    conda_to_pip = {v: k for k, v in CONDA_NAMES.items()}
    conda, pip, _ = environment_requirements()
    extra = [n for n in conda if n not in CONDA_TOOLING and conda_to_pip.get(n, n) not in want]
    extra += [f"{n} (pip)" for n in pip if n not in want]
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"


@pytest.mark.parametrize(
    ("conda", "pep440"),
    [("=3.11", "==3.11.*"), (">=8.1,<9", "<9,>=8.1"), ("", ""), ("1.2", "==1.2"), ("==0.9.6", "==0.9.6")],
)
def test_conda_specifier_reading(conda, pep440):
    assert conda_specifier(conda) == SpecifierSet(pep440)


def test_drift_is_caught():
    """The comparison can fail: a changed version, a dropped package, torch moved to conda."""
    env = ENVIRONMENT.read_text()
    cases = {
        "numpy": re.sub(r"(?m)^(\s*-\s*numpy)\S*", r"\1>=1.0", env, count=1),
        "hypothesis": re.sub(r"(?m)^\s*-\s*hypothesis\S*\n", "", env, count=1),
        "torch": re.sub(r"(?m)^(\s*)-\s*torch==(\S+)\n", "", env, count=1).replace(
            "  - pip\n", "  - pip\n  - pytorch==2.13.0\n", 1),
    }
    for name, text in cases.items():
        assert text != env, f"environment.yml has no {name} line to change"
        problems = differences(environment_text=text)
        assert any(p.startswith(name) for p in problems), (name, problems)
    pyproject = PYPROJECT.read_text().replace('"numpy>=', '"numpy>=0.1,!=1.0,>=', 1)
    assert any(p.startswith("numpy") for p in differences(pyproject_text=pyproject))
