"""`orderdesk addin ...` through the real entry point."""
from __future__ import annotations

import sys

import pytest

from addin.cli import main
from addin.commands.addin import config_lines


@pytest.mark.skipif(sys.platform.startswith("win") or sys.platform == "darwin", reason="Linux behaviour")
@pytest.mark.parametrize("command", ["install", "status"])
def test_install_and_status_without_excel_exit_2(command, capsys):
    assert main(["addin", command]) == 2
    assert capsys.readouterr().err == ("Excel is not available on this system (linux): the add-in can be built "
                                       "here but installed only on Windows or macOS.\n")


def test_build_writes_three_files(tmp_path, capsys):
    assert main(["addin", "build", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ContractReview.xlsm", "OrderDesk.xlam", "OrderLedger.xlsm"]
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / n) for n in
                                                    ("OrderDesk.xlam", "OrderLedger.xlsm", "ContractReview.xlsm")]


def test_addin_help_has_an_example(capsys):
    assert main(["addin", "--help"]) == 0
    out = capsys.readouterr().out
    assert "orderdesk addin build --out dist" in out and "install" in out


def test_config_lines_replace_our_keys_and_keep_others():
    existing = '"INTERPRETER_WIN","C:\\old\\python.exe"\n"CONDA PATH","C:\\conda"\n"udf modules","x"\n'
    out = config_lines(existing, {"INTERPRETER_WIN": "C:\\py\\pythonw.exe", "UDF Modules": "addin.excel.udfs"})
    assert out == ('"CONDA PATH","C:\\conda"\n"INTERPRETER_WIN","C:\\py\\pythonw.exe"\n'
                   '"UDF Modules","addin.excel.udfs"\n')

