"""Capable-to-promise: BOM explosion, netting, alternates, MOQ, capacity — worked out by hand."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from addin.compute.calendar import WorkingCalendar
from addin.errors import InputError
from addin.compute.promise import Plan, explode_bom, promise_lines
from addin.compute.review import review_lines
from test_review import canonical, po, quote

MF = WorkingCalendar.mon_fri()
AS_OF = dt.date(2026, 3, 2)  # a Monday
D = pd.Timestamp


def bom_rows() -> list[dict]:
    # P = 2 × SUB + 1 × C3 (10 % scrap); SUB = 3 × C1 (alternate C1-ALT) + C2 (DNP)
    return [dict(parent="P", component="SUB", qty_per=2),
            dict(parent="P", component="C3", qty_per=1, scrap_pct=10),
            dict(parent="SUB", component="C1", qty_per=3, alternates=("C1-ALT",)),
            dict(parent="SUB", component="C2", qty_per=1, dnp=True)]


def stock_rows() -> list[dict]:
    return [dict(part_no="C1", on_hand=700, safety_stock=50, allocated=50, purchase_lead_time_days=5,
                 inspection_days=1, moq=1000),
            dict(part_no="C1-ALT", on_hand=100, purchase_lead_time_days=20),
            dict(part_no="C3", on_hand=100, purchase_lead_time_days=10, inspection_days=2),
            dict(part_no="C2", on_hand=0)]


def plan(**kw) -> Plan:
    args = dict(
        bom=canonical("bom", bom_rows()), stock=canonical("stock", stock_rows()),
        purchases=canonical("purchases", [dict(po_no="PUR-1", part_no="C3", qty=20, due_date="2026-03-10")]),
        capacity=canonical("capacity", [dict(line="ASSY", hours_per_day=8), dict(line="SMT", hours_per_day=8)]),
        routing=canonical("routing", [dict(part_no="P", line="ASSY", hours_per_unit=0.5),
                                      dict(part_no="SUB", line="SMT", hours_per_unit=0.1)]),
        open_orders=canonical("ledger", [
            dict(order_no="SO-9", line_no="1", customer="ACME", part_no="P", qty=60, shipped_qty=10,
                 promised_date="2026-03-20", status="in_progress"),
            dict(order_no="SO-8", line_no="1", customer="ACME", part_no="P", qty=999,
                 promised_date="2026-03-03", status="shipped")]),
        inspection_days=1, transport_days=2)
    args.update(kw)
    return Plan(**args)


def lines(*rows: dict) -> pd.DataFrame:
    return canonical("ledger", [po(part_no="P", **r) for r in rows])


def test_explosion_multiplies_scrap_down_the_levels_and_drops_dnp():
    tree = explode_bom(canonical("bom", bom_rows()), ["P"])
    leaves = tree[tree["leaf"]].set_index("part")
    assert sorted(leaves.index) == ["c1", "c3"]
    assert leaves.loc["c1", "per"] == pytest.approx(6.0)
    assert leaves.loc["c3", "per"] == pytest.approx(1.1)
    assert leaves.loc["c1", "alternates"] == ("c1-alt",)
    made = tree[~tree["leaf"]].set_index("part")
    assert made.loc["sub", "per"] == 2.0 and made.loc["p", "level"] == 0


def test_explosion_scrap_cumulates_over_three_levels():
    bom = canonical("bom", [dict(parent="A", component="B", qty_per=2, scrap_pct=5),
                            dict(parent="B", component="C", qty_per=3, scrap_pct=10)])
    tree = explode_bom(bom, ["A"]).set_index("part")
    assert tree.loc["c", "per"] == pytest.approx(2 * 1.05 * 3 * 1.10)


def test_bom_loop_is_an_input_error():
    bom = canonical("bom", [dict(parent="A", component="B", qty_per=1), dict(parent="B", component="A", qty_per=1)])
    with pytest.raises(InputError, match="^BOM: part '(A|B)' is its own component"):
        explode_bom(bom, ["A"])


def test_netting_by_hand_two_level_bom_alternates_moq():
    # queue: SO-9 (50 left, due 03-20), L1 (100, due 03-25), L2 (200, due 04-30)
    result = promise_lines(lines(dict(line_no="1", qty=100, requested_date="2026-03-25"),
                                 dict(line_no="2", qty=200, requested_date="2026-04-30")),
                           plan(), calendar=MF, as_of=AS_OF)
    # L1: C1 needs 600: free 600 - SO-9's 300 = 300, C1-ALT 100, buy 200 -> MOQ 1000 on 03-10
    #     C3 needs 110: 100 + 20 (PUR-1 03-10) - 55 = 65, buy 45 -> 03-18 (10 + 2 working days)
    # L2: C1 needs 1200: 800 left of the MOQ lot, buy 400 -> 1000 on 03-10; C3 needs 220: buy -> 03-18
    assert result["material_ready"].tolist() == [D("2026-03-18"), D("2026-03-18")]
    assert result["material_result"].tolist() == ["pass", "pass"]
    assert result.loc[0, "material_reason"] == "2 components available by 2026-03-18"
    # capacity: ASSY 0.5 h/P, 8 h/day: SO-9 25 h, L1 50 h -> 75 h -> day 10 = 03-13; L2 +100 h -> day 22 = 03-31
    #           SMT 0.2 h/P: 10 + 20 = 30 h -> day 4; +40 h -> day 9
    assert result["capacity_finish"].tolist() == [D("2026-03-13"), D("2026-03-31")]
    assert result["capacity_result"].tolist() == ["pass", "pass"]
    assert result.loc[0, "capacity_reason"] == "ASSY, SMT finishes 2026-03-13 (70 h)"
    # promise = later of the two + 1 inspection + 2 transport working days
    assert result["promise_date"].tolist() == [D("2026-03-23"), D("2026-04-03")]
    # L1 split: on hand now covers C1 300 + 100 alt (66 sets), C3 45 (40 sets) -> 40 units;
    # 40 units finish on ASSY at (25 + 20) h -> day 6 = 03-09, + 3 days = 03-12
    assert result.loc[0, "split"] == [{"qty": 40.0, "date": D("2026-03-12")},
                                      {"qty": 60.0, "date": D("2026-03-23")}]
    assert result.loc[1, "split"] is None


def test_material_short_names_components_and_fails():
    result = promise_lines(lines(dict(qty=100, requested_date="2026-03-12")), plan(capacity=None),
                           calendar=MF, as_of=AS_OF)
    # queue: L (due 03-12) before SO-9: C1 600 from stock (ready now); C3 110: 100 now, 20 on 03-10 -> buy 0
    # wait: C3 supply by horizon 03-18 = 120 -> take 110: cum 110 reached on 03-10
    assert result.loc[0, "material_ready"] == D("2026-03-10")
    assert result.loc[0, "material_result"] == "fail"
    assert result.loc[0, "material_reason"] == "short by 2026-03-09: C3 ready 2026-03-10"
    assert result.loc[0, "short_components"] == ("C3",)
    assert "capacity_result" not in result.columns
    assert result.loc[0, "promise_date"] == D("2026-03-13")


def test_material_buy_reason_and_zh():
    result = promise_lines(lines(dict(qty=300, requested_date="2026-03-12")), plan(capacity=None),
                           calendar=MF, as_of=AS_OF, lang="zh")
    # C1 needs 1800: 600 + 100 alt, buy 1100 -> 03-10; C3 330: 120 then buy 210 -> 03-18
    assert result.loc[0, "material_reason"] == "2026-03-09 前欠料：C3 2026-03-18 到料（需采购 210）; C1 2026-03-10 到料（需采购 1100）"


def test_shortage_without_lead_time_cannot_be_planned():
    stock = canonical("stock", [dict(part_no="C1", on_hand=0), dict(part_no="C3", on_hand=1000)])
    result = promise_lines(lines(dict(qty=10, requested_date="2026-04-30")),
                           plan(stock=stock, capacity=None, purchases=None), calendar=MF, as_of=AS_OF)
    assert result.loc[0, "material_result"] == "fail"
    assert result.loc[0, "material_reason"] == "cannot plan: C1 60 short, no stock, purchase or lead time"
    assert pd.isna(result.loc[0, "promise_date"])


def test_capacity_fail_names_overloaded_days():
    result = promise_lines(lines(dict(qty=100, requested_date="2026-03-06")), plan(stock=None),
                           calendar=MF, as_of=AS_OF)
    # first in the queue: ASSY 50 h -> day 7 = 03-10; need 03-06 - 3 = 03-03 (2 days, 16 h free)
    assert result.loc[0, "capacity_finish"] == D("2026-03-10")
    assert result.loc[0, "capacity_result"] == "fail"
    assert result.loc[0, "capacity_reason"] == (
        "ASSY: finishes 2026-03-10, after 2026-03-03; 34 h over on 2026-03-04..2026-03-10; "
        "SMT: finishes 2026-03-04, after 2026-03-03; 4 h over on 2026-03-04")
    assert "material_result" not in result.columns
    assert result.loc[0, "promise_date"] == D("2026-03-13")


def test_no_routing_warns():
    result = promise_lines(canonical("ledger", [po(part_no="X", requested_date="2026-04-30")]),
                           plan(stock=None), calendar=MF, as_of=AS_OF)
    assert (result.loc[0, "capacity_result"], result.loc[0, "capacity_reason"]) == ("warn", "no routing for X")
    assert pd.isna(result.loc[0, "promise_date"])


def test_no_stock_no_capacity_means_no_promise():
    result = promise_lines(lines(dict(qty=1)), Plan(bom=canonical("bom", bom_rows())), calendar=MF, as_of=AS_OF)
    assert list(result.columns) == ["material_ready", "capacity_finish", "promise_date", "split",
                                    "short_components"]
    assert pd.isna(result.loc[0, "promise_date"])


def test_traded_part_without_bom_is_netted_itself():
    stock = canonical("stock", [dict(part_no="A-100", on_hand=1000)])
    result = promise_lines(canonical("ledger", [po(qty=500, requested_date="2026-03-10")]),
                           Plan(stock=stock), calendar=MF, as_of=AS_OF)
    assert result.loc[0, "material_result"] == "pass"
    assert result.loc[0, "material_reason"] == "A-100 available by 2026-03-02"
    assert result.loc[0, "promise_date"] == D("2026-03-02")


def test_review_lines_with_plan_adds_checks_to_verdict():
    orders = canonical("ledger", [po(part_no="P", qty=300, requested_date="2026-03-12")])
    quotes = canonical("quotes", [quote(part_no="P", lead_time_days=2)])
    frame = review_lines(orders, quotes, calendar=MF, plan=plan(capacity=None), as_of=AS_OF)
    assert frame.loc[0, "price_result"] == "pass" and frame.loc[0, "material_result"] == "fail"
    assert frame.loc[0, "verdict"] == "fail"
    assert frame.loc[0, "promise_date"] == D("2026-03-23")
