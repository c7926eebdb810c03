"""SPEC section 13, lead times: order date to completion, median and 90th percentile by customer and
part, against the quoted lead time — percentiles checked against numpy, a hand-worked ledger and
quote book written as .xlsx and read back through the command line."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from test_deliveries import write_book

D = dt.datetime
AS_OF = "2026-03-31"
HEADER = ["Order No", "Line", "Customer", "Part No", "Qty", "Order Date", "Promised Date", "Ship Date",
          "Shipped Qty", "Status"]
LINES = [
    ["SO1", "1", "ACME", "P1", 100, D(2026, 3, 2), D(2026, 3, 20), D(2026, 3, 12), 100, "shipped"],   # 10 days
    ["SO2", "1", "ACME", "P1", 500, D(2026, 3, 2), D(2026, 3, 20), D(2026, 3, 20), 500, "shipped"],   # 18 days
    ["SO3", "1", "ACME", "P1", 100, D(2026, 3, 9), D(2026, 3, 20), D(2026, 3, 13), 100, "shipped"],   # 4 days
    ["SO4", "1", "BETA", "P2", 10, D(2026, 3, 2), D(2026, 3, 31), D(2026, 3, 30), 10, "shipped"],     # 28 days
    ["SO5", "1", "BETA", "P2", 10, None, D(2026, 3, 31), D(2026, 3, 30), 10, "shipped"],              # no order date
    ["SO6", "1", "BETA", "P2", 10, D(2026, 3, 5), D(2026, 3, 31), D(2026, 3, 1), 10, "shipped"],      # before order
    ["SO7", "1", "BETA", "P2", 10, D(2026, 3, 2), D(2026, 3, 31), D(2026, 3, 20), 5, "open"],         # short, open
    ["SO8", "1", "BETA", "P2", 10, D(2026, 3, 2), D(2026, 3, 31), D(2026, 3, 3), 10, "cancelled"],
]
QUOTE_HEADER = ["Quote No", "Customer", "Part No", "Break Qty", "Unit Price", "Lead Time"]
QUOTES = [["Q1", "ACME", "P1", 1, 2.0, 5], ["Q1", "ACME", "P1", 500, 1.8, 10], ["Q2", "BETA", "P2", 1, 3.0, 15]]


def cli(*args: object) -> str:
    out = subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_book(tmp_path / "ledger.xlsx", "Orders", HEADER, LINES)


def test_median_and_90th_percentile_against_numpy():
    from addin.compute.leadtimes import lead_times
    rng = np.random.default_rng(7)
    n = 500
    order = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    days = rng.integers(0, 90, n)
    frame = pd.DataFrame({"customer": rng.choice(["A", "B", "C"], n), "part_no": rng.choice(["X", "Y"], n),
                          "qty": 1.0, "order_date": order, "ship_date": order + pd.to_timedelta(days, unit="D"),
                          "shipped_qty": 1.0})
    table = lead_times(frame, dt.date(2027, 1, 1))
    for row in table.to_dict("records"):
        keep = np.ones(n, dtype=bool) if row["is_total"] else \
            (frame["customer"] == row["customer"]).to_numpy() & (frame["part_no"] == row["part_no"]).to_numpy()
        assert row["lines"] == keep.sum()
        assert row["median_days"] == np.median(days[keep])
        assert row["p90_days"] == pytest.approx(np.percentile(days[keep], 90))
    assert len(table) == 3 * 2 + 1


def test_hand_worked_lead_times_against_quotes(ledger, tmp_path):
    quotes = write_book(tmp_path / "quotes.xlsx", "Quotes", QUOTE_HEADER, QUOTES)
    got = json.loads(cli("otd", ledger, "--as-of", AS_OF, "--lead-times", "--quotes", quotes, "--calendar",
                         "mon-fri", "--format", "json", "--no-cache"))["lead_times"]
    # ACME/P1: 10, 18, 4 days; quoted 5 (qty 100), 10 (qty 500: the 500 break), 5 working days:
    # due by 03-09, 03-16, 03-16 -> only SO3 (03-13) within. BETA/P2: 28 days, quoted 15 -> 03-23, not within.
    assert got == {
        "by": ["customer", "part_no"],
        "groups": [{"customer": "ACME", "part_no": "P1", "lines": 3, "median_days": 10.0, "p90_days": 16.4,
                    "quoted_days": 5.0, "quoted_lines": 3, "within_quote": 0.3333},
                   {"customer": "BETA", "part_no": "P2", "lines": 1, "median_days": 28.0, "p90_days": 28.0,
                    "quoted_days": 15.0, "quoted_lines": 1, "within_quote": 0.0}],
        "total": {"lines": 4, "median_days": 14.0, "p90_days": 25.0, "quoted_days": 7.5, "quoted_lines": 4,
                  "within_quote": 0.25},
        "excluded": {"no_order_date": 1, "before_order_date": 1}}
    assert np.percentile([10, 18, 4], 90) == pytest.approx(16.4) and np.percentile([10, 18, 4, 28], 90) == 25.0


def test_lead_times_table_and_without_quotes(ledger, tmp_path):
    out = cli("otd", ledger, "--as-of", AS_OF, "--lead-times", "--lang", "en", "--no-cache")
    lines = out.splitlines()
    start = lines.index("Lead times (order date to completion, calendar days)")
    rows = [ln.split() for ln in lines[start + 3:start + 7]]
    assert lines[start + 1].split() == ["Customer", "Part", "No", "Lines", "Median", "(days)", "90th", "pct", "(days)"]
    assert rows[0] == ["ACME", "P1", "3", "10.0", "16.4"]
    assert rows[1] == ["BETA", "P2", "1", "28.0", "28.0"]
    assert rows[3] == ["Total", "4", "14.0", "25.0"]
    assert lines[start + 7] == "Not counted: 1 lines without an order date, 1 completed before their order date"
    plain = json.loads(cli("otd", ledger, "--as-of", AS_OF, "--format", "json", "--no-cache"))
    assert "lead_times" not in plain          # SPEC 6's object unchanged unless asked
    quotes = write_book(tmp_path / "quotes.xlsx", "Quotes", QUOTE_HEADER, QUOTES)
    quoted = cli("otd", ledger, "--as-of", AS_OF, "--lead-times", "--quotes", quotes, "--calendar", "mon-fri",
                 "--lang", "en", "--no-cache").splitlines()
    assert quoted[start + 3].split() == ["ACME", "P1", "3", "10.0", "16.4", "5.0", "3", "33.3%"]


def test_a_line_delivered_in_parts_completes_when_its_quantity_is_reached(tmp_path):
    from test_deliveries import DELIVERIES, DELIVERY_HEADER, LEDGER, LEDGER_HEADER
    ledger = write_book(tmp_path / "ledger.xlsx", "Orders", LEDGER_HEADER, LEDGER)
    deliveries = write_book(tmp_path / "deliveries.xlsx", "Deliveries", DELIVERY_HEADER, DELIVERIES)
    got = json.loads(cli("otd", ledger, "--deliveries", deliveries, "--as-of", AS_OF, "--lead-times", "--format",
                         "json", "--no-cache"))["lead_times"]
    # SO1/1 ordered 02-01, completed 03-15 (42 days; not 03-05, its first part); SO1/2 02-01 -> 03-09 (36);
    # SO2/1 02-05 -> 03-02 (25); SO3/1 not complete: no lead time yet
    assert [(g["customer"], g["part_no"], g["median_days"]) for g in got["groups"]] == [
        ("ACME", "P1", 42.0), ("ACME", "P2", 36.0), ("BETA", "P1", 25.0)]
    assert got["total"]["lines"] == 3


def test_report_has_the_lead_times_sheet(ledger, tmp_path):
    out = tmp_path / "OTD-2026-03.xlsx"
    cli("report", ledger, "--month", "2026-03", "--as-of", AS_OF, "--out", out, "--lang", "zh", "--no-cache")
    ws = openpyxl.load_workbook(out)["交货周期"]
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if any(v is not None for v in r)]
    assert rows[0] == ("客户", "料号", "已交齐行数", "中位数（天）", "90 分位（天）")
    assert rows[1:4] == [("ACME", "P1", 3, 10, 16.4), ("BETA", "P2", 1, 28, 28), ("合计", "", 4, 14, 25)]
    assert rows[4][0] == "未计入：无下单日期 1 行，交齐日期早于下单日期 1 行"


def test_quoted_lead_the_customers_own_quote_first_then_one_for_any_customer():
    from addin.compute.leadtimes import quoted_lead
    lines = pd.DataFrame({"customer": ["ACME", "BETA", "BETA", "beta "], "part_no": ["P1", "P1", "P9", "p1"],
                          "qty": [50.0, 5.0, 1.0, 20.0]})
    quotes = pd.DataFrame({"customer": ["ACME", None, None], "part_no": ["P1", "P1", "P1"],
                           "min_qty": [100.0, 1.0, 10.0], "lead_time_days": [7.0, 12.0, 9.0]})
    # ACME at 50 reaches none of its own breaks: the lowest (7); BETA has no quote of its own: the one for
    # any customer at its break (5 -> 12; 20 -> 9, names trimmed and case-folded); P9 has none
    np.testing.assert_array_equal(quoted_lead(lines, quotes), [7.0, 12.0, np.nan, 9.0])
