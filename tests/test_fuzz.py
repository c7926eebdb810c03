"""Fuzzing the readers, the OTD engine and the commands with generated ledgers (issue 8).

Ledgers are drawn with random header orders, Chinese and English aliases (from
addin/data/aliases.toml), optional columns, mixed value types per column (numbers, text
numbers, dates in every form of SPEC section 2, Excel serials, garbage), title rows, blank and
total rows, and awkward Unicode, and are written as real .xlsx (XlsxWriter or openpyxl) and .csv
files. Whatever the file: only OrderDeskError escapes, `read = valid + issues + blank_or_total`,
and `check`, `otd`, `report`, `risk` return 0 or 1 without a traceback.

CI runs a bounded number of examples; `python bench/fuzz.py --examples 2000` runs many more.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import tempfile
import tomllib
import traceback
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.errors import OrderDeskError

AS_OF = dt.date(2026, 4, 20)

with resources.files("addin.data").joinpath("aliases.toml").open("rb") as _fh:
    LEDGER_ALIASES: dict[str, list[str]] = tomllib.load(_fh)["ledger"]

REQUIRED = ("order_no", "customer", "part_no", "qty")
DATES = ("requested_date", "promised_date", "first_promised_date", "ship_date", "order_date",
         "planned_warehouse_date", "actual_warehouse_date")
NUMBERS = ("qty", "shipped_qty", "unit_price")
OPTIONAL = ("line_no", "description", "revision", "status", "owner", "priority", "exception_type",
            "exception_note", "currency", "shipped_qty", "unit_price", "order_date", "first_promised_date",
            "ship_date", "planned_warehouse_date", "actual_warehouse_date")

# --------------------------------------------------------------------------- values

UNICODE_BITS = ["客户甲", "深圳市某某电子有限公司", "📦🚚", "עברית", "مرحبا", "e\u0301\u0301", "\u3000全角\u3000",
                "Ｆｕｌｌ", "\u200b", "\ufeffBOM", "ß", "İ", "𠜎"]
SPECIAL = ["=1+1", "+1", "-1", "@A1", '=HYPERLINK("http://x")', "http://evil", "\t", "\r", "\n",
           "<r>rich</r>", "<r><t>x</t></r>",
           "合计", "小计", "Total", "TOTAL", "总计", "Sum", "N/A", "#N/A", "#REF!", "-", "—", "?", "null", "None"]
STATUS = ["open", "shipped", "closed", "cancelled", "in progress", "待排产", "生产中", "已出货", "已完成", "关闭",
          "已取消", "取消", "Delivered", "???", "部分出货"]

text_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
free_text = st.one_of(st.text(text_chars, max_size=12), st.sampled_from(UNICODE_BITS + SPECIAL + STATUS))


def _date_texts(d: dt.date) -> list[str]:
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month:02d}.{d.day:02d}",
            f"{d.day:02d}-{months[d.month - 1]}-{d.year % 100:02d}", f"{d.month}/{d.day}/{d.year}",
            f"{d.day}/{d.month}/{d.year}", f"{d.month}月{d.day}", f"{d.month}月{d.day}日",
            f"{d.year}年{d.month}月{d.day}日", f"{d.isoformat()} 08:30:00", f"{d.year}{d.month:02d}{d.day:02d}"]


some_date = st.dates(dt.date(1995, 1, 1), dt.date(2035, 12, 31))
date_value = st.one_of(
    some_date.map(lambda d: dt.datetime(d.year, d.month, d.day)),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)),
    st.tuples(some_date, st.integers(0, 10)).map(lambda t: _date_texts(t[0])[t[1]]),
    st.floats(-10, 80_000, allow_nan=False).map(lambda x: round(x, 3)),        # Excel serials and nonsense
    st.integers(-5, 3_000_000),
    st.sampled_from(["31/02/2026", "2026-13-01", "0000-00-00", "13月45日", "yesterday", "", " ", "TBD", "待定"]),
    free_text)
number_value = st.one_of(
    st.integers(-1000, 10**7), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["4.000", "1,200", "１２０", "1 200", "12pcs", "-3", "0", "1e3", "½", "١٢", "", "  ", "NaN", "inf"]),
    st.integers(0, 10**6).map(str), free_text)
text_value = st.one_of(free_text, st.integers(-10**6, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                       some_date.map(lambda d: dt.datetime(d.year, d.month, d.day)))


good_date = st.one_of(some_date.map(lambda d: dt.datetime(d.year, d.month, d.day)),
                      st.tuples(some_date, st.integers(0, 8)).map(lambda t: _date_texts(t[0])[t[1]]))
good_number = st.one_of(st.integers(1, 100_000), st.sampled_from(["4.000", "1,200", "１２０", "7"]))
good_text = st.one_of(st.from_regex(r"[A-Z]{1,3}-[0-9]{1,4}", fullmatch=True), st.sampled_from(UNICODE_BITS[:10]))


GOOD = {**{f: good_date for f in DATES}, **{f: good_number for f in NUMBERS}, "status": st.sampled_from(STATUS)}


def value_for(fld: str):
    """Mostly values a real ledger holds (so lines get through to the engine), sometimes anything."""
    if fld in DATES:
        good, anything = good_date, date_value
    elif fld in NUMBERS:
        good, anything = good_number, number_value
    elif fld == "status":
        good, anything = st.sampled_from(STATUS), free_text
    else:
        good, anything = good_text, text_value
    return st.one_of(good, good, good, good, anything, st.none())   # one_of picks a branch uniformly


# --------------------------------------------------------------------------- ledgers

@dataclass
class LedgerSpec:
    fmt: str                        # xlsx-xlsxwriter | xlsx-openpyxl | csv-utf-8 | csv-utf-8-sig | csv-gb18030
    title_rows: list[list[Any]]
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.fmt}: {len(self.title_rows)} title rows, header {self.header}, {len(self.rows)} rows"


@st.composite
def ledgers(draw) -> LedgerSpec:
    fields = list(REQUIRED)
    fields += draw(st.sets(st.sampled_from(OPTIONAL), max_size=8))
    fields.append(draw(st.sampled_from(("requested_date", "promised_date"))))
    if draw(st.booleans()):
        fields.append("promised_date" if fields[-1] == "requested_date" else "requested_date")
    if draw(st.integers(0, 9)) == 0:                       # sometimes a required column is missing
        fields.remove(draw(st.sampled_from(REQUIRED)))
    fields = list(dict.fromkeys(fields))
    order = draw(st.permutations(fields))
    header = [draw(st.sampled_from(LEDGER_ALIASES[f])) for f in order]
    # aliases of two fields can collide (Item vs Item No): keep the first of each header text
    seen: set[str] = set()
    keep = [i for i, h in enumerate(header) if not (h.casefold() in seen or seen.add(h.casefold()))]
    order, header = [order[i] for i in keep], [header[i] for i in keep]
    if draw(st.booleans()):                               # headers with spaces, case and full-width noise
        header = [draw(st.sampled_from([h, h.upper(), f" {h} ", h.replace(" ", "\n"), h + "\u3000"])) for h in header]
    if draw(st.integers(0, 4)) == 0:                      # an unrelated extra column
        at = draw(st.integers(0, len(header)))
        header.insert(at, draw(st.sampled_from(["备注2", "Extra", "", "说明"])))
        order.insert(at, None)
    title_rows = draw(st.lists(st.lists(st.one_of(st.none(), free_text), min_size=1, max_size=3), max_size=3))
    n = draw(st.integers(0, 12))
    rows = []
    for _ in range(n):
        kind = draw(st.sampled_from(["clean"] * 4 + ["messy"] * 3 + ["blank", "total"]))
        if kind == "blank":
            rows.append([None] * len(header))
        elif kind == "total":
            row: list[Any] = [None] * len(header)
            row[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(["合计", "小计", "Total", "总计", "合  计"]))
            if "qty" in order:
                row[order.index("qty")] = draw(st.integers(0, 10**6))
            rows.append(row)
        elif kind == "clean":   # a line as a careful coordinator types it
            rows.append([draw(GOOD.get(f, good_text) if f in REQUIRED or f in DATES[:2] or f in NUMBERS
                              else st.one_of(GOOD.get(f, good_text), st.none())) if f else None for f in order])
        else:
            rows.append([draw(value_for(f) if f else st.one_of(st.none(), free_text)) for f in order])
    fmt = draw(st.sampled_from(["xlsx-xlsxwriter", "xlsx-openpyxl", "csv-utf-8", "csv-utf-8-sig", "csv-gb18030"]))
    return LedgerSpec(fmt, title_rows, header, rows)


def write_spec(spec: LedgerSpec, folder: Path) -> Path:
    rows = spec.title_rows + [spec.header] + spec.rows
    if spec.fmt.startswith("csv"):
        path = folder / "ledger.csv"
        encoding = spec.fmt[4:]
        with open(path, "w", newline="", encoding=encoding, errors="replace") as fh:
            w = csv.writer(fh)
            for row in rows:
                w.writerow(["" if v is None else v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v
                            for v in row])
        return path
    path = folder / "ledger.xlsx"
    if spec.fmt == "xlsx-xlsxwriter":
        import xlsxwriter
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                             "strings_to_numbers": False, "nan_inf_to_errors": True})
        ws = wb.add_worksheet("订单 Orders")
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, v, date)
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, v)
        wb.close()
        return path
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is None:
                continue
            if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
                v = str(v)
            if isinstance(v, str):
                v = ILLEGAL_CHARACTERS_RE.sub("", v)
            cell = ws.cell(r, c, v)
            if isinstance(v, str):
                cell.data_type = "s"     # user text, never a formula
    wb.save(path)
    return path


# --------------------------------------------------------------------------- the checks

def check_reader_and_engine(path: Path) -> None:
    """Only OrderDeskError may escape; every row is accounted for; the engine takes the frame."""
    from addin.compute.otd import OtdSettings, classify, summarise
    from addin.readers import read
    try:
        result = read(path)
    except OrderDeskError:
        return
    rows = result.rows
    assert rows.read == rows.valid + rows.issues + rows.blank_or_total, rows
    assert len(result.data) == rows.valid
    rejected = {i.cell.rsplit("!", 1)[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for i in result.errors}
    assert len(rejected) == rows.issues, (rejected, rows)
    for settings in (OtdSettings(), OtdSettings(basis="requested", late_tolerance=2, early_tolerance=1)):
        try:
            classified = classify(result.data, AS_OF, settings)
            table = summarise(classified, ["customer"], settings)
        except OrderDeskError:
            continue
        total = table.loc[table["is_total"]].iloc[0]
        assert total["lines"] == total["on_time"] + total["late"] + total["early"] + total["pending"]


def run_command(args: list[str]) -> tuple[int, str, str]:
    from addin.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def check_commands(path: Path, folder: Path, commands: tuple[str, ...] = ("check", "otd", "report", "risk")) -> None:
    """Each command returns 0 or 1, prints no traceback and no internal error; an error is one
    `Error:` line."""
    extra = {"check": ["--format", "json"], "otd": ["--as-of", AS_OF.isoformat(), "--by", "customer,month",
                                                      "--format", "json"],
             "report": ["--month", "2026-03", "--as-of", AS_OF.isoformat(), "--out", str(folder / "report.xlsx"), "-q"],
             "risk": ["--as-of", AS_OF.isoformat(), "--out", str(folder / "risk.xlsx"), "-q"]}
    for command in commands:
        code, out, err = run_command([command, str(path), *extra[command]])
        assert code in (0, 1), (command, code, err)
        assert "Traceback" not in out + err, (command, err)
        assert "internal error" not in err, (command, err)
        if code == 1:
            assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1, (command, err)


FUZZ = settings(max_examples=30, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(spec=ledgers())
def test_reader_and_engine_on_generated_ledgers(spec):
    with tempfile.TemporaryDirectory() as folder:
        check_reader_and_engine(write_spec(spec, Path(folder)))


@settings(FUZZ, max_examples=10)
@given(spec=ledgers())
def test_commands_on_generated_ledgers(spec):
    with tempfile.TemporaryDirectory() as folder:
        check_commands(write_spec(spec, Path(folder)), Path(folder))


# --------------------------------------------------------------------------- regressions found by fuzzing

def test_report_with_an_empty_previous_month_writes(tmp_path):
    """The KPI 'change vs previous month' was "" when the previous month had no lines, and the
    writer crashed turning it into a cached number (float(''))."""
    from tests.test_fuzz_support import write_ledger_xlsx
    ledger = write_ledger_xlsx(tmp_path / "l.xlsx", [{"order_no": "PO-1", "customer": "A", "part_no": "P", "qty": 1,
                                                     "requested_date": dt.datetime(2026, 3, 5)}])
    code, out, err = run_command(["report", str(ledger), "--month", "2026-03", "--as-of", "2026-04-01",
                                  "--out", str(tmp_path / "r.xlsx")])
    assert (code, err) == (0, "")
    assert (tmp_path / "r.xlsx").is_file()


def _traceback_of(func, *args) -> str | None:
    try:
        func(*args)
    except Exception:   # noqa: BLE001 - the bench reports every failure
        return traceback.format_exc()
    return None
