"""Hostile and awkward files through the commands users run: one `Error:` line naming the file,
exit status 1 (or a normal result for readable files), no traceback, bounded memory and time,
and the file untouched (issue 8)."""
from __future__ import annotations

import hashlib
import importlib.util
import resource
import subprocess
import sys

import pytest

from tests import hostile

COMMANDS = [c for c in ("check", "otd", "risk", "report") if importlib.util.find_spec(f"addin.commands.{c}")]
EXTRA = {"risk": ["--out", "{tmp}/risk.xlsx"], "report": ["--month", "2026-10", "--out", "{tmp}/report.xlsx"],
         "otd": ["--as-of", "2026-11-20"]}


def _limit_memory():  # 2 GiB of address space for the whole command
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(command: str, path, tmp_path) -> subprocess.CompletedProcess:
    extra = [a.format(tmp=tmp_path) for a in EXTRA.get(command, [])]
    return subprocess.run([sys.executable, "-m", "addin.cli", command, str(path), *extra], capture_output=True,
                          text=True, timeout=180, preexec_fn=_limit_memory)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return {make.__name__: make(folder) for make in hostile.ALL}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("make", hostile.REFUSED, ids=lambda m: m.__name__)
def test_refused_file_gets_one_error_line(corpus, make, command, tmp_path):
    path = corpus[make.__name__]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = run(command, path, tmp_path)
    assert out.returncode == 1, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path.name}"), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert hostile.XXE_SECRET not in out.stderr + out.stdout
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("*.xlsx")), "no output may be left behind"


@pytest.mark.parametrize("make", hostile.READABLE, ids=lambda m: m.__name__)
def test_readable_awkward_file_never_crashes(corpus, make, tmp_path):
    path = corpus[make.__name__]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = run("check", path, tmp_path)
    assert out.returncode in (0, 1), out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    if out.returncode == 1:
        assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith(f"Error: {path.name}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
