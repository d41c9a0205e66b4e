"""Unit tests of the matching package boundary: standard library only, stable exports."""

import ast
import sys
from pathlib import Path

import matching

PACKAGE_DIR = Path(matching.__file__).parent


def _imported_roots(path: Path) -> set[str]:
    """Return the top-level names of the absolute imports in one module."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_matching_imports_only_the_standard_library():
    modules = sorted(PACKAGE_DIR.glob("*.py"))
    assert modules, "no modules found"

    forbidden = {
        f"{path.name}: {root}"
        for path in modules
        for root in _imported_roots(path)
        if root != "matching" and root not in sys.stdlib_module_names
    }

    assert forbidden == set()


def test_module_names_are_domain_nouns():
    names = {path.stem for path in PACKAGE_DIR.glob("*.py")}

    assert names.isdisjoint({"utils", "helpers", "util", "helper", "common", "misc"})


def test_package_exports_the_public_interface():
    for name in matching.__all__:
        assert hasattr(matching, name), name
    assert {"SearchFilters", "RankingInputs", "ranking_score", "select_partners"} <= set(matching.__all__)
    assert callable(matching.suggestions)
