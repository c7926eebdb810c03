"""SPEC section 3 definitions on small hand-built ledgers; every expected answer worked out here."""
from __future__ import annotations

import datetime as dt
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest

from addin.errors import ConfigError, InputError
from addin.readers import ReadResult, RowCount
from addin.compute.otd import (OtdSettings, classify, due_dates, in_period, otd_json, otd_ladder, otd_report,
                       summarise)
from test_otd_helpers import line, make_ledger

AS_OF = dt.date(2026, 3, 31)


def outcomes(rows, as_of=AS_OF, **settings) -> list[str]:
    return classify(make_ledger(rows), as_of, OtdSettings(**settings))["outcome"].tolist()


# --------------------------------------------------------------------------- due dates

def test_due_date_ladder_falls_back_in_spec_order():
    ledger = make_ledger([
        {"requested_date": "2026-03-01", "first_promised_date": "2026-03-05", "promised_date": "2026-03-09"},
        {"requested_date": "2026-03-01", "first_promised_date": None, "promised_date": "2026-03-09"},
        {"requested_date": "2026-03-01", "first_promised_date": None, "promised_date": None},
        {"requested_date": None, "first_promised_date": "2026-03-05", "promised_date": None},
    ])
    d = lambda s: pd.Timestamp(s) if s else pd.NaT  # noqa: E731
    assert due_dates(ledger, "requested").tolist()[:3] == [d("2026-03-01")] * 3
    assert pd.isna(due_dates(ledger, "requested").iloc[3])
    assert due_dates(ledger, "promised").tolist()[:3] == [d("2026-03-09"), d("2026-03-09"), d("2026-03-01")]
    # promised basis never looks at the first promise
    assert pd.isna(due_dates(ledger, "promised").iloc[3])
    assert due_dates(ledger, "first_promised").tolist() == [d("2026-03-05"), d("2026-03-09"),
                                                            d("2026-03-01"), d("2026-03-05")]


def test_classify_shows_the_whole_ladder_and_uses_the_basis():
    ledger = make_ledger([line(due="2026-03-09", ship="2026-03-08", requested_date="2026-03-01",
                               first_promised_date="2026-03-05")])
    out = classify(ledger, AS_OF, OtdSettings(basis="requested"))
    row = out.iloc[0]
    assert (row.due_requested, row.due_first_promised, row.due_promised) == (
        pd.Timestamp("2026-03-01"), pd.Timestamp("2026-03-05"), pd.Timestamp("2026-03-09"))
    assert row.due_date == pd.Timestamp("2026-03-01")
    assert row.outcome == "late" and row.days_late == 7.0          # shipped 03-08, due 03-01
    assert classify(ledger, AS_OF, OtdSettings(basis="first_promised"))["outcome"].iloc[0] == "late"
    assert classify(ledger, AS_OF, OtdSettings(basis="promised"))["outcome"].iloc[0] == "on_time"


def test_unknown_basis_is_refused_with_the_choices():
    with pytest.raises(ConfigError) as err:
        OtdSettings(basis="confirmed")
    assert str(err.value) == "basis 'confirmed' is not known: use one of promised, requested, first_promised, agreed"


# --------------------------------------------------------------------------- on time / late / early / pending

def test_ship_on_the_due_date_is_on_time_and_a_day_after_is_late():
    assert outcomes([line(ship="2026-03-10"), line(ship="2026-03-11")]) == ["on_time", "late"]


def test_late_tolerance_edges():
    # due 03-10, tolerance 2: 03-12 is the last on-time day; 03-13 is late by 3 days
    out = classify(make_ledger([line(ship="2026-03-12"), line(ship="2026-03-13")]), AS_OF,
                   OtdSettings(late_tolerance=2))
    assert out["outcome"].tolist() == ["on_time", "late"]
    assert np.isnan(out["days_late"].iloc[0])                 # within tolerance: not late at all
    assert out["days_late"].iloc[1] == 3.0                     # counted from the due date itself


def test_open_overdue_line_is_late_and_never_left_out():
    rows = [line(ship=None)]
    assert outcomes(rows, as_of=dt.date(2026, 3, 10)) == ["pending"]   # due today, not yet late
    out = classify(make_ledger(rows), dt.date(2026, 3, 11), OtdSettings())
    assert out["outcome"].iloc[0] == "late" and out["days_late"].iloc[0] == 1.0
    # with a 2-day tolerance it turns late on the third day after the due date
    assert outcomes(rows, as_of=dt.date(2026, 3, 12), late_tolerance=2) == ["pending"]
    out = classify(make_ledger(rows), dt.date(2026, 3, 13), OtdSettings(late_tolerance=2))
    assert out["outcome"].iloc[0] == "late" and out["days_late"].iloc[0] == 3.0


