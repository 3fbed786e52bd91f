"""The import graph of Ramo's packages: layers import downwards only, with no cycle.

    ramoclient            stdlib only: what ramoctl, ramogui and the server agree on
    ramod.protocol        the pure S3 protocol
    ramod.auth, ramod.metadata, ramod.storage
    ramod.s3              S3 operation handlers
    ramod.http            the twisted.web layer of the S3 front
    ramod.admin           the management API
    ramod (service, tap)  wiring;   ramod.ctl and ramogui: clients of ramoclient only
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: package -> the Ramo packages it may import (besides itself)
ALLOWED = {
    "ramoclient": set(),
    "ramod.protocol": {"ramoclient"},
    "ramod.auth": {"ramoclient", "ramod.protocol"},
    "ramod.metadata": {"ramoclient", "ramod.protocol"},
    "ramod.storage": {"ramoclient", "ramod.protocol"},
    "ramod.s3": {"ramoclient", "ramod.protocol", "ramod.auth", "ramod.metadata", "ramod.storage"},
    "ramod.http": {"ramoclient", "ramod.protocol", "ramod.auth", "ramod.storage", "ramod.s3"},
    "ramod.admin": {"ramoclient", "ramod.protocol", "ramod.auth", "ramod.metadata",
                    "ramod.storage", "ramod.s3", "ramod.http"},
    "ramod.ctl": {"ramoclient"},
    "ramogui": {"ramoclient"},
}
OURS = ("ramod", "ramoclient", "ramogui")


def package_of(module: str) -> str:
    """``ramod.s3.objects`` -> ``ramod.s3``; a top-level module of ramod -> ``ramod``."""
    parts = module.split(".")
    if parts[0] == "ramod" and len(parts) > 1 and (ROOT / "ramod" / parts[1]).is_dir():
        return f"ramod.{parts[1]}"
    return parts[0]


def imports(path: Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(package: str) -> list:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_go_downwards(package):
    """A package imports only the Ramo packages below it."""
    wrong = []
    for path in sources(package):
        for name in imports(path):
            if name.split(".")[0] in OURS:
                target = package_of(name)
                if target != package and target not in ALLOWED[package]:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_ramoclient_needs_only_the_standard_library():
    """ramoclient runs wherever Python does: ramoctl and ramogui install nothing else for it."""
    foreign = []
    for path in sources("ramoclient"):
        for name in imports(path):
            top = name.split(".")[0]
            if top != "ramoclient" and top not in sys.stdlib_module_names:
                foreign.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not foreign, "\n".join(foreign)


def test_every_package_has_a_layer():
    """A new package must be placed in the layers above before it can be imported."""
    packages = {f"ramod.{p.name}" for p in (ROOT / "ramod").iterdir()
                if (p / "__init__.py").exists()}
    assert packages <= set(ALLOWED), packages - set(ALLOWED)
