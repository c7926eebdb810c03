"""Python 3.10 is claimed (requires-python >= 3.10): TOML is read through one helper that falls
back to ``tomli`` where ``tomllib`` is missing, the dependency carries the marker, and every module
compiles under 3.10 when a 3.10 interpreter is on the machine."""
from __future__ import annotations

import ast
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from addin.tomlcompat import tomllib as _tomllib  # noqa: F401  (the helper imports)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "addin"


def _pyproject() -> dict:
    from addin.tomlcompat import tomllib
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def test_claimed_python_and_the_tomli_marker_agree():
    project = _pyproject()["project"]
    assert project["requires-python"] == ">=3.10"
    assert 'tomli>=1.1; python_version < "3.11"' in project["dependencies"]


def test_no_module_imports_tomllib_but_the_helper():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "tomlcompat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in ("tomllib", "tomli") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_helper_falls_back_to_tomli_when_tomllib_is_missing(monkeypatch):
    """On 3.10 ``import tomllib`` raises; the helper then takes ``tomli`` (same API)."""
    import tomllib as real
    import addin.tomlcompat as compat
    stand_in = type(sys)("tomli")
    stand_in.loads, stand_in.load, stand_in.TOMLDecodeError = real.loads, real.load, real.TOMLDecodeError
    monkeypatch.setattr(sys, "version_info", (3, 10, 13, "final", 0))
    monkeypatch.setitem(sys.modules, "tomllib", None)       # import tomllib -> ModuleNotFoundError
    monkeypatch.setitem(sys.modules, "tomli", stand_in)
    try:
        reloaded = importlib.reload(compat)
        assert reloaded.tomllib is stand_in
        assert reloaded.tomllib.loads('a = "张三"\n') == {"a": "张三"}
    finally:
        monkeypatch.undo()
        importlib.reload(compat)
    assert compat.tomllib is real


def _python310() -> str | None:
    """python3.10 on PATH, or one that pyenv keeps (pyenv's shim fails when 3.10 is not selected)."""
    candidates = [shutil.which("python3.10")] + sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.10*/bin/python"))
    for found in filter(None, candidates):
        run = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
        if run.returncode == 0 and run.stdout.strip() == "(3, 10)":
            return found
    return None


@pytest.mark.skipif(_python310() is None, reason="no python3.10 on this machine")
def test_every_module_compiles_under_python_310(tmp_path):
    """Syntax of 3.11+ (except*, PEP 646 star-unpacking in subscripts, ...) would break 3.10."""
    script = ("import pathlib, sys\nbad = []\nfor p in sorted(pathlib.Path(sys.argv[1]).rglob('*.py')):\n"
              "    try:\n        compile(p.read_text(encoding='utf-8'), str(p), 'exec', dont_inherit=True)\n"
              "    except SyntaxError as e:\n        bad.append(f'{p}:{e.lineno}: {e.msg}')\n"
              "print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    run = subprocess.run([_python310(), "-c", script, str(PACKAGE)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_standard_library_name_newer_than_310():
    """Names the 3.10 standard library lacks, as they are spelt in source."""
    newer = {("datetime", "UTC"), ("enum", "StrEnum"), ("typing", "Self"), ("typing", "LiteralString"),
             ("typing", "Never"), ("typing", "assert_never"), ("typing", "reveal_type"), ("asyncio", "TaskGroup"),
             ("hashlib", "file_digest"), ("contextlib", "chdir"), ("asyncio", "timeout"), ("typing", "Required"),
             ("typing", "NotRequired"), ("wsgiref", "types")}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            pairs = []
            if isinstance(node, ast.ImportFrom) and node.module:
                pairs = [(node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                pairs = [(node.value.id, node.attr)]
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {m}.{n}" for m, n in pairs if (m, n) in newer]
            if isinstance(node, ast.Name) and node.id in ("ExceptionGroup", "BaseExceptionGroup"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.id}")
    assert found == []
