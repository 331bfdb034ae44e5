"""Every relative import in the package resolves, function-local ones included.

Lazy imports (torch, the sampler) run only on the paths that need them, often only when a chapter computes
(`fresh`): a package split that leaves one a level too shallow fails there, minutes into a notebook run, not at
import time. This reads every `from .x import y` and checks that the module it names exists."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import reasonlab

PACKAGE_ROOT = Path(reasonlab.__file__).parent


def _relative_imports():
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        parts = ("reasonlab",) + path.relative_to(PACKAGE_ROOT).with_suffix("").parts
        package = parts if path.name == "__init__.py" else parts[:-1]
        package = package[:-1] if package[-1] == "__init__" else package
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[:len(package) - (node.level - 1)]
                yield path, node.lineno, ".".join(base + ((node.module,) if node.module else ()))


def test_every_relative_import_names_an_existing_module():
    found = list(_relative_imports())
    assert len(found) > 100  # the walk saw the package
    missing = [f"{path.relative_to(PACKAGE_ROOT)}:{line} -> {module}" for path, line, module in found
               if importlib.util.find_spec(module) is None]
    assert not missing, missing