def test_early_only_with_an_early_window():
    rows = [line(ship="2026-03-09"), line(ship="2026-03-08"), line(ship="2026-02-01")]
    assert outcomes(rows) == ["on_time", "on_time", "on_time"]              # default: early is on time
    assert outcomes(rows, early_tolerance=1) == ["on_time", "early", "early"]   # window 03-09..03-10
    assert outcomes(rows, early_tolerance=0) == ["early", "early", "early"]


def test_cancelled_no_due_date_and_not_yet_due_are_outside_the_cohort():
    rows = [line(status="cancelled"),                              # overdue but cancelled
            line(status="cancelled", ship="2026-03-01"),
            line(due=None),
            line(due="2026-04-02"),                                # due after as-of
            line(due="2026-04-02", ship="2026-03-30"),             # already shipped, still not due
            line(due="2026-04-02", ship="2026-03-30", status="shipped")]
    assert outcomes(rows) == ["cancelled", "cancelled", "no_due_date", "not_yet_due", "not_yet_due",
                              "not_yet_due"]
    summary = summarise(classify(make_ledger(rows), AS_OF), [])
    assert summary["lines"].tolist() == [0]
    assert np.isnan(summary["otd"].iloc[0])


def test_ship_date_after_as_of_is_not_yet_known():
    # re-running for a past as-of date gives the answer as it stood that day
    out = classify(make_ledger([line(ship="2026-04-05"), line(due="2026-03-31", ship="2026-04-05")]),
                   AS_OF, OtdSettings())
    assert out["outcome"].tolist() == ["late", "pending"]
    assert out["days_late"].iloc[0] == 21.0                     # as-of 03-31 − due 03-10
    assert out["flag"].tolist() == ["ship_after_as_of", "ship_after_as_of"]


def test_shipped_status_without_ship_date_is_not_guessed_on_time():
    # issue 12: a line closed without its date cannot be measured: neither on time nor late
    rows = [line(status="shipped"), line(status="closed", due="2026-03-31"), line(status="open")]
    out = classify(make_ledger(rows), AS_OF, OtdSettings())
    assert out["outcome"].tolist() == ["closed_without_date", "closed_without_date", "late"]
    assert out["flag"].tolist() == ["no_ship_date", "no_ship_date", None]


def test_ship_date_wins_over_an_open_status():
    assert outcomes([line(ship="2026-03-09", status="open")]) == ["on_time"]


# --------------------------------------------------------------------------- severity, in full, drift, month

def test_severity_major_from_three_days_by_default_and_configurable():
    rows = [line(ship="2026-03-12"), line(ship="2026-03-13"), line(ship="2026-03-09")]
    assert classify(make_ledger(rows), AS_OF)["severity"].tolist() == ["general", "major", None]
    assert classify(make_ledger(rows), AS_OF, OtdSettings(major_days=2))["severity"].tolist() == \
        ["major", "major", None]


def test_in_full_true_false_and_unknown():
    rows = [line(ship="2026-03-09", shipped_qty=10), line(ship="2026-03-09", shipped_qty=12),
            line(ship="2026-03-09", shipped_qty=6), line(ship="2026-03-09")]
    assert classify(make_ledger(rows), AS_OF)["in_full"].tolist() == [True, True, False, pd.NA]


def test_partial_shipment_is_on_time_but_not_in_full():
    rows = [line(ship="2026-03-09", shipped_qty=10), line(ship="2026-03-10", shipped_qty=4),
            line(ship="2026-03-12", shipped_qty=10), line(ship="2026-03-10", shipped_qty=10)]
    total = summarise(classify(make_ledger(rows), AS_OF), []).iloc[-1]
    assert (total.on_time, total.late) == (3, 1)
    assert total.otd == pytest.approx(3 / 4)
    assert total.otif == pytest.approx(2 / 4)                     # the partial one is not in full


def test_otif_unknown_without_shipped_quantities():
    rows = [line(ship="2026-03-09"), line(ship="2026-03-12")]
    total = summarise(classify(make_ledger(rows), AS_OF), []).iloc[-1]
    assert total.otd == pytest.approx(0.5)
    assert total.otif is None


