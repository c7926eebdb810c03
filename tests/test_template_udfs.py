"""The worksheet functions on the order-ledger template as a user gets it: the header sits in
row 2 below the button band, so a whole-column argument (G:G) starts with an empty row. The
header below it still gets the result's label, the band row stays blank, and the line rows
equal the same functions on the header-and-lines range (G2:G7)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from test_udfs import AS_OF, call, serial, udfs, whole_column  # noqa: F401  (udfs is the fixture)

TEMPLATE = Path(__file__).resolve().parents[1] / "workbook_templates" / "OrderLedger.xlsm"


def column(letter: str) -> list:
    ws = openpyxl.load_workbook(TEMPLATE, keep_vba=True)["Orders"]
    return [ws[f"{letter}{r}"].value for r in range(1, ws.max_row + 1)]


def as_excel(values: list) -> list:
    return [serial(v.date()) if isinstance(v, dt.datetime) else v for v in values]


def test_od_risk_over_whole_columns_of_the_template(udfs):
    due, ship, status = (as_excel(column(c)) for c in "GHJ")
    assert due[0] is None and due[1] == "承诺交期 Promised Date"
    whole = call(udfs, "OD_RISK", whole_column(due), whole_column(ship), whole_column(status), serial(AS_OF))
    lines = call(udfs, "OD_RISK", *(tuple((v,) for v in c[1:]) for c in (due, ship, status)), serial(AS_OF))
    assert whole == [[""]] + lines
    assert lines == [["risk"], ["done"], ["done"], ["overdue"], ["on_track"], ["cancelled"]]


def test_od_rootcause_over_whole_columns_of_the_template(udfs):
    rows = whole_column([tuple(pair) for pair in zip(column("L"), column("M"))])
    rows = tuple(r[0] if isinstance(r[0], tuple) else (None, None) for r in rows)
    result = call(udfs, "OD_ROOTCAUSE", rows)
    assert result == [[""], ["root_cause"], [""], ["material"], ["equipment"], [""], ["customer"]]
