"""Docs are tested (CONVENTIONS 11): every command has --help text and a README example."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from addin.cli import COMMANDS
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Fences pair up from the top, so a ```toml block's closing fence never opens a shell block.
CODE = "\n".join(body for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", README, flags=re.S | re.M)
                 if lang in ("", "sh", "bash", "console"))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_has_help(command):
    out = subprocess.run([sys.executable, "-m", "addin.cli", command, "--help"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"Usage: orderdesk {command}" in out.stdout
    assert len(out.stdout.splitlines()) > 5


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_has_readme_example(command):
    assert re.search(rf"^orderdesk {command}\b", CODE, flags=re.M), f"README has no example of 'orderdesk {command}'"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    assert blocks[0].strip() == "python3 -m pip install -e . && orderdesk demo --out demo"
    test_command = blocks[1].strip()
    assert test_command == 'python3 -m pip install -e ".[test]" && python3 -m pytest'
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_version():
    out = subprocess.run([sys.executable, "-m", "addin.cli", "--version"], capture_output=True, text=True)
    from addin.version import __version__
    assert out.stdout.strip() == f"orderdesk, version {__version__}"