def test_otif_unknown_when_an_on_time_line_lacks_its_shipped_quantity():
    rows = [line(ship="2026-03-09", shipped_qty=10, customer="ACME"),
            line(ship="2026-03-09", customer="Beta"),                 # on time, quantity unknown
            line(ship="2026-03-12", customer="Beta", shipped_qty=3)]  # late: in-full irrelevant
    table = summarise(classify(make_ledger(rows), AS_OF), ["customer"])
    assert table["otif"].tolist() == [1.0, None, None]                # ACME, Beta, total


def test_promise_drift_from_first_and_latest_promise():
    ledger = make_ledger([
        {"first_promised_date": "2026-03-01", "promised_date": "2026-03-08"},   # pushed out 7 days
        {"first_promised_date": "2026-03-08", "promised_date": "2026-03-05"},   # pulled in 3 days
        {"first_promised_date": "2026-03-05", "promised_date": "2026-03-05"},
        {"first_promised_date": "2026-03-05", "promised_date": None},           # one promise so far
        {"first_promised_date": None, "promised_date": "2026-03-05"},           # unknown
    ])
    out = classify(ledger, AS_OF)
    assert out["drift_count"].tolist() == [1, 1, 0, 0, pd.NA]
    assert out["drift_days"].tolist()[:4] == [7.0, -3.0, 0.0, 0.0]
    assert np.isnan(out["drift_days"].iloc[4])


def test_month_is_the_due_month_as_text():
    out = classify(make_ledger([line(due="2026-01-31"), line(due="2025-12-01"), line(due=None)]), AS_OF)
    assert out["month"].tolist() == ["2026-01", "2025-12", None]


def test_root_cause_only_for_late_lines():
    rows = [line(ship="2026-03-15", exception_type="缺料"),
            line(ship="2026-03-15", exception_note="客户改单，交期顺延"),
            line(ship="2026-03-15"),
            line(ship="2026-03-09", exception_type="品质")]               # on time: no cause
    out = classify(make_ledger(rows), AS_OF)
    assert out["root_cause"].tolist() == ["material", "customer", "unclassified", None]
    assert out["cause_scope"].tolist() == ["internal", "external", None, None]


def test_config_keywords_reach_the_root_cause():
    rows = [line(ship="2026-03-15", exception_note="喷涂延期两周")]   # PCB is built in since issue 12
    assert classify(make_ledger(rows), AS_OF)["root_cause"].tolist() == ["unclassified"]
    out = classify(make_ledger(rows), AS_OF, OtdSettings(cause_keywords={"material": ["喷涂延期"]}))
    assert out["root_cause"].tolist() == ["material"]


def test_classify_keeps_the_ledger_and_a_duplicate_index():
    ledger = make_ledger([line(ship="2026-03-15", exception_type="缺料"), line(ship="2026-03-09")])
    ledger.index = [7, 7]
    out = classify(ledger, AS_OF)
    assert list(out.index) == [7, 7]
    assert out["root_cause"].tolist() == ["material", None]
    assert out["source_row"].tolist() == [2, 3]
    assert list(ledger.columns) == list(out.columns[:len(ledger.columns)])


# --------------------------------------------------------------------------- per-customer tolerance

def test_per_customer_tolerance_overrides_the_global_one():
    rows = [line(customer="ACME", ship="2026-03-12"), line(customer=" acme ", ship="2026-03-12"),
            line(customer="Beta", ship="2026-03-12"), line(customer=None, ship="2026-03-12"),
            line(customer="Beta", ship="2026-03-08")]
    settings = OtdSettings(customer_tolerances={"ACME": (2, None), "Beta": (None, 1)})
    # ACME late window 2 (case and spaces ignored); Beta keeps late 0 and gets a 1-day early window
    assert classify(make_ledger(rows), AS_OF, settings)["outcome"].tolist() == \
        ["on_time", "on_time", "late", "late", "early"]


