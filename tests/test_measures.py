"""SPEC section 13 end to end: filters, order-level OTD/OTIF and the open order book (backlog),
on real .xlsx ledgers written here and read back through the command line."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter

D = dt.datetime
HEADER = ["订单号", "行号", "客户", "料号", "跟单员", "订单数量", "单价", "承诺交期", "实际出货日期", "出货数量", "状态"]
# as of 2026-04-30; worked by hand below
LINES = [
    # order SO-1 (ACME): line 1 on time in full, line 2 on time but short -> order on time, not in full
    ["SO-1", "1", "ACME", "A-100", "Li Na", 100, 2.0, D(2026, 3, 10), D(2026, 3, 9), 100, "已出货"],
    ["SO-1", "2", "ACME", "A-200", "Li Na", 50, 4.0, D(2026, 3, 12), D(2026, 3, 12), 40, "已出货"],
    # order SO-2 (ACME): line 1 on time, line 2 two days late -> order late, 2 days
    ["SO-2", "1", "ACME", "A-100", "Wang Qiang", 10, 2.0, D(2026, 3, 20), D(2026, 3, 20), 10, "已出货"],
    ["SO-2", "2", "ACME", "A-300", "Wang Qiang", 20, None, D(2026, 3, 25), D(2026, 3, 27), 20, "已出货"],
    # order SO-3 (Beta): open, overdue since 04-20 -> late (10 days at 04-30); backlog overdue 30
    ["SO-3", "1", "Beta", "B-1", "Li Na", 30, 5.0, D(2026, 4, 20), None, None, "生产中"],
    # order SO-4 (Beta): on time in full; and a line due in June: open, not overdue
    ["SO-4", "1", "Beta", "A-100", "Li Na", 60, 2.0, D(2026, 4, 2), D(2026, 4, 1), 60, "已出货"],
    ["SO-4", "2", "Beta", "B-1", "Li Na", 25, 5.0, D(2026, 6, 1), None, None, "待排产"],
    # cancelled: never open, never measured
    ["SO-5", "1", "=HYPERLINK(\"x\")", "B-1", "Li Na", 5, 5.0, D(2026, 3, 1), None, None, "已取消"],
]


def write_ledger(path: Path, lines=LINES, header=HEADER) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("订单跟踪")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, header)
    for r, row in enumerate(lines, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, dates)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def orderdesk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=180)


def as_json(*args: str):
    proc = orderdesk(*args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "ledger.xlsx")


# ------------------------------------------------------------------------------- order level

def test_order_level_figures_by_hand(ledger: Path):
    line = as_json("otd", str(ledger), "--as-of", "2026-04-30")
    # lines: SO-1/1, SO-1/2, SO-2/1, SO-4/1 on time; SO-2/2 and SO-3/1 late
    assert line["total"] == {"lines": 6, "on_time": 4, "late": 2, "early": 0, "pending": 0, "otd": 0.6667,
                             "otif": 0.5, "avg_days_late": 6.0}
    assert "level" not in line
    order = as_json("otd", str(ledger), "--as-of", "2026-04-30", "--level", "order", "--by", "customer")
    assert order["level"] == "order"
    # orders: SO-1 on time not in full, SO-2 late (2 d), SO-3 late (10 d), SO-4 on time in full
    # (its June line is not yet due: outside the cohort)
    assert order["total"] == {"lines": 4, "on_time": 2, "late": 2, "early": 0, "pending": 0, "otd": 0.5,
                              "otif": 0.25, "avg_days_late": 6.0}
    assert order["groups"] == [
        {"customer": "ACME", "lines": 2, "on_time": 1, "late": 1, "early": 0, "pending": 0, "otd": 0.5,
         "otif": 0.0, "avg_days_late": 2.0},
        {"customer": "Beta", "lines": 2, "on_time": 1, "late": 1, "early": 0, "pending": 0, "otd": 0.5,
         "otif": 0.5, "avg_days_late": 10.0}]
    assert order["excluded"] == line["excluded"] == {"cancelled": 1, "no_due_date": 0, "not_yet_due": 1}
    assert order["rows"] == line["rows"]


def test_an_order_counts_once_per_month_it_has_lines_in(ledger: Path):
    order = as_json("otd", str(ledger), "--as-of", "2026-04-30", "--level", "order", "--by", "month")
    assert [(g["month"], g["lines"], g["on_time"], g["late"]) for g in order["groups"]] == [
        ("2026-03", 2, 1, 1), ("2026-04", 2, 1, 1)]
    assert order["total"]["lines"] == 4      # the total counts each order once


def test_order_level_table_says_what_it_counts(ledger: Path):
    proc = orderdesk("otd", str(ledger), "--as-of", "2026-04-30", "--level", "order", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1] == ("Order level: each order counts once, on time (in full) only when all its lines are; "
                        "Lines counts orders")
    assert lines[-1].startswith("Rows: read 8 = valid 8")
    assert "Measured 6 lines" in proc.stdout      # the headline still counts lines measured


def test_order_level_row_in_the_monthly_workbook(ledger: Path, tmp_path: Path):
    out = tmp_path / "OTD-2026-03.xlsx"
    proc = orderdesk("report", str(ledger), "--month", "2026-03", "--as-of", "2026-04-30", "--lang", "en",
                     "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    ws = openpyxl.load_workbook(out)["Summary"]
    rows = [[c.value for c in row[:6]] for row in ws.iter_rows()]
    row = next(r for r in rows if r[0] == "Order level (all lines on time)")
    assert row[1:] == [0.5, 2, 1, 1, 0]      # March: SO-1 on time, SO-2 late


# ------------------------------------------------------------------------------- filters

def test_each_filter_selects_lines_before_measuring(ledger: Path):
    base = ("otd", str(ledger), "--as-of", "2026-04-30")
    acme = as_json(*base, "--customer", "acme")                    # case aside
    assert acme["total"]["lines"] == 4 and acme["filter"] == {"customer": ["acme"]}
    part = as_json(*base, "--part", "A-100")
    assert part["total"]["lines"] == 3 and part["total"]["on_time"] == 3
    owner = as_json(*base, "--owner", "Wang Qiang")
    assert (owner["total"]["lines"], owner["total"]["late"]) == (2, 1)
    both = as_json(*base, "--customer", "ACME", "--customer", "Beta", "--part", "B-1")
    assert (both["total"]["lines"], both["total"]["late"]) == (1, 1)     # SO-3 only


def test_supplier_filter_on_a_purchase_ledger(tmp_path: Path):
    header = ["采购单号", "行号", "供应商", "料号", "采购数量", "承诺交期", "实际到货日期", "实收数量"]
    rows = [["PO-1", "1", "Acme Semi", "IC-7", 100, D(2026, 3, 1), D(2026, 3, 1), 100],
            ["PO-2", "1", "Acme Semi", "IC-8", 100, D(2026, 3, 1), D(2026, 3, 5), 100],
            ["PO-3", "1", "Delta Passives", "R-1", 100, D(2026, 3, 1), D(2026, 3, 1), 100]]
    path = write_ledger(tmp_path / "po.xlsx", rows, header)
    figures = as_json("otd", str(path), "--as-of", "2026-04-30", "--supplier", "acme semi")
    assert (figures["total"]["lines"], figures["total"]["late"]) == (2, 1)
    proc = orderdesk("otd", str(path), "--as-of", "2026-04-30", "--supplier", "Delta")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: --supplier 'Delta' matches no line; closest supplier values: 'Delta Passives'"


def test_a_filter_matching_nothing_names_the_closest_values(ledger: Path):
    proc = orderdesk("otd", str(ledger), "--as-of", "2026-04-30", "--customer", "AMCE")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: --customer 'AMCE' matches no line; closest customer values: 'ACME'"
    proc = orderdesk("backlog", str(ledger), "--part", "Z-999")
    assert proc.stderr.strip() == ("Error: --part 'Z-999' matches no line; the ledger's part_no values include "
                                   "'A-100', 'A-200', 'A-300', 'B-1'")
    proc = orderdesk("otd", str(ledger), "--customer", "ACME", "--part", "B-1")
    assert proc.stderr.strip() == ("Error: no line matches --customer ACME --part B-1 together: each value is "
                                   "present, but on different lines — drop one of the filters")
    proc = orderdesk("otd", str(ledger), "--supplier", "X")
    assert proc.stderr.strip() == "Error: --supplier 'X' matches no line: the ledger has no supplier column (or it is empty)"


def test_filters_from_the_config_file_and_a_config_sheet(ledger: Path, tmp_path: Path):
    config = tmp_path / "orderdesk.toml"
    config.write_text('[filter]\ncustomer = "Beta"\n', encoding="utf-8")
    figures = as_json("otd", str(ledger), "--as-of", "2026-04-30", "--config", str(config))
    assert figures["filter"] == {"customer": ["Beta"]} and figures["total"]["lines"] == 2
    # an option given on the command line wins over the file
    figures = as_json("otd", str(ledger), "--as-of", "2026-04-30", "--config", str(config), "--customer", "ACME")
    assert figures["filter"] == {"customer": ["ACME"]} and figures["total"]["lines"] == 4
    config.write_text('[filter]\nregion = "North"\n', encoding="utf-8")
    proc = orderdesk("otd", str(ledger), "--config", str(config))
    assert proc.returncode == 1 and "[filter] unknown key 'region'" in proc.stderr

    from addin.config import SettingRow, settings_from_pairs
    settings = settings_from_pairs([SettingRow("filter.customer", "ACME; Beta Co, Ltd", "b, Config!B2", "b, Config!A2"),
                                    SettingRow("filter.part", 1234.0, "b, Config!B3", "b, Config!A3")])
    assert settings.filters.customer == ("ACME", "Beta Co, Ltd") and settings.filters.part == ("1234",)


def test_filtered_report_and_risk_copy(ledger: Path, tmp_path: Path):
    out = tmp_path / "beta.xlsx"
    proc = orderdesk("report", str(ledger), "--month", "2026-04", "--as-of", "2026-04-30", "--lang", "en",
                     "--customer", "Beta", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = openpyxl.load_workbook(out)["Data"]
    customers = {row[2] for row in data.iter_rows(min_row=2, values_only=True) if row[0]}
    assert customers == {"Beta"}
    copy = tmp_path / "risk.xlsx"
    proc = orderdesk("risk", str(ledger), "--as-of", "2026-04-30", "--owner", "Wang Qiang", "--out", str(copy),
                     "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    ws = openpyxl.load_workbook(copy).active
    risk_col = [c.value for c in ws[1]].index("Risk") + 1 if "Risk" in [c.value for c in ws[1]] else ws.max_column
    risks = [ws.cell(r, risk_col).value for r in range(2, 10)]
    assert risks[2:4] == ["done", "done"]                          # SO-2, Wang Qiang's lines
    assert all(v in (None, "") for i, v in enumerate(risks) if i not in (2, 3))


# ------------------------------------------------------------------------------- backlog

def test_backlog_by_hand(ledger: Path):
    figures = as_json("backlog", str(ledger), "--as-of", "2026-04-30")
    # open: SO-1/2 short by 10 (A-200, 4.0), SO-3/1 30 overdue (B-1, 5.0), SO-4/2 25 due in June
    assert figures["groups"] == [
        {"customer": "Beta", "part_no": "B-1", "month": "2026-04", "open_lines": 1, "open_qty": 30.0,
         "open_value": 150.0, "overdue_lines": 1, "overdue_qty": 30.0, "overdue_value": 150.0, "unpriced_lines": 0},
        {"customer": "ACME", "part_no": "A-200", "month": "2026-03", "open_lines": 1, "open_qty": 10.0,
         "open_value": 40.0, "overdue_lines": 1, "overdue_qty": 10.0, "overdue_value": 40.0, "unpriced_lines": 0},
        {"customer": "Beta", "part_no": "B-1", "month": "2026-06", "open_lines": 1, "open_qty": 25.0,
         "open_value": 125.0, "overdue_lines": 0, "overdue_qty": 0.0, "overdue_value": 0.0, "unpriced_lines": 0}]
    assert figures["total"] == {"open_lines": 3, "open_qty": 65.0, "open_value": 315.0, "overdue_lines": 2,
                                "overdue_qty": 40.0, "overdue_value": 190.0, "unpriced_lines": 0}


def test_backlog_value_unknown_without_a_price(tmp_path: Path):
    lines = [row[:] for row in LINES]
    lines[4][6] = None                       # SO-3 has no price
    path = write_ledger(tmp_path / "noprice.xlsx", lines)
    figures = as_json("backlog", str(path), "--as-of", "2026-04-30", "--by", "customer")
    beta = next(g for g in figures["groups"] if g["customer"] == "Beta")
    assert beta["open_qty"] == 55.0 and beta["open_value"] is None and beta["unpriced_lines"] == 1
    assert figures["total"]["open_value"] is None
    proc = orderdesk("backlog", str(path), "--as-of", "2026-04-30", "--by", "customer", "--lang", "en")
    assert "1 open lines have no unit price: the value of their groups is unknown" in proc.stdout
    assert "n/a" in proc.stdout


def test_backlog_csv_cells_are_safe(tmp_path: Path):
    lines = [row[:] for row in LINES]
    lines[4][2] = "=cmd|' /C calc'!A0"        # a customer name a spreadsheet would run
    path = write_ledger(tmp_path / "evil.xlsx", lines)
    proc = orderdesk("backlog", str(path), "--as-of", "2026-04-30", "--by", "customer", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["customer", "open_lines", "open_qty", "open_value", "overdue_lines", "overdue_qty",
                       "overdue_value", "unpriced_lines"]
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[1][2] == "30.0"
    assert rows[-1][0] == "Total"


def _sample_ledger(tmp_path: Path) -> Path:
    from addin.demo.samples import write_ledger as write_sample
    return write_sample(tmp_path / "sample.xlsx", "en")


def test_backlog_sums_against_pandas_on_the_sample_ledger(tmp_path: Path):
    from addin.readers import read
    path = _sample_ledger(tmp_path)
    as_of = dt.date(2026, 4, 30)
    figures = as_json("backlog", str(path), "--as-of", as_of.isoformat(), "--by", "customer,month")
    data = read(path, "ledger").data
    # the rule written again in plain pandas: delivered = shipped qty (all once shipped without one)
    shipped = data["ship_date"].notna() & (data["ship_date"] <= pd.Timestamp(as_of))
    delivered = data["shipped_qty"].where(data["shipped_qty"].notna(), np.where(
        shipped | (data["status"] == "shipped"), data["qty"], 0.0))
    delivered = delivered.where(~(data["ship_date"] > pd.Timestamp(as_of)), 0.0)
    frame = data.assign(open_qty=(data["qty"] - delivered).clip(lower=0))
    frame = frame.loc[~frame["status"].isin(["cancelled", "closed"]) & (frame["open_qty"] > 0)]
    due = frame["promised_date"].fillna(frame["requested_date"])
    frame = frame.assign(month=due.dt.strftime("%Y-%m"), value=frame["open_qty"] * frame["unit_price"],
                         overdue=due < pd.Timestamp(as_of))
    expected = frame.groupby(["customer", "month"]).agg(open_lines=("open_qty", "size"),
                                                         open_qty=("open_qty", "sum"), open_value=("value", "sum"))
    overdue = frame.loc[frame["overdue"]].groupby(["customer", "month"])["open_qty"].sum()
    got = {(g["customer"], g["month"]): g for g in figures["groups"]}
    assert set(got) == set(expected.index)
    for key, row in expected.iterrows():
        assert got[key]["open_lines"] == row["open_lines"]
        assert got[key]["open_qty"] == pytest.approx(row["open_qty"])
        assert got[key]["open_value"] == pytest.approx(row["open_value"])
        assert got[key]["overdue_qty"] == pytest.approx(overdue.get(key, 0.0))
    assert figures["total"]["open_qty"] == pytest.approx(frame["open_qty"].sum())
    assert figures["total"]["overdue_qty"] == pytest.approx(frame.loc[frame["overdue"], "open_qty"].sum())
    # overdue groups come first
    flags = [g["overdue_qty"] > 0 for g in figures["groups"]]
    assert flags == sorted(flags, reverse=True) and any(flags)


def test_backlog_sheet_of_the_monthly_workbook(tmp_path: Path):
    path = _sample_ledger(tmp_path)
    out = tmp_path / "OTD-2026-03.xlsx"
    proc = orderdesk("report", str(path), "--month", "2026-03", "--as-of", "2026-04-30", "--lang", "zh",
                     "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    ws = openpyxl.load_workbook(out)["未交订单"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert list(rows[0]) == ["客户", "料号", "交期月份", "未交行数", "逾期未交数量", "逾期未交金额", "未交数量", "未交金额"]
    figures = as_json("backlog", str(path), "--as-of", "2026-04-30")
    body = [r for r in rows[1:] if r[0] is not None]
    assert len(body) == len(figures["groups"]) + 1
    for r, g in zip(body, figures["groups"]):
        assert (r[0], r[1], r[2], r[3], r[4], r[6]) == (g["customer"], g["part_no"], g["month"], g["open_lines"],
                                                        g["overdue_qty"], g["open_qty"])
    assert body[-1][0] == "合计" and body[-1][6] == figures["total"]["open_qty"]


def test_a_line_without_currency_is_no_currency(tmp_path: Path):
    """Found by tests/test_fuzz.py: a currency column with an empty cell among text crashed the
    report ('<' between str and float: pandas 3 keeps missing text as NaN) and printed NaN, which
    is not JSON, in backlog --format json."""
    header = HEADER + ["币种"]
    lines = [row + [cur] for row, cur in zip(LINES, ["CNY", None, "USD", None, "CNY", "CNY", None, None])]
    path = write_ledger(tmp_path / "ledger.xlsx", lines, header)
    proc = orderdesk("backlog", str(path), "--as-of", "2026-04-30", "--by", "customer,currency", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    groups = json.loads(proc.stdout)["groups"]           # strict JSON: NaN would not parse as null
    # open: SO-1/2 (ACME, 10 short, no currency), SO-3 (Beta, CNY), SO-4/2 (Beta, no currency)
    assert {(g["customer"], g["currency"]) for g in groups} == {("ACME", None), ("Beta", "CNY"), ("Beta", None)}
    assert "NaN" not in proc.stdout
    out = tmp_path / "report.xlsx"
    done = orderdesk("report", str(path), "--month", "2026-03", "--as-of", "2026-04-30", "--out", str(out),
                     "--lang", "en")
    assert done.returncode == 0, done.stderr
    backlog = openpyxl.load_workbook(out)["Backlog"]
    assert "nan" not in {str(c).strip().casefold() for row in backlog.iter_rows(values_only=True) for c in row}


def test_a_missing_currency_does_not_make_a_group_mixed():
    """pandas 3 reads a text column with blanks as strings with NaN: the blank cell is no
    currency, not a currency 'NAN' that makes the customer's lines look mixed (value unknown)."""
    import pandas as pd
    from addin.compute.backlog import backlog
    ledger = pd.DataFrame({"order_no": ["SO-1", "SO-2", "SO-3"], "customer": ["ACME", "ACME", "ACME"],
                           "qty": [10.0, 5.0, 1.0], "unit_price": [2.0, 3.0, 4.0],
                           "currency": pd.Series(["USD", None, " usd"], dtype="str"),
                           "promised_date": pd.to_datetime(["2026-05-10", "2026-05-20", "2026-05-30"])})
    table = backlog(ledger, dt.date(2026, 4, 30), by=["customer"])
    assert table["open_value"].tolist() == [39.0, 39.0]           # the group and the total
    assert table.attrs["mixed_currencies"] == ["USD"]
