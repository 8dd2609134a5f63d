"""environment.yml (conda) and constraints.txt (pip pins) agree with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement  # a dependency of pytest itself
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# PyPI name -> conda-forge name, only where they differ (see environment.yml).
CONDA_NAMES = {
    "torch": "pytorch-cpu",
    "playwright": "playwright-python",
}
# Conda-only entries allowed besides the mapped pyproject dependencies.
CONDA_EXTRAS = {"python", "pip", "cpuonly"}
TORCH_PIN = "2.13.0"


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def pyproject_requirements() -> list[Requirement]:
    project = pyproject()["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    return [Requirement(r) for r in reqs]


def parse_simple_yaml(text: str):
    """Parse the subset of YAML environment.yml uses: nested block mappings and
    block sequences of plain scalars, with comments. Not a general YAML parser."""
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.strip():
            lines.append((len(line) - len(line.lstrip(" ")), line.strip()))

    def scalar(s: str):
        s = s.strip()
        if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
            return s[1:-1]
        return s

    def block(i: int, indent: int):
        """Parse the block starting at lines[i] (indented exactly `indent`)."""
        if lines[i][1].startswith("- ") or lines[i][1] == "-":
            items = []
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("-"):
                rest = lines[i][1][1:].strip()
                if re.match(r"^[^'\"\s][^:]*:(\s|$)", rest):  # "- key: ..." starts a mapping
                    key, _, value = rest.partition(":")
                    if value.strip():
                        items.append({key.strip(): scalar(value)})
                        i += 1
                    else:
                        child, i = block(i + 1, lines[i + 1][0])
                        items.append({key.strip(): child})
                else:
                    items.append(scalar(rest))
                    i += 1
            return items, i
        mapping = {}
        while i < len(lines) and lines[i][0] == indent:
            key, sep, value = lines[i][1].partition(":")
            assert sep, f"cannot parse line {lines[i][1]!r}"
            if value.strip():
                mapping[key.strip()] = scalar(value)
                i += 1
            elif i + 1 < len(lines) and lines[i + 1][0] >= indent and (
                lines[i + 1][0] > indent or lines[i + 1][1].startswith("-")
            ):
                mapping[key.strip()], i = block(i + 1, lines[i + 1][0])
            else:
                mapping[key.strip()] = None
                i += 1
        return mapping, i

    result, end = block(0, lines[0][0])
    assert end == len(lines), f"unparsed line: {lines[end][1]!r}"
    return result


def load_yaml(text: str):
    try:
        import yaml
    except ImportError:
        return parse_simple_yaml(text)
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def env() -> dict:
    return load_yaml((ROOT / "environment.yml").read_text())


CONDA_SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")


def conda_specs(env: dict) -> dict[str, str]:
    """{conda name: version spec} of the conda (non-pip) dependencies."""
    specs: dict[str, str] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            continue
        m = CONDA_SPEC.match(str(item).strip())
        assert m, f"unparseable conda dependency {item!r}"
        name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
        assert name not in specs, f"{name} listed twice in environment.yml"
        specs[name] = spec
    return specs


# --------------------------------------------------------------------------
# environment.yml
# --------------------------------------------------------------------------


def test_environment_header(env):
    assert env["name"] == "convdojo"
    # conda-forge only: the pytorch channel stopped at torch 2.5 (see environment.yml).
    assert env["channels"] == ["conda-forge"]


def test_every_pyproject_dependency_in_environment_with_same_bounds(env):
    specs = conda_specs(env)
    for req in pyproject_requirements():
        pypi = canonicalize_name(req.name)
        conda = CONDA_NAMES.get(pypi, pypi)
        assert conda in specs, f"{req} (conda name {conda!r}) missing from environment.yml"
        assert SpecifierSet(specs[conda]) == req.specifier, (
            f"{conda}{specs[conda]} in environment.yml but {req} in pyproject.toml"
        )


def test_environment_has_nothing_extra(env):
    expected = {CONDA_NAMES.get(canonicalize_name(r.name), canonicalize_name(r.name))
                for r in pyproject_requirements()}
    extra = set(conda_specs(env)) - expected - CONDA_EXTRAS
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"


def test_environment_python_matches_requires_python(env):
    specs = conda_specs(env)
    assert specs.get("python") == "=3.11"
    requires = SpecifierSet(pyproject()["project"]["requires-python"])
    assert Version("3.11") in requires


def test_environment_installs_the_kit_with_pip_last(env):
    deps = env["dependencies"]
    assert "pip" in conda_specs(env), "a pip: section needs pip as a conda dependency"
    assert deps[-1] == {"pip": ["-e ."]}
    assert sum(isinstance(d, dict) for d in deps) == 1


def test_simple_yaml_parser_agrees_with_pyyaml():
    """The fallback parser (used when PyYAML is absent) reads environment.yml right."""
    yaml = pytest.importorskip("yaml")
    text = (ROOT / "environment.yml").read_text()
    assert parse_simple_yaml(text) == yaml.safe_load(text)


def test_simple_yaml_parser_structure():
    text = "name: x  # c\nchannels:\n- a\ndependencies:\n  - b>=1,<2\n  - pip:\n      - -e .\n"
    assert parse_simple_yaml(text) == {
        "name": "x", "channels": ["a"], "dependencies": ["b>=1,<2", {"pip": ["-e ."]}],
    }


# --------------------------------------------------------------------------
# constraints.txt
# --------------------------------------------------------------------------


def constraint_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in (ROOT / "constraints.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert m, f"constraints.txt line is not an exact pin: {raw!r}"
        name = canonicalize_name(m.group(1))
        assert name not in pins, f"{name} pinned twice in constraints.txt"
        pins[name] = m.group(2)
    return pins


def test_constraints_pin_torch_exactly():
    assert constraint_pins().get("torch") == TORCH_PIN
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    assert f"torch=={TORCH_PIN}" in lines


def test_constraints_pin_every_dependency_within_its_range():
    pins = constraint_pins()
    for req in pyproject_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} has no pin in constraints.txt"
        assert req.specifier.contains(Version(pins[name]), prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {req}"
        )


def test_constraints_do_not_pin_the_kit_itself():
    assert "convdojo" not in constraint_pins()