def test_settings_from_the_config_file_tables():
    settings = OtdSettings.from_config(
        {"basis": "requested", "late_tolerance": 1, "early_tolerance": 3, "risk_horizon": 5,
         "major_days": 4, "calendar": "cn", "customers": {"ACME": {"late_tolerance": 2}}},
        {"material": ["PCB延期"]}, weight="qty")
    assert settings == OtdSettings(basis="requested", late_tolerance=1, early_tolerance=3, risk_horizon=5,
                                   major_days=4, customer_tolerances={"ACME": (2, None)},
                                   cause_keywords={"material": ["PCB延期"]}, weight="qty")
    with pytest.raises(ConfigError) as err:
        OtdSettings.from_config({"late_tolerence": 1})
    assert str(err.value).startswith("otd.late_tolerence is not a setting: use basis, calendar,")
    with pytest.raises(ConfigError) as err:
        OtdSettings.from_config({"customers": {"ACME": {"late_tolerance": -1}}})
    assert str(err.value) == 'otd.customers."ACME".late_tolerance must be a whole number of days ≥ 0, not -1'
    with pytest.raises(ConfigError) as err:
        OtdSettings(cause_keywords={"materials": ["x"]})
    assert str(err.value) == ("rootcause.keywords: unknown cause 'materials' — use one of material, quality, "
                              "equipment, engineering, capacity, customer, logistics, force_majeure, other")


def test_settings_are_frozen():
    with pytest.raises(FrozenInstanceError):
        OtdSettings().basis = "requested"  # type: ignore[misc]


# --------------------------------------------------------------------------- summaries and weighting

def _mixed_ledger():
    return make_ledger([
        line(customer="ACME", due="2026-01-15", ship="2026-01-15", qty=90, unit_price=1.0, shipped_qty=90),
        line(customer="ACME", due="2026-01-20", ship="2026-01-25", qty=10, unit_price=20.0, shipped_qty=10),
        line(customer="Beta", due="2026-02-10", ship="2026-02-09", qty=30, unit_price=2.0, shipped_qty=30),
        line(customer="Beta", due="2026-03-31", qty=5, unit_price=2.0),            # due today: pending
        line(customer="Beta", due="2026-02-01", qty=20, unit_price=1.0),           # open overdue: 58 days
        line(customer=None, due="2026-02-05", ship="2026-02-05", qty=1, unit_price=1.0, shipped_qty=1),
        line(customer="ACME", due="2026-02-01", qty=1, status="cancelled"),
        line(customer="ACME", due="2026-05-01", qty=1),
    ])


def test_summarise_by_customer_with_total_last():
    table = summarise(classify(_mixed_ledger(), AS_OF), ["customer"])
    assert table["customer"].tolist() == ["ACME", "Beta", None, None]
    assert table["is_total"].tolist() == [False, False, False, True]
    assert table["lines"].tolist() == [2, 3, 1, 6]
    assert table["on_time"].tolist() == [1, 1, 1, 3]
    assert table["late"].tolist() == [1, 1, 0, 2]
    assert table["pending"].tolist() == [0, 1, 0, 1]
    assert table["otd"].tolist() == pytest.approx([0.5, 0.5, 1.0, 3 / 5])
    # ACME 5 days late; Beta open since 02-01: 03-31 − 02-01 = 58 days
    assert table["avg_days_late"].tolist()[:2] == [5.0, 58.0]
    assert np.isnan(table["avg_days_late"].iloc[2])
    assert table["avg_days_late"].iloc[3] == pytest.approx((5 + 58) / 2)
    assert table["otif"].tolist() == pytest.approx([0.5, 0.5, 1.0, 0.6])


def test_summarise_by_month_and_customer():
    table = summarise(classify(_mixed_ledger(), AS_OF), ["month", "customer"])
    keys = list(zip(table["month"], table["customer"]))
    assert keys == [("2026-01", "ACME"), ("2026-02", "Beta"), ("2026-02", None), ("2026-03", "Beta"), (None, None)]
    assert table["lines"].tolist() == [2, 2, 1, 1, 6]


def test_quantity_and_value_weighting():
    classified = classify(_mixed_ledger(), AS_OF)
    # measured lines: on time qty 90, 30, 1; late qty 10, 20
    total = summarise(classified, [], OtdSettings(weight="qty")).iloc[-1]
    assert total.otd == pytest.approx(121 / 151)
    assert total.lines == 6 and total.on_time == 3          # counts stay line counts
    # values: on time 90·1 + 30·2 + 1·1 = 151; late 10·20 + 20·1 = 220
    total = summarise(classified, [], OtdSettings(weight="value")).iloc[-1]
    assert total.otd == pytest.approx(151 / 371)
    assert total.otif == pytest.approx(151 / 371)


