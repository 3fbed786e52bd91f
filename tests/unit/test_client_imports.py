"""The client boundary: ramoclient needs only the standard library, and ramogui and ramoctl
reach the server only over the wire (they import ramoclient, never ramod's internals)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, absolute names (relative imports resolved)."""
    package = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            names.add(".".join(part for part in (base, node.module) if part))
    return names


@pytest.mark.parametrize("tree, allowed", [("ramogui", ()), ("ramod/ctl", ("ramod.ctl",))])
def test_apps_import_nothing_from_the_server(tree, allowed):
    """ramogui and ramoctl use ramoclient; ramod's modules are the server's own."""
    offending = {f"{path.relative_to(REPO_ROOT)}: {name}"
                 for path in sorted((REPO_ROOT / tree).rglob("*.py"))
                 for name in imported_modules(path)
                 if (name == "ramod" or name.startswith("ramod."))
                 and not any(name == a or name.startswith(a + ".") for a in allowed)}
    assert not offending


def test_ramoclient_needs_only_the_standard_library():
    """Importing every ramoclient module loads no third-party or ramod module."""
    modules = sorted(f"ramoclient.{p.stem}" for p in (REPO_ROOT / "ramoclient").glob("*.py")
                     if p.stem != "__init__")
    code = ("import sys; before = set(sys.modules)\n"
            + "".join(f"import {name}\n" for name in modules)
            + "loaded = {m.partition('.')[0] for m in set(sys.modules) - before}\n"
              "foreign = loaded - sys.stdlib_module_names - {'ramoclient'}\n"
              "assert not foreign, sorted(foreign)\n")
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
    assert {"ramoclient.admin", "ramoclient.endpoint", "ramoclient.sigv4",
            "ramoclient.s3xml"} <= set(modules)
