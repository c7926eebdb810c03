"""The monthly workbook from real public data (USAID SCMS delivery history, 10,324 lines):
live formulas recalculated by LibreOffice equal the engine's cached figures."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

import lo
from addin.compute.otd import OtdSettings, otd_json
from addin.readers import read
from addin.writers.monthly import write_report
from conftest import ROOT


@pytest.mark.realdata
@pytest.mark.libreoffice
@pytest.mark.slow
def test_scms_month_recalculates_to_the_engine_figures(real_data, tmp_path):
    result = read(real_data / "SCMS_Delivery_History_Dataset.csv", kind="ledger",
                  mapping=ROOT / "tests" / "maps" / "scms.toml")
    month, as_of = dt.date(2015, 6, 1), dt.date(2015, 9, 30)
    out = tmp_path / "scms.xlsx"
    summary = write_report(result, month=month, out=out, as_of=as_of, settings=OtdSettings(), lang="en")
    engine = otd_json(result, as_of, OtdSettings(), start=month, end=dt.date(2015, 6, 30))["total"]
    assert (summary.lines, summary.on_time, summary.late) == (engine["lines"], engine["on_time"], engine["late"])
    assert summary.lines > 50 and summary.live_formulas
    lo.require_soffice()
    assert lo.mismatches(out, tmp_path / "lo") == []
    ws = openpyxl.load_workbook(out, data_only=True)["Summary"]
    assert ws["B12"].value == summary.lines
