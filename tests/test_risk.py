"""Risk of open lines (SPEC section 3) with real working calendars."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from addin.compute.calendar import WorkingCalendar
from addin.compute.risk import assess_risk
from test_otd_helpers import line, make_ledger

SAT = dt.date(2026, 11, 21)          # a Saturday: the horizon counts from the next working day


def risks(rows, as_of=SAT, calendar=None, **kw) -> list[str]:
    calendar = calendar or WorkingCalendar.mon_fri()
    return assess_risk(make_ledger(rows), as_of, calendar, **kw)["risk"].tolist()


def test_each_risk_value():
    rows = [line(due="2026-11-20"),                                 # Friday, not shipped: overdue
            line(due="2026-11-25"),                                 # 3rd working day (Mon, Tue, Wed)
            line(due="2026-11-26"),                                 # 4th working day: on track
            line(due="2026-11-10", ship="2026-11-12"),              # shipped (late, but done)
            line(due="2026-11-10", status="cancelled"),
            line(due="2026-11-10", status="closed")]                # closed without a ship date
    assert risks(rows) == ["overdue", "at_risk", "on_track", "done", "cancelled", "done"]


def test_reasons_in_english_and_chinese():
    rows = [line(due="2026-11-20"), line(due="2026-11-24"), line(due="2026-11-30"),
            line(due=None), line(due="2026-11-10", ship="2026-11-12"), line(due="2026-11-10")]
    en = assess_risk(make_ledger(rows), SAT, WorkingCalendar.mon_fri(), lang="en")
    assert en["risk_reason"].tolist() == ["overdue by 1 day", "due 2026-11-24, within 3 working days",
                                          None, "no due date", None, "overdue by 11 days"]
    zh = assess_risk(make_ledger(rows), SAT, WorkingCalendar.mon_fri(), lang="zh")
    assert zh["risk_reason"].tolist() == ["逾期1天", "2026-11-24到期，3个工作日内", None, "无交期", None, "逾期11天"]
    assert zh["risk"].tolist() == ["overdue", "at_risk", "on_track", "at_risk", "done", "overdue"]


def test_horizon_counts_working_days_of_the_chinese_calendar():
    # 2026-09-30 (Wed) is followed by the National Day holiday 10-01..10-07; 10-10 (Sat) is a
    # make-up working day: the 3 working days after 09-30 are 10-08, 10-09, 10-10.
    rows = [line(due="2026-10-10"), line(due="2026-10-12")]
    as_of = dt.date(2026, 9, 30)
    assert risks(rows, as_of, WorkingCalendar.cn()) == ["at_risk", "on_track"]
    # Monday–Friday: 10-01, 10-02, 10-05 — both are on track
    assert risks(rows, as_of, WorkingCalendar.mon_fri()) == ["on_track", "on_track"]
    assert risks(rows, as_of, WorkingCalendar.cn(), horizon=5) == ["at_risk", "at_risk"]


def test_missed_milestone_makes_a_line_at_risk():
    rows = [line(due="2026-12-20", planned_qc_date="2026-11-18"),
            line(due="2026-12-20", planned_qc_date="2026-11-18", actual_qc_date="2026-11-19"),
            line(due="2026-12-20", planned_warehouse_date="2026-11-21"),       # planned today: not missed yet
            line(due="2026-12-20", planned_material_date="2026-11-02", planned_scheduled_date="2026-11-05")]
    out = assess_risk(make_ledger(rows), SAT, WorkingCalendar.mon_fri(), lang="en")
    assert out["risk"].tolist() == ["at_risk", "on_track", "on_track", "at_risk"]
    assert out["risk_reason"].iloc[0] == "QC planned 2026-11-18 not done"
    assert out["risk_reason"].iloc[3] == ("production start planned 2026-11-05 not done; "
                                          "material issue planned 2026-11-02 not done")
    zh = assess_risk(make_ledger(rows), SAT, WorkingCalendar.mon_fri(), lang="zh")
    assert zh["risk_reason"].iloc[3] == "排产计划2026-11-05未完成；领料计划2026-11-02未完成"


def test_projected_finish_after_due_date():
    rows = [line(due="2026-12-20"), line(due="2026-12-20"), line(due="2026-11-20")]
    projected = pd.Series(pd.to_datetime(["2026-12-21", "2026-12-20", "2026-12-30"]))
    out = assess_risk(make_ledger(rows), SAT, WorkingCalendar.mon_fri(), projected_finish=projected)
    assert out["risk"].tolist() == ["at_risk", "on_track", "overdue"]
    assert out["risk_reason"].iloc[0] == "projected finish 2026-12-21 after due date"
    assert out["risk_reason"].iloc[2] == "overdue by 1 day"


def test_partial_shipment_still_open_is_assessed_but_a_full_one_is_done():
    rows = [line(due="2026-11-20", ship="2026-11-19", shipped_qty=4),
            line(due="2026-11-20", ship="2026-11-19", shipped_qty=4, status="closed"),   # closed short
            line(due="2026-11-20", ship="2026-11-19", shipped_qty=10),
            line(due="2026-11-20", ship="2026-11-25")]                                # ships after as-of
    assert risks(rows) == ["overdue", "done", "done", "overdue"]


def test_basis_and_index_are_respected():
    ledger = make_ledger([line(due="2026-12-20", requested_date="2026-11-20")])
    ledger.index = ["a"]
    out = assess_risk(ledger, SAT, WorkingCalendar.mon_fri(), basis="requested")
    assert out.index.tolist() == ["a"] and out["risk"].tolist() == ["overdue"]
    assert assess_risk(ledger, SAT, WorkingCalendar.mon_fri())["risk"].tolist() == ["on_track"]


@pytest.mark.parametrize("horizon,expected", [(0, "on_track"), (1, "at_risk")])
def test_horizon_zero_and_one(horizon, expected):
    # from a Saturday, WORKDAY(as_of, 0) is the Saturday itself; WORKDAY(as_of, 1) is Monday
    assert risks([line(due="2026-11-23")], horizon=horizon) == [expected]
