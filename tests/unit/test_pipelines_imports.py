"""Unit tests of the pipelines package boundary: standard library only, domain-noun modules."""

import ast
import sys
from pathlib import Path

import pipelines

PACKAGE_DIR = Path(pipelines.__file__).parent


def _imported_roots(path: Path) -> set[str]:
    """Return the top-level names of the absolute imports in one module."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_pipelines_imports_only_the_standard_library():
    modules = sorted(PACKAGE_DIR.glob("*.py"))
    assert len(modules) >= 7

    forbidden = {
        f"{path.name}: {root}"
        for path in modules
        for root in _imported_roots(path)
        if root != "pipelines" and root not in sys.stdlib_module_names
    }

    assert forbidden == set()


def test_pipelines_never_reads_the_wall_clock():
    sources = {path.name: path.read_text(encoding="utf-8") for path in PACKAGE_DIR.glob("*.py")}

    offenders = {name for name, text in sources.items() if ".now(" in text or "utcnow" in text}

    assert offenders == set()


def test_module_names_are_domain_nouns():
    names = {path.stem for path in PACKAGE_DIR.glob("*.py")}

    assert names.isdisjoint({"utils", "helpers", "util", "helper", "common", "misc"})
