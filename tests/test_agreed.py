"""The `agreed` due-date basis (SPEC section 11): the customer's agreed changes reset the
baseline (our first commitment), our own re-commits do not. On a hand-worked ledger, in the
engine, `orderdesk otd`, the monthly workbook's ladder and OD_OTD."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from addin.compute.changes import diff_ledgers
from addin.compute.otd import OtdSettings, classify, due_dates, otd_ladder, with_agreed_changes
from addin.defaults import BASES, LADDER_BASES
from tests.test_udfs import MISSING, call, serial, udfs  # noqa: F401  (udfs is a fixture)

ROOT = Path(__file__).resolve().parent.parent
D = dt.datetime
AS_OF = dt.date(2026, 10, 31)
HEADER = ["订单号", "行号", "客户", "料号", "订单数量", "客户交期", "首次承诺交期", "承诺交期", "客户变更交期", "实际出货日期"]
# requested 10-05 on every line; what each basis makes of it is worked out per line
LINES = [
    # we first promised 10-08, re-committed to 10-12 (our drift), shipped 10-12: late against the
    # first promise (4 d) and against the agreed date (no customer change: the first promise)
    ["SO-1", "1", "ACME", "A", 10, D(2026, 10, 5), D(2026, 10, 8), D(2026, 10, 12), None, D(2026, 10, 12)],
    # the customer postponed to 10-20 (agreed), we re-promised 10-20, shipped 10-20: on time under
    # agreed; 12 days late against the first promise, 15 against the request
    ["SO-2", "1", "ACME", "A", 10, D(2026, 10, 5), D(2026, 10, 8), D(2026, 10, 20), D(2026, 10, 20), D(2026, 10, 20)],
    # no promise at all, shipped on the requested day: on time under every basis
    ["SO-3", "1", "ACME", "A", 10, D(2026, 10, 5), None, None, None, D(2026, 10, 5)],
    # agreed 10-15, shipped 10-17: 2 days late under agreed, on time under the latest promise 10-18
    ["SO-4", "1", "ACME", "A", 10, D(2026, 10, 5), D(2026, 10, 9), D(2026, 10, 18), D(2026, 10, 15), D(2026, 10, 17)],
]


def frame() -> pd.DataFrame:
    names = ["order_no", "line_no", "customer", "part_no", "qty", "requested_date", "first_promised_date",
             "promised_date", "agreed_date", "ship_date"]
    return pd.DataFrame([dict(zip(names, row)) for row in LINES]).astype(
        {c: "datetime64[ns]" for c in names if c.endswith("_date")})


def write_ledger(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("订单跟踪")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(LINES, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, dates)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def test_agreed_is_a_basis_and_a_rung_of_the_ladder():
    assert "agreed" in BASES
    assert LADDER_BASES == ("requested", "first_promised", "agreed", "promised")


def test_agreed_due_dates_by_hand():
    due = due_dates(frame(), "agreed")
    assert [d.date() for d in due] == [dt.date(2026, 10, 8), dt.date(2026, 10, 20), dt.date(2026, 10, 5),
                                       dt.date(2026, 10, 15)]


def test_agreed_outcomes_and_ladder_by_hand():
    c = classify(frame(), AS_OF, OtdSettings(basis="agreed"))
    assert c["outcome"].tolist() == ["late", "on_time", "on_time", "late"]
    assert c["days_late"].tolist()[0] == 4 and c["days_late"].tolist()[3] == 2
    ladder = otd_ladder(frame(), AS_OF)
    assert list(ladder.index) == list(LADDER_BASES)
    # requested: SO-3 only (1/4); first promise: SO-3 (1/4); agreed: SO-2, SO-3 (2/4);
    # latest promise: all four (4/4)
    assert ladder["otd"].tolist() == pytest.approx([0.25, 0.25, 0.5, 1.0])
    assert ladder["late"].tolist() == [3, 3, 2, 0]


def test_requested_date_changes_found_by_changes_set_the_agreed_date():
    # last week's copy and today's: the customer moved SO-1 to 10-14 (an agreed change); we moved
    # our promise of SO-4 (our re-commit: no agreed change); no agreed-date column in either
    old = frame().drop(columns=["agreed_date"])
    new = old.copy()
    new.loc[0, "requested_date"] = pd.Timestamp(2026, 10, 14)
    new.loc[3, "promised_date"] = pd.Timestamp(2026, 10, 25)
    diff = diff_ledgers(old, new)
    assert sorted(diff.changes["kind"]) == ["promised_date", "requested_date"]
    agreed = with_agreed_changes(new, diff.changes)
    assert [None if pd.isna(d) else d.date() for d in agreed["agreed_date"]] == [dt.date(2026, 10, 14), None,
                                                                                   None, None]
    outcomes = classify(agreed, AS_OF, OtdSettings(basis="agreed"))["outcome"].tolist()
    # SO-1 shipped 10-12 before the agreed 10-14: on time; SO-2 without its agreed date falls back
    # to the first promise 10-08: late; SO-4 against its first promise 10-09: late
    assert outcomes == ["on_time", "late", "on_time", "late"]


def test_an_agreed_date_written_in_the_ledger_wins_over_a_change():
    changes = pd.DataFrame([{"order_no": "so-2", "line_no": "01", "kind": "requested_date",
                             "old": dt.date(2026, 10, 5), "new": dt.date(2026, 10, 30)}])
    agreed = with_agreed_changes(frame(), changes)
    assert agreed.loc[1, "agreed_date"] == pd.Timestamp(2026, 10, 20)


def orderdesk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_otd_basis_agreed_end_to_end(tmp_path: Path):
    ledger = write_ledger(tmp_path / "台账.xlsx")
    check = orderdesk("check", str(ledger))
    assert "agreed_date            <- 客户变更交期" in check.stdout
    run = orderdesk("otd", str(ledger), "--basis", "agreed", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["basis"] == "agreed"
    assert got["total"] == {"lines": 4, "on_time": 2, "late": 2, "early": 0, "pending": 0, "otd": 0.5,
                            "otif": None, "avg_days_late": 3.0}


def test_config_basis_agreed(tmp_path: Path):
    ledger = write_ledger(tmp_path / "台账.xlsx")
    config = tmp_path / "orderdesk.toml"
    config.write_text('[otd]\nbasis = "agreed"\n', encoding="utf-8")
    run = orderdesk("otd", str(ledger), "--config", str(config), "--as-of", AS_OF.isoformat(), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["total"]["on_time"] == 2


def test_report_ladder_has_the_agreed_rung(tmp_path: Path):
    ledger = write_ledger(tmp_path / "台账.xlsx")
    out = tmp_path / "OTD-2026-10.xlsx"
    run = orderdesk("report", str(ledger), "--month", "2026-10", "--as-of", AS_OF.isoformat(), "--lang", "en",
                    "--out", str(out))
    assert run.returncode == 0, run.stderr
    wb = openpyxl.load_workbook(out)
    summary = wb["Summary"]
    rungs = {}
    for row in summary.iter_rows():
        label = row[0].value
        if label in ("Requested date", "First promise", "Agreed date (customer changes reset it)", "Latest promise"):
            rungs[label] = row
    assert list(rungs) == ["Requested date", "First promise", "Agreed date (customer changes reset it)",
                           "Latest promise"]
    agreed = rungs["Agreed date (customer changes reset it)"]
    assert "OrderData[outcome_agreed]" in agreed[1].value and "OrderData[month_agreed]" in agreed[1].value
    # the cached values (what a viewer that does not recalculate shows)
    cached = openpyxl.load_workbook(out, data_only=True)["Summary"]
    values = {r[0].value: (r[1].value, r[2].value) for r in cached.iter_rows() if r[0].value in rungs}
    assert values == {"Requested date": (0.25, 4), "First promise": (0.25, 4),
                      "Agreed date (customer changes reset it)": (0.5, 4), "Latest promise": (1, 4)}
    data = wb["Data"]
    header = [c.value for c in data[1]]
    assert {"agreed_date", "due_agreed", "month_agreed", "outcome_agreed"} <= set(header)
    col = header.index("outcome_agreed")
    assert [data.cell(r, col + 1).value for r in range(2, 6)] == ["late", "on_time", "on_time", "late"]


def test_od_otd_basis_agreed(udfs):
    table = [tuple(HEADER)] + [tuple(serial(v.date()) if isinstance(v, dt.datetime) else v for v in row)
                               for row in LINES]
    result = call(udfs, "OD_OTD", tuple(table), "customer", "agreed")
    assert result[0][:5] == ["customer", "lines", "on_time", "late", "early"]
    assert result[1][:4] == ["ACME", 4, 2, 2] and result[1][6] == 0.5
    bad = call(udfs, "OD_OTD", tuple(table), "customer", "confirmed")
    assert bad[0][0] == ("#ORDERDESK: basis 'confirmed' is not known: use one of promised, requested, "
                         "first_promised, agreed")
