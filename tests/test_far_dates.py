"""Issue 14, item 5: dates outside pandas' range. A `9999-12-31` text date (an ERP's 'no date') is
read as empty and counted; date options far outside 1900-2199 are usage errors; the monthly job's
default month before 1900 is one `Error:` line. Never an internal error."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter

HEAD = "订单号,客户,物料号,数量,客户交期,承诺交期,实际出货日期\n"


def cli(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=cwd, env=env)


def no_crash(out: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr


@pytest.fixture
def far_csv(tmp_path: Path) -> Path:
    path = tmp_path / "far.csv"
    path.write_text(HEAD + "PO-1,A,P1,5,2026-03-01,9999-12-31,2026-03-02\n"
                           "PO-2,B,P2,7,9999-12-31,,\n"
                           "PO-3,C,P3,7,2026-03-01,,9999/12/31\n", encoding="utf-8")
    return path


def test_text_9999_12_31_is_no_date_and_counted(far_csv: Path):
    out = cli("check", far_csv)
    no_crash(out)
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert "rows: read 3 = valid 3 + issues 0 + blank/total 0" in lines
    for note in ("note: 客户交期: 1 cell holds no date ('9999-12-31' ×1; first at far!E3) — read as empty, the lines kept",
                 "note: 承诺交期: 1 cell holds no date ('9999-12-31' ×1; first at far!F2) — read as empty, the lines kept",
                 "note: 实际出货日期: 1 cell holds no date ('9999/12/31' ×1; first at far!G4) — read as empty, the lines"
                 " kept"):
        assert note in lines
    out = cli("otd", far_csv, "--as-of", "2026-11-20", "--format", "json")
    no_crash(out)
    figures = json.loads(out.stdout)
    assert figures["excluded"]["no_due_date"] == 1          # PO-2: its only due date was 9999-12-31
    assert figures["total"]["lines"] == 2 and figures["total"]["late"] == 2   # PO-3 is still open, late


def test_text_9999_12_31_in_a_workbook(tmp_path: Path):
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("Orders")
    days = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEAD.strip().split(","))
    sheet.write_row(1, 0, ["PO-1", "A", "P1", 5])
    sheet.write_datetime(1, 4, dt.datetime(2026, 10, 1), days)
    sheet.write_string(1, 5, "9999-12-31")
    book.close()
    for command in (["check", path], ["report", path, "--month", "2026-10", "--as-of", "2026-11-20", "--out",
                                      tmp_path / "r.xlsx"], ["risk", path, "--as-of", "2026-11-20", "--out",
                                                             tmp_path / "k.xlsx"]):
        out = cli(*command)
        no_crash(out)
        assert out.returncode == 0, out.stderr
    assert ("note: 承诺交期: 1 cell holds no date ('9999-12-31' ×1; first at Orders!F2) — read as empty, the lines kept"
            in cli("check", path).stdout.splitlines())


# a date cell of 9999-12-31 (timestamp[ms]) was cast to datetime64[ns] unchecked and wrapped to
# 1816-03-29: an unshipped line counted as shipped on time. Now a placeholder for "no date".
def test_date_cell_9999_12_31_is_no_date(tmp_path: Path):
    path = tmp_path / "far-cell.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Orders")
    days = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEAD.strip().split(","))
    sheet.write_row(1, 0, ["PO-1", "A", "P1", 5])
    sheet.write_datetime(1, 4, dt.datetime(2026, 10, 1), days)
    sheet.write_datetime(1, 6, dt.datetime(9999, 12, 31), days)
    book.close()
    out = cli("otd", path, "--as-of", "2026-11-20", "--format", "json")
    assert out.returncode == 0
    total = json.loads(out.stdout)["total"]
    assert (total["on_time"], total["late"]) == (0, 1)       # not shipped: open and late, never 'on time'
    checked = cli("check", path)
    assert ("note: 实际出货日期: 1 cell holds no date ('9999-12-31' ×1; first at Orders!G2) — read as empty, "
            "the lines kept") in checked.stdout.splitlines()


OUTSIDE = "is outside the {what}s OrderDesk works with (1900-01-01 to 2199-12-31)"


@pytest.mark.parametrize("args,message", [
    (["otd", "{ledger}", "--as-of", "0001-01-01"], "'0001-01-01' " + OUTSIDE.format(what="date")),
    (["otd", "{ledger}", "--from", "0001-01-01"], "'0001-01-01' " + OUTSIDE.format(what="date")),
    (["otd", "{ledger}", "--month", "9999-12"], "'9999-12' " + OUTSIDE.format(what="month")),
    (["otd", "{ledger}", "--late-tolerance", str(10 ** 12)], "1000000000000 is not in the range 0<=x<=3650."),
    (["monthly", "--config", "{config}", "--as-of", "0001-01-15"], "'0001-01-15' " + OUTSIDE.format(what="date")),
    (["monthly", "--config", "{config}", "--month", "9999-12"], "'9999-12' " + OUTSIDE.format(what="month")),
])
def test_date_options_far_outside_are_usage_errors(far_csv: Path, args, message):
    config = far_csv.parent / "orderdesk.toml"
    config.write_text('[ledger]\npath = "far.csv"\n[mail]\nhost = "127.0.0.1"\nport = 2525\nsender = "r@example.com"\n'
                      'to = ["a@example.com"]\n', encoding="utf-8")
    out = cli(*[a.format(ledger=far_csv, config=config) for a in args])
    no_crash(out)
    assert out.returncode == 2
    assert out.stderr.splitlines()[-1].endswith(message), out.stderr


def test_monthly_as_of_in_january_1900_is_one_error_line(far_csv: Path):
    config = far_csv.parent / "orderdesk.toml"
    config.write_text('[ledger]\npath = "far.csv"\n[mail]\nhost = "127.0.0.1"\nport = 2525\nsender = "r@example.com"\n'
                      'to = ["a@example.com"]\n', encoding="utf-8")
    out = cli("monthly", "--config", config, "--as-of", "1900-01-15", "--dry-run")
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == ("Error: month 1899-12 is before 1900-01, the first month OrderDesk works with — give --month"
                          " or an --as-of date from 1900-02-01 on\n")
    assert not (far_csv.parent / "reports").exists()


@pytest.mark.parametrize("args", [
    ["risk", "{ledger}", "--out", "o.xlsx", "--horizon"],
    ["notice", "{ledger}", "--customer", "A", "--out", "o.xlsx", "--horizon"],
    ["report", "{ledger}", "--month", "2026-10", "--out", "o.xlsx", "--major-days"],
    ["escalate", "{ledger}", "--major-days"],
    ["review", "{ledger}", "--quotes", "{ledger}", "--out", "o.xlsx", "--inspection-days"],
    ["review", "{ledger}", "--quotes", "{ledger}", "--out", "o.xlsx", "--transport-days"],
    ["plan", "{ledger}", "--bom", "{ledger}", "--stock", "{ledger}", "--out", "o.xlsx", "--inspection-days"],
    ["changes", "{ledger}", "{ledger}", "--out", "o.xlsx", "--transport-days"],
], ids=lambda a: f"{a[0]}{a[-1]}")
def test_every_day_count_option_is_bounded(far_csv: Path, args):
    """One rule for every day count (as --late-tolerance): 10**12 is wrong usage, not a run that
    fails deep inside or silently gives no promise date."""
    out = cli(*[a.format(ledger=far_csv) for a in args], str(10 ** 12), cwd=far_csv.parent)
    no_crash(out)
    assert out.returncode == 2
    low = 1 if args[-1] == "--major-days" and args[0] == "escalate" else 0
    assert out.stderr.splitlines()[-1].endswith(f"1000000000000 is not in the range {low}<=x<=3650."), out.stderr
    assert not (far_csv.parent / "o.xlsx").exists()
