"""The import rules of ARCHITECTURE.md, checked on the source with ast."""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names)
NOTIFICATION_LIBRARIES = STDLIB | {"jinja2", "requests", "markupsafe", "notifications"}


def imported_modules(path: Path) -> set[str]:
    """Return the absolute module names a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def imports_of(package: str) -> dict[Path, set[str]]:
    """Map each file of a package to what it imports."""
    return {path: imported_modules(path) for path in (ROOT / package).rglob("*.py")}


@pytest.mark.parametrize("package", ["matching", "pipelines"])
def test_pure_domain_packages_use_the_standard_library_only(package):
    for path, modules in imports_of(package).items():
        outside = {m for m in modules if m.split(".")[0] not in STDLIB | {package}}
        assert not outside, f"{path} imports {outside}"


def test_notifications_use_no_flask_sqlalchemy_or_app():
    for path, modules in imports_of("notifications").items():
        outside = {m for m in modules if m.split(".")[0] not in NOTIFICATION_LIBRARIES}
        assert not outside, f"{path} imports {outside}"


def test_nothing_imports_the_api_or_web_layers():
    for path, modules in imports_of("app").items():
        inside_edge = {"api", "web"} & set(path.relative_to(ROOT / "app").parts[:1])
        if inside_edge or path == ROOT / "app" / "__init__.py":
            continue
        edge = {m for m in modules if m.startswith(("app.api", "app.web"))}
        assert not edge, f"{path} imports {edge}"


def test_models_import_only_extensions_and_each_other():
    for path, modules in imports_of("app/models").items():
        outside = {m for m in modules if m.startswith("app") and not m.startswith(("app.models", "app.extensions"))}
        assert not outside, path


def test_services_never_import_schemas():
    for path, modules in imports_of("app/services").items():
        assert not {m for m in modules if m.startswith("app.schemas")}, path


@pytest.mark.parametrize("package", ["matching", "pipelines", "notifications", "app/services"])
def test_domain_and_services_never_read_the_wall_clock(package):
    for path in (ROOT / package).rglob("*.py"):
        text = path.read_text()
        assert ".now(" not in text and "utcnow" not in text and "time.time()" not in text, path


def test_module_names_are_domain_nouns():
    names = {path.stem for package in ("app", "matching", "pipelines", "notifications")
             for path in (ROOT / package).rglob("*.py")}
    assert names.isdisjoint({"utils", "helpers", "util", "helper", "common", "misc"})