def test_value_weighting_needs_a_price_on_every_measured_line():
    ledger = make_ledger([line(ship="2026-03-09", unit_price=2.0), line(ship="2026-03-09"),
                          line(due="2026-04-09")])            # not measured: no price needed
    with pytest.raises(InputError) as err:
        summarise(classify(ledger, AS_OF), [], OtdSettings(weight="value"))
    assert str(err.value) == ("cannot weight by value: 1 measured line(s) have no quantity or unit price "
                              "(rows 3) — fill them in or weight by lines")


def test_group_by_an_unknown_column():
    with pytest.raises(InputError) as err:
        summarise(classify(_mixed_ledger(), AS_OF), ["region"])
    assert str(err.value) == "cannot group by region: the ledger has no such column"


def test_period_keeps_lines_due_in_it_and_those_without_a_due_date():
    classified = classify(make_ledger([line(due="2026-01-31"), line(due="2026-02-01"), line(due="2026-02-28"),
                                       line(due="2026-03-01"), line(due=None)]), AS_OF)
    assert in_period(classified, dt.date(2026, 2, 1), dt.date(2026, 2, 28)).tolist() == \
        [False, True, True, False, True]


def test_otd_json_is_exactly_the_spec_object():
    result = otd_json(_mixed_ledger(), AS_OF, OtdSettings(), ["customer"])
    assert result == {
        "as_of": "2026-03-31", "basis": "promised", "late_tolerance": 0, "early_tolerance": None,
        "by": ["customer"],
        "groups": [
            {"customer": "ACME", "lines": 2, "on_time": 1, "late": 1, "early": 0, "pending": 0,
             "otd": 0.5, "otif": 0.5, "avg_days_late": 5.0},
            {"customer": "Beta", "lines": 3, "on_time": 1, "late": 1, "early": 0, "pending": 1,
             "otd": 0.5, "otif": 0.5, "avg_days_late": 58.0},
            {"customer": None, "lines": 1, "on_time": 1, "late": 0, "early": 0, "pending": 0,
             "otd": 1.0, "otif": 1.0, "avg_days_late": None},
        ],
        "total": {"lines": 6, "on_time": 3, "late": 2, "early": 0, "pending": 1,
                  "otd": 0.6, "otif": 0.6, "avg_days_late": 31.5},
        "excluded": {"cancelled": 1, "no_due_date": 0, "not_yet_due": 1},
        "rows": {"read": 8, "valid": 8, "issues": 0, "blank_or_total": 0},
    }
    for value in result["total"].values():
        assert type(value) in (int, float) or value is None       # plain JSON numbers, not numpy


def test_otd_json_for_a_month_rounds_rates_to_four_decimals():
    rows = [line(due="2026-02-02", ship="2026-02-02"), line(due="2026-02-03", ship="2026-02-03"),
            line(due="2026-02-04", ship="2026-02-09"), line(due="2026-01-04", ship="2026-01-09"),
            line(due=None), line(due="2026-02-05", status="cancelled")]
    # what the reader returns; the row accounting is passed through untouched
    read = ReadResult(kind="ledger", file="ledger.xlsx", sheet="Orders", header_row=1, columns={},
                      data=make_ledger(rows), rows=RowCount(read=9, valid=6, issues=1, blank_or_total=2))
    result = otd_json(read, AS_OF, OtdSettings(early_tolerance=1), ["month"],
                      start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert result["groups"] == [{"month": "2026-02", "lines": 3, "on_time": 2, "late": 1, "early": 0,
                                 "pending": 0, "otd": 0.6667, "otif": None, "avg_days_late": 5.0}]
    assert result["early_tolerance"] == 1
    assert result["excluded"] == {"cancelled": 1, "no_due_date": 1, "not_yet_due": 0}
    assert result["rows"] == {"read": 9, "valid": 6, "issues": 1, "blank_or_total": 2}


def test_otd_report_returns_the_period_lines_for_listing():
    period, summary, excluded = otd_report(_mixed_ledger(), AS_OF, OtdSettings(), ["customer"],
                                           start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert period["outcome"].tolist() == ["on_time", "late", "on_time", "cancelled"]
    assert summary["lines"].iloc[-1] == 3 and excluded["cancelled"] == 1


def test_otd_ladder_side_by_side():
    ledger = make_ledger([
        line(requested_date="2026-03-01", first_promised_date="2026-03-05", due="2026-03-09", ship="2026-03-04"),
        line(requested_date="2026-03-01", first_promised_date="2026-03-05", due="2026-03-09", ship="2026-03-07"),
        line(requested_date="2026-03-01", due="2026-03-09", ship="2026-03-01"),
    ])
    ladder = otd_ladder(ledger, AS_OF)
    assert list(ladder.index) == ["requested", "first_promised", "agreed", "promised"]
    # requested: only the third on time; first promised (3-05, 3-05, 3-09): first and third;
    # agreed = first promised without an agreed date
    assert ladder["otd"].tolist() == pytest.approx([1 / 3, 2 / 3, 2 / 3, 1.0])


# --------------------------------------------------------------------------- properties

from hypothesis import given, settings as hyp_settings, strategies as st  # noqa: E402

_day = st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2026, 5, 31)).map(dt.date.isoformat))
_line = st.fixed_dictionaries({
    "customer": st.sampled_from(["ACME", "Beta", None]),
    "promised_date": _day, "requested_date": _day, "ship_date": _day,
    "status": st.sampled_from([None, "open", "shipped", "closed", "cancelled"]),
    "qty": st.just(10.0), "shipped_qty": st.one_of(st.none(), st.sampled_from([0.0, 5.0, 10.0])),
})


