"""Honest results (SPEC section 9, issue 12): what cannot be measured is unknown with its reason,
never 0; a file of which no row is usable is exit 1 with the three commonest reasons, for
`otd`, `report`, `risk` and the monthly job alike. Real .xlsx files written here and read back."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter

from addin.config import load_config
from addin.errors import InputError
from addin.jobs.monthly import build_with_report_writer, run_monthly
from addin.readers import read
from addin.readers.usable import require_usable, unusable_reasons
from test_mail_support import start_server, write_config  # noqa: F401

D = dt.datetime


def write_book(path: Path, header: list[str], rows: list[list], sheet: str = "订单") -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet)
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, dates)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=180)


# --------------------------------------------------------------------------- nothing usable

BAD_HEADER = ["订单号", "客户", "料号", "数量", "客户交期", "出货日期"]


def bad_rows() -> list[list]:
    """Every row rejected, for four reasons of different frequency: 6 bad due dates (E), 4 bad
    ship dates (F), 3 text quantities (D), 2 negative quantities (D)."""
    rows = []
    for i in range(6):
        rows.append([f"PO-{i}", "ACME", "A-1", 10, f"Friday, {i} Smarch", None])
    for i in range(4):
        rows.append([f"PO-S{i}", "ACME", "A-1", 10, D(2026, 10, 1), "next week"])
    for i in range(3):
        rows.append([f"PO-Q{i}", "ACME", "A-1", "ten", D(2026, 10, 1), None])
    for i in range(2):
        rows.append([f"PO-N{i}", "ACME", "A-1", -5, D(2026, 10, 1), None])
    return rows


@pytest.fixture
def bad_ledger(tmp_path: Path) -> Path:
    return write_book(tmp_path / "ledger.xlsx", BAD_HEADER, bad_rows())


EXPECTED = ("Error: ledger.xlsx: no usable order line (15 rows read): 6 'not a date' in 订单!E2 …; "
            "4 'not a date' in 订单!F8 …; 3 'not a number' in 订单!D12 …\n")


def test_require_usable_names_the_three_commonest_reasons(bad_ledger: Path):
    result = read(bad_ledger, "ledger")
    assert result.rows.valid == 0
    assert unusable_reasons(result, top=4) == ["6 'not a date' in 订单!E2 …", "4 'not a date' in 订单!F8 …",
                                               "3 'not a number' in 订单!D12 …",
                                               "2 'must not be negative' in 订单!D15 …"]
    with pytest.raises(InputError) as err:
        require_usable(result)
    assert str(err.value) == EXPECTED[len("Error: "):-1]
    assert err.value.file == "ledger.xlsx"


def test_a_file_with_only_blank_rows_says_so(tmp_path: Path):
    path = write_book(tmp_path / "empty.xlsx", BAD_HEADER, [])
    with pytest.raises(InputError) as err:
        require_usable(read(path, "ledger"))
    assert str(err.value) == "empty.xlsx: no usable order line (0 rows read): no data rows under the header of sheet 订单"


def test_one_usable_row_is_enough(tmp_path: Path):
    path = write_book(tmp_path / "one.xlsx", BAD_HEADER, bad_rows() + [["PO-OK", "ACME", "A-1", 1, D(2026, 10, 1), None]])
    require_usable(read(path, "ledger"))       # no error


@pytest.mark.parametrize("command", [
    ["otd"], ["otd", "--format", "json"], ["report", "--month", "2026-10", "--out", "{out}"],
    ["risk", "--out", "{out}"]])
def test_nothing_usable_is_exit_1_with_the_reasons(bad_ledger: Path, command: list[str]):
    out = bad_ledger.parent / "out.xlsx"
    proc = cli(command[0], str(bad_ledger), *[a.format(out=out) for a in command[1:]], "--as-of", "2026-11-01")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == EXPECTED
    assert not out.exists()                     # no empty report left behind


def test_monthly_job_stops_before_writing_or_sending(tmp_path: Path):
    srv = start_server(tmp_path)
    try:
        write_book(tmp_path / "ledger.xlsx", BAD_HEADER, bad_rows())
        config = load_config(write_config(tmp_path, srv.port, ledger=tmp_path / "ledger.xlsx"))
        with pytest.raises(InputError) as err:
            build_with_report_writer(config, dt.date(2026, 10, 1), dt.date(2026, 11, 1), "en",
                                     tmp_path / "OTD.xlsx")
        assert str(err.value) == EXPECTED[len("Error: "):-1]
        with pytest.raises(InputError):
            run_monthly(config, as_of=dt.date(2026, 11, 1))
        assert srv.handler.messages == []       # nothing e-mailed
        assert not (tmp_path / "reports" / "OTD-2026-10.xlsx").exists()
    finally:
        srv.controller.stop()
