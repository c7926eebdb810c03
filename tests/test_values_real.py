"""Value forms of real exports and hand-kept ledgers (SPEC sections 2 and 9, issue 12 item 4):
each form written into a real .xlsx (as the text or typed cell a user's file holds) and a .csv,
read back through addin.readers.read or the `orderdesk check` command."""
from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from addin.errors import ConfigError
from addin.readers import read
from addin.readers.table import Mapping

T = pd.Timestamp
HEADER = ["订单号", "客户", "料号", "数量", "订单日期", "客户交期", "出货日期"]


def write_xlsx(path: Path, header: list, rows: list[list], sheet: str = "订单") -> Path:
    """Cells as given: str as text, numbers as numbers, datetime as a date cell."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    ws = book.add_worksheet(sheet)
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for c, h in enumerate(header):
        ws.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, v, date_fmt)
            else:
                ws.write_number(r, c, v)
    book.close()
    return path


def write_csv(path: Path, header: list, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def both(tmp_path: Path, header: list, rows: list[list], **kw):
    """The same rows as .xlsx and as .csv, each read back."""
    return [read(write_xlsx(tmp_path / "in.xlsx", header, rows), "ledger", **kw),
            read(write_csv(tmp_path / "in.csv", header, rows), "ledger", **kw)]


def line(no, order, due, ship=None):
    return [no, "ACME", "A-1", "10", order, due, ship]


def messages(res) -> list[str]:
    return [f"{i.severity}: {i}" for i in res.issues]


# --- forms --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Friday, April 8, 2022", T(2022, 4, 8)),          # the 57,096-line export of the issue
    ("Fri, 8 Apr 2022", T(2022, 4, 8)),
    ("April 8 2022", T(2022, 4, 8)),
    ("8 April 2022", T(2022, 4, 8)),
    ("20260415", T(2026, 4, 15)),
    ("2026-04-14 09:30:32", T(2026, 4, 14)),            # a date-time: the day counts
    ("2026-04-14T09:30:32Z", T(2026, 4, 14)),
    ("4/14/2026 9:30", T(2026, 4, 14)),                 # Olist re-saved by Excel: M/D/YYYY H:MM
    ("2026年4月14日 星期二", T(2026, 4, 14)),
    ("115/04/30", T(2026, 4, 30)),                      # ROC year 115 = 2026
    ("115.04.30", T(2026, 4, 30)),
    ("民國115年4月30日", T(2026, 4, 30)),
    ("民国115年4月30日", T(2026, 4, 30)),
    ("民國99年1月2日", T(2010, 1, 2)),
])
def test_each_date_form_reads(tmp_path, text, expected):
    for res in both(tmp_path, HEADER, [line("PO-1", "2026-01-05", text)]):
        assert res.rows.as_dict() == {"read": 1, "valid": 1, "issues": 0, "blank_or_total": 0}, res.issues
        assert res.data["requested_date"].tolist() == [expected]


def test_yyyymmdd_typed_as_a_number_in_xlsx(tmp_path):
    res = read(write_xlsx(tmp_path / "n.xlsx", HEADER, [line("PO-1", 20260105, 20260415)]), "ledger")
    assert res.data["order_date"].tolist() == [T(2026, 1, 5)]
    assert res.data["requested_date"].tolist() == [T(2026, 4, 15)]
    assert res.issues == []


def test_a_bad_long_date_is_named_exactly(tmp_path):
    res = read(write_csv(tmp_path / "b.csv", HEADER, [line("PO-1", "2026-01-05", "Friday, April 31, 2022")]),
               "ledger")
    assert messages(res) == ["error: b!F2: requested_date 'Friday, April 31, 2022': not a date"]
    assert res.rows.as_dict() == {"read": 1, "valid": 0, "issues": 1, "blank_or_total": 0}


# --- a date without a year ----------------------------------------------------------------

def test_year_less_order_date_takes_its_year_from_the_due_date_of_its_row(tmp_path):
    """The issue's real case: the only line's order date is '4月30' and its due date the
    serial 46147 (2026-05-05): the line reads, the order date in 2026."""
    rows = [["P2025-01", "星河", "A-1", "4.000", "4月30", 46147, None]]
    res = read(write_xlsx(tmp_path / "one.xlsx", HEADER, rows), "ledger")
    assert res.rows.as_dict() == {"read": 1, "valid": 1, "issues": 0, "blank_or_total": 0}
    assert res.data["order_date"].tolist() == [T(2026, 4, 30)]
    assert res.data["requested_date"].tolist() == [T(2026, 5, 5)]


def test_year_less_dates_take_the_year_closest_to_their_own_row(tmp_path):
    rows = [line("PO-1", "2025-12-10", "1月15"),      # after a December order: next January
            line("PO-2", "2026-06-01", "6/14"),
            line("PO-3", "2026-11-20", "1月15日"),
            line("PO-4", "12月28", "2027-01-10"),      # the order date from the due date of its row
            line("PO-5", None, "4月30")]               # no other date in the row: the file's year (2026)
    for res in both(tmp_path, HEADER, rows):
        assert res.issues == []
        assert res.data["requested_date"].tolist() == [T(2026, 1, 15), T(2026, 6, 14), T(2027, 1, 15),
                                                       T(2027, 1, 10), T(2026, 4, 30)]
        assert res.data["order_date"].tolist()[3] == T(2026, 12, 28)


def test_year_less_date_with_no_other_date_anywhere_is_an_issue(tmp_path):
    res = read(write_csv(tmp_path / "y.csv", HEADER, [line("PO-1", None, "4月30")]), "ledger")
    assert messages(res) == ["error: y!F2: requested_date '4月30': a date without a year, and no order date "
                             "to take it from"]


# --- placeholders ---------------------------------------------------------------------------

def test_placeholders_are_read_as_empty_counted_and_noted_never_rejected(tmp_path):
    rows = [line("PO-1", "2026-01-05", "2026-02-01", "9999-12-31"),
            line("PO-2", "2026-01-05", "2026-02-01", "N/A"),
            line("PO-3", "2026-01-05", "TBD", "Date Not Captured"),
            line("PO-4", "2026-01-05", "待定", "N/A - From RDC"),
            line("PO-5", "2026-01-05", "2026-02-01", "Pre-PQ Process"),
            line("PO-6", "2026-01-05", "2026-02-01", "Pre-PQ Process"),
            line("PO-7", "2026-01-05", "2026-02-01", "2026-02-03")]
    for res in both(tmp_path, HEADER, rows):
        assert res.rows.as_dict() == {"read": 7, "valid": 7, "issues": 0, "blank_or_total": 0}
        assert res.issues == []
        assert res.data["ship_date"].isna().tolist() == [True] * 6 + [False]
        assert res.placeholders == {"requested_date": 2, "ship_date": 6}
        sheet = res.sheet
        assert res.notes == [
            f"客户交期: 2 cells hold no date ('TBD' ×1, '待定' ×1; first at {sheet}!F4) — read as empty, "
            f"the lines kept",
            f"出货日期: 6 cells hold no date ('Pre-PQ Process' ×2, '9999-12-31' ×1, 'N/A' ×1 and 2 other texts;"
            f" first at {sheet}!G2) — read as empty, the lines kept"]


def test_a_one_off_word_is_not_a_date_but_a_recurring_marker_is_a_placeholder(tmp_path):
    rows = [line("PO-1", "2026-01-05", "某天"), line("PO-2", "2026-01-05", "2026-02-01")]
    res = read(write_csv(tmp_path / "w.csv", HEADER, rows), "ledger")
    assert messages(res) == ["error: w!F2: requested_date '某天': not a date"]


def test_a_placeholder_in_a_required_date_is_an_issue(tmp_path):
    path = write_xlsx(tmp_path / "po.xlsx", ["采购单号", "料号", "数量", "到货日期"],
                      [["PO-1", "M-1", 5, "TBD"], ["PO-2", "M-1", 5, "2026-12-01"]], sheet="在途采购")
    res = read(path, "purchases")
    assert messages(res) == ["error: 在途采购!D2: due_date 'TBD': holds no date (a date is required here)"]


def test_check_json_counts_placeholders(tmp_path):
    path = write_csv(tmp_path / "ph.csv", HEADER, [line("PO-1", "2026-01-05", "2026-02-01", "N/A"),
                                                  line("PO-2", "2026-01-05", "2026-02-01", "2026-02-01")])
    out = subprocess.run([sys.executable, "-m", "addin.cli", "check", str(path), "--kind", "ledger",
                          "--format", "json"], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert report["rows"] == {"read": 2, "valid": 2, "issues": 0, "blank_or_total": 0}
    assert report["placeholders"] == {"ship_date": 1}
    assert report["notes"] == ["出货日期: 1 cell holds no date ('N/A' ×1; first at ph!G2) — read as empty, "
                               "the lines kept"]


# --- date_format in a mapping ---------------------------------------------------------------

def test_date_format_for_every_date_column(tmp_path):
    """05/04/2026 alone is ambiguous (month/day is the default guess); the mapping says
    day/month, and no ambiguity note is left."""
    rows = [line("PO-1", "05/04/2026", "06/05/2026"), line("PO-2", "01/02/2026", "03/04/2026")]
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    guessed = read(path, "ledger")
    assert guessed.data["order_date"].tolist() == [T(2026, 5, 4), T(2026, 1, 2)]
    assert any("ambiguous" in n for n in guessed.notes)
    res = read(path, "ledger", mapping=Mapping.from_dict({"date_format": "%d/%m/%Y"}))
    assert res.data["order_date"].tolist() == [T(2026, 4, 5), T(2026, 2, 1)]
    assert res.data["requested_date"].tolist() == [T(2026, 5, 6), T(2026, 4, 3)]
    assert res.notes == []


def test_date_format_per_field(tmp_path):
    rows = [line("PO-1", "05.04.2026", "2026-05-06"), line("PO-2", "01.02.2026", "20260403")]
    toml = tmp_path / "map.toml"
    toml.write_text('[date_format]\norder_date = "%d.%m.%Y"\nrequested_date = ["%Y-%m-%d", "%Y%m%d"]\n',
                    encoding="utf-8")
    for res in both(tmp_path, HEADER, rows, mapping=toml):
        assert res.data["order_date"].tolist() == [T(2026, 4, 5), T(2026, 2, 1)]
        assert res.data["requested_date"].tolist() == [T(2026, 5, 6), T(2026, 4, 3)]


@pytest.mark.parametrize("raw, message", [
    ({"date_format": "dd/mm/yyyy"}, "m: date_format must be a strptime format such as \"%d/%m/%Y\" or a list of them"),
    ({"date_format": "%m/%Y"}, "m: date_format: '%m/%Y' is not a date format (no day (%d))"),
    ({"date_format": {"qty": "%d/%m/%Y"}}, "m: [date_format] 'qty' is not a date field OrderDesk knows"),
])
def test_bad_date_format_is_a_config_error(raw, message):
    with pytest.raises(ConfigError) as err:
        Mapping.from_dict(raw, "m")
    assert str(err.value) == message


# --- a due date derived from a date and a day count ---------------------------------------

DERIVED_HEADER = ["Order Id", "Customer", "Item", "Qty", "Order Date", "Days for shipment (scheduled)", "Ship Date"]


def test_derived_due_date_calendar_days_string_form(tmp_path):
    rows = [["1", "ACME", "A", "1", "2026-04-30", "4", "2026-05-04"],
            ["2", "ACME", "A", "1", "2026-04-30 21:05", "0", None],
            ["3", "ACME", "A", "1", "2026-04-30", "", None],          # no day count: no due date
            ["4", "ACME", "A", "1", "2026-04-30", "two", None],
            ["5", "ACME", "A", "1", "2026-04-31", "2", None]]
    toml = tmp_path / "map.toml"
    toml.write_text('[columns]\nrequested_date = "Order Date + Days for shipment (scheduled)"\n', encoding="utf-8")
    for res in both(tmp_path, DERIVED_HEADER, rows, mapping=toml):
        sheet = res.sheet
        assert res.columns["requested_date"] == "Order Date + Days for shipment (scheduled)"
        assert res.data["requested_date"].tolist()[:2] == [T(2026, 5, 4), T(2026, 4, 30)]
        assert pd.isna(res.data["requested_date"].iat[2])
        assert messages(res) == [f"error: {sheet}!F5: requested_date 'two': not a number of days",
                                 f"error: {sheet}!E6: order_date '2026-04-31': not a date",
                                 f"error: {sheet}!E6: requested_date '2026-04-31': not a date"]


def test_derived_due_date_working_days(tmp_path):
    """Thursday 2026-04-30 + 3 working days: Friday 1 May is Labour Day in China (1-5 May off,
    Saturday 9 May a make-up working day), a weekday on a Monday-Friday calendar."""
    rows = [["1", "ACME", "A", "1", "2026-04-30", "3", None]]
    for calendar, due in (("cn", T(2026, 5, 8)), ("mon-fri", T(2026, 5, 5))):
        mapping = Mapping.from_dict({"columns": {"requested_date": {
            "from": "order date", "plus_days": "Days for shipment (scheduled)", "days": "working",
            "calendar": calendar}}})
        res = read(write_csv(tmp_path / "w.csv", DERIVED_HEADER, rows), "ledger", mapping=mapping)
        assert res.data["requested_date"].tolist() == [due], calendar


def test_derived_due_date_names_a_missing_column(tmp_path):
    mapping = Mapping.from_dict({"columns": {"requested_date": "Order Date + Days for shipping (sched)"}})
    with pytest.raises(ConfigError) as err:
        read(write_csv(tmp_path / "m.csv", DERIVED_HEADER, [["1", "ACME", "A", "1", "2026-04-30", "3", None]]),
             "ledger", mapping=mapping)
    assert str(err.value) == ("mapping: [columns] requested_date = 'Order Date + Days for shipping (sched)': no "
                              "column 'Days for shipping (sched)' in the header of sheet 'm' (row 1) (closest: "
                              "'Days for shipment (scheduled)')")


@pytest.mark.parametrize("spec, message", [
    ({"from": "Order Date"}, "m: [columns] requested_date: give the date column and the day-count column, e.g. "
                             "{from = \"Order Date\", plus_days = \"Days for shipment (scheduled)\"}"),
    ({"from": "A", "plus_days": "B", "days": "weekdays"}, "m: [columns] requested_date: days must be "
                                                            "\"calendar\" or \"working\""),
    ({"from": "A", "plus_days": "B", "start": "C"}, "m: [columns] requested_date: unknown key 'start' "
                                                     "(expected: from, plus_days, days, calendar)"),
])
def test_bad_derived_spec_is_a_config_error(spec, message):
    with pytest.raises(ConfigError) as err:
        Mapping.from_dict({"columns": {"requested_date": spec}}, "m")
    assert str(err.value) == message


@pytest.mark.realdata
def test_dataco_due_date_derived_and_otd_measured(real_data, tmp_path):
    """DataCo carries no due-date column: the due date is the order date + 'Days for shipment
    (scheduled)'. With that mapping every line reads and the OTD is measured; the late count
    is worked out here from the raw CSV with plain Python (days real > days scheduled, the
    cancelled and suspected-fraud orders left out, as the status mapping says)."""
    path = real_data / "DataCoSupplyChainDataset_6k_sample.csv"
    toml = tmp_path / "dataco.toml"
    toml.write_text((Path(__file__).parent / "maps" / "dataco.toml").read_text(encoding="utf-8").replace(
        'requested_date = "order date (DateOrders)"',
        'requested_date = "order date (DateOrders) + Days for shipment (scheduled)"'), encoding="utf-8")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        raw = list(csv.DictReader(fh))
    counted = [r for r in raw if r["Order Status"] not in ("CANCELED", "SUSPECTED_FRAUD")]
    late = sum(int(r["Days for shipping (real)"]) > int(r["Days for shipment (scheduled)"]) for r in counted)

    res = read(path, "ledger", mapping=toml)
    assert res.rows.as_dict() == {"read": len(raw), "valid": len(raw), "issues": 0, "blank_or_total": 0}
    due = (res.data["requested_date"] - res.data["order_date"].dt.normalize()).dt.days
    assert due.tolist() == [int(r["Days for shipment (scheduled)"]) for r in raw]

    out = subprocess.run([sys.executable, "-m", "addin.cli", "otd", str(path), "--map", str(toml),
                          "--as-of", "2019-01-01", "--format", "json"], capture_output=True, text=True, check=True)
    total = json.loads(out.stdout)["total"]
    assert (total["lines"], total["late"], total["on_time"]) == (len(counted), late, len(counted) - late)
    assert total["otd"] == round(1 - late / len(counted), 4)
    # the published figure (54.83 % of all 180,519 rows late) is of the whole data; the sample's own:
    assert 0.5 < late / len(counted) < 0.62