@hyp_settings(max_examples=60, deadline=None)
@given(rows=st.lists(_line, min_size=1, max_size=25), late=st.integers(0, 3),
       early=st.one_of(st.none(), st.integers(0, 3)))
def test_every_line_lands_in_exactly_one_place(rows, late, early):
    settings = OtdSettings(late_tolerance=late, early_tolerance=early)
    classified = classify(make_ledger(rows), AS_OF, settings)
    result = otd_json(make_ledger(rows), AS_OF, settings, ["customer"])
    total = result["total"]
    assert total["lines"] == total["on_time"] + total["late"] + total["early"] + total["pending"]
    assert total["lines"] + sum(result["excluded"].values()) == len(rows)
    assert sum(g["lines"] for g in result["groups"]) == total["lines"]
    assert sum(g["late"] for g in result["groups"]) == total["late"]
    if total["otd"] is not None:
        assert 0.0 <= total["otd"] <= 1.0
        assert total["otif"] is None or total["otif"] <= total["otd"]
    late_lines = classified["outcome"] == "late"
    assert (classified.loc[late_lines, "days_late"] > late).all()          # late means past the window
    assert classified.loc[~late_lines, "days_late"].isna().all()
    assert classified.loc[late_lines, "root_cause"].notna().all()


def test_a_summary_from_the_summary_columns_alone_is_the_whole_classifications():
    """``otd_report(lines=False)`` classifies only what the summary reads (no root causes, drift,
    ladder months): every summary and excluded count is the same as from the whole
    classification, for every grouping, weight and tolerance; the lines carry those columns."""
    from addin.compute.otd import CLASSIFIED, FOR_SUMMARY
    from addin.demo.samples import write_ledger
    from addin.readers import read
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:     # the demo's ledger: 475 lines, late, early, open, cancelled
        ledger = read(write_ledger(Path(tmp) / "ledger.xlsx", "en"), "ledger").data
    as_of = dt.date(2026, 11, 20)
    settings = [OtdSettings(), OtdSettings(basis="requested", late_tolerance=2, early_tolerance=3),
                OtdSettings(weight="qty"), OtdSettings(customer_tolerances={str(ledger["customer"].iloc[0]): (5, None)})]
    for s in settings:
        for by in ([], ["customer"], ["month"], ["customer", "month"], ["part_no"]):
            for period in ((None, None), (dt.date(2026, 9, 1), dt.date(2026, 10, 31))):
                full = otd_report(ledger, as_of, s, by, *period)
                slim = otd_report(ledger, as_of, s, by, *period, lines=False)
                pd.testing.assert_frame_equal(full[1], slim[1])
                assert full[2] == slim[2]
    lines = otd_report(ledger, as_of, OtdSettings(), lines=False)[0]
    assert set(CLASSIFIED) & set(lines.columns) == set(FOR_SUMMARY)
    assert len(lines) == len(ledger) and (lines["outcome"] == "late").sum() > 10
    whole = classify(ledger, as_of, OtdSettings())
    assert set(CLASSIFIED) <= set(whole.columns)
    pd.testing.assert_frame_equal(whole[list(FOR_SUMMARY)], lines[list(FOR_SUMMARY)])
