"""The PMC plan (SPEC section 10), worked out by hand: what to buy, what to expedite, which
customer lines are blocked and by what, the load per line and week — on the same netting as the
promise date."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from addin.compute.calendar import WorkingCalendar
from addin.compute.plan import open_lines, plan_orders
from addin.compute.promise import Plan, priority_rank
from test_review import canonical

MF = WorkingCalendar.mon_fri()
AS_OF = dt.date(2026, 3, 2)  # a Monday
D = pd.Timestamp


def order(order_no: str, qty: float, due: str, part: str = "P", **kw) -> dict:
    row = dict(order_no=order_no, line_no="1", customer="ACME", part_no=part, qty=qty, promised_date=due,
               status="open")
    row.update(kw)
    return row


def purchases(*rows: dict) -> pd.DataFrame:
    frame = canonical("purchases", list(rows))
    frame["supplier"] = pd.Series([r.get("supplier") for r in rows], dtype=object)
    return frame


def factory(bom=None, stock=(), purchase=(), capacity=None, routing=None, **kw) -> Plan:
    return Plan(bom=canonical("bom", bom) if bom is not None else None, stock=canonical("stock", list(stock)),
                purchases=purchases(*purchase) if purchase else None,
                capacity=canonical("capacity", capacity) if capacity is not None else None,
                routing=canonical("routing", routing) if routing is not None else None, **kw)


def run(lines: list[dict], plan: Plan, as_of: dt.date = AS_OF):
    return plan_orders(canonical("ledger", lines), plan, calendar=MF, as_of=as_of)


ONE_C = [dict(parent="P", component="C", qty_per=1)]


def test_a_late_purchase_blocks_the_later_line_and_not_the_earlier():
    # C: 100 free; PO-1 brings 100 on 03-20 (a new buy would take 20 working days: 03-30).
    # SO-1 (due 03-10) comes first and takes the stock; SO-2 (due 03-13) waits for PO-1.
    plan = factory(ONE_C, stock=[dict(part_no="C", on_hand=100, purchase_lead_time_days=20)],
                   purchase=[dict(po_no="PO-1", supplier="Acme Semi", part_no="C", qty=100, due_date="2026-03-20")])
    result = run([order("SO-1", 100, "2026-03-10"), order("SO-2", 100, "2026-03-13")], plan)
    blocked = result.blocked
    assert blocked["order_no"].tolist() == ["SO-2"]
    assert blocked.loc[0, "blocked_by"] == [{"action": "expedite", "part_no": "C", "po_no": "PO-1",
                                             "supplier": "Acme Semi", "date": D("2026-03-20"), "qty": 100.0}]
    assert blocked.loc[0, "promise_date"] == D("2026-03-20") and blocked.loc[0, "days_late"] == 7
    late = result.late_purchases
    assert late[["po_no", "status", "days_late", "need_date"]].values.tolist() == [
        ["PO-1", "at_risk", 7, D("2026-03-13")]]
    assert late.loc[0, "blocks"] == [("SO-2", "1")]
    # short of C by SO-2's need date: 100, covered late by PO-1, nothing to buy
    short = result.shortages
    assert short[["part_no", "need_date", "short_qty", "buy_qty"]].values.tolist() == [["C", D("2026-03-13"), 100.0, 0.0]]
    assert short.loc[0, "expedite"] == (("PO-1", "Acme Semi", D("2026-03-20")),) and pd.isna(short.loc[0, "order_by"])


def test_an_overdue_purchase_is_late_and_names_the_lines_waiting_for_it():
    # PO-1 was due 02-25 and has not come: counted as arriving today, listed as late by 5 days
    plan = factory(ONE_C, stock=[dict(part_no="C", on_hand=0, purchase_lead_time_days=20)],
                   purchase=[dict(po_no="PO-1", supplier="Acme Semi", part_no="C", qty=100, due_date="2026-02-25")])
    result = run([order("SO-1", 60, "2026-03-20"), order("SO-2", 40, "2026-03-27")], plan)
    late = result.late_purchases
    assert late[["po_no", "supplier", "status", "days_late"]].values.tolist() == [["PO-1", "Acme Semi", "late", 5]]
    assert late.loc[0, "waiting"] == [("SO-1", "1"), ("SO-2", "1")]
    assert late.loc[0, "blocks"] == [] and result.blocked.empty


def test_an_alternate_covers_the_shortage():
    # P needs 2 C (alternate C-ALT). 100 P = 200 C: 50 C + 150 C-ALT, nothing short
    bom = [dict(parent="P", component="C", qty_per=2, alternates=("C-ALT",))]
    stock = [dict(part_no="C", on_hand=50, purchase_lead_time_days=10), dict(part_no="C-ALT", on_hand=150)]
    result = run([order("SO-1", 100, "2026-03-10")], factory(bom, stock=stock))
    assert result.shortages.empty and result.blocked.empty
    # with only 100 C-ALT, 50 C are short: bought (10 working days: 03-16, after the need 03-10)
    stock[1]["on_hand"] = 100
    result = run([order("SO-1", 100, "2026-03-10")], factory(bom, stock=stock))
    short = result.shortages
    assert short[["part_no", "short_qty", "buy_qty"]].values.tolist() == [["C", 50.0, 50.0]]
    assert short.loc[0, "alternates_used"] == ("C-ALT",)
    assert short.loc[0, "order_by"] == D("2026-02-24") and bool(short.loc[0, "order_late"])  # 03-10 − 10 wd
    assert result.blocked.loc[0, "blocked_by"] == [{"action": "buy", "part_no": "C", "po_no": None,
                                                    "supplier": None, "date": D("2026-03-16"), "qty": 50.0}]


def test_moq_rounds_the_one_buy_of_a_part():
    # C: none free, MOQ 500, 5 + 1 working days to buy and inspect. Two lines need 150 and 120:
    # one order of max(270, 500) = 500, by the first need date 03-20 − 6 wd = 03-12
    stock = [dict(part_no="C", on_hand=0, purchase_lead_time_days=5, inspection_days=1, moq=500)]
    result = run([order("SO-1", 150, "2026-03-20"), order("SO-2", 120, "2026-04-10")], factory(ONE_C, stock=stock))
    row = result.shortages.iloc[0]
    assert (row["part_no"], row["need_date"], row["short_qty"], row["buy_qty"], row["order_by"], row["lines"]) == \
        ("C", D("2026-03-20"), 270.0, 500.0, D("2026-03-12"), 2)
    assert not row["order_late"] and row["lead_time_days"] == 6
    assert result.blocked.empty  # bought today it is there 03-10, before both need dates


def test_an_overloaded_week_and_the_line_it_blocks():
    # SMT works 8 h a day, P takes 1 h. SO-1: 50 P due Wed 03-04; SO-2: 30 P due Fri 03-13.
    # Week 10 (03-02..06): 50 h needed, 40 h there -> overloaded. Week 11: 30 h of 40; cumulative 80 of 80.
    plan = factory(capacity=[dict(line="SMT", hours_per_day=8)],
                   routing=[dict(part_no="P", line="SMT", hours_per_unit=1)])
    plan = Plan(capacity=plan.capacity, routing=plan.routing)
    result = run([order("SO-1", 50, "2026-03-04"), order("SO-2", 30, "2026-03-13")], plan)
    load = result.capacity
    assert load[["line", "week", "required_h", "available_h", "overloaded", "cum_overloaded"]].values.tolist() == [
        ["SMT", "2026-W10", 50.0, 40.0, True, True], ["SMT", "2026-W11", 30.0, 40.0, False, False]]
    # forward: SO-1's 50 h end on the 7th working day (03-10), after its 03-04; SO-2's 80 h on 03-13
    assert result.blocked["order_no"].tolist() == ["SO-1"]
    assert result.blocked.loc[0, "blocked_by"] == [{"action": "capacity", "line": "SMT", "date": D("2026-03-10")}]
    assert not result.ran_material and result.shortages.empty


def test_the_as_of_week_counts_its_remaining_days_only():
    plan = Plan(capacity=canonical("capacity", [dict(line="SMT", hours_per_day=8)]),
                routing=canonical("routing", [dict(part_no="P", line="SMT", hours_per_unit=1)]))
    # as of Thursday 03-05: 2 working days (16 h) left in week 10; a line due last week loads this one
    result = run([order("SO-1", 10, "2026-02-27"), order("SO-2", 10, "2026-03-06")], plan, as_of=dt.date(2026, 3, 5))
    assert result.capacity[["week", "required_h", "available_h"]].values.tolist() == [["2026-W10", 20.0, 16.0]]


def test_priority_decides_who_gets_scarce_stock():
    # both due 03-10, 100 C for 150 wanted: tier A (written second) is served before tier B
    stock = [dict(part_no="C", on_hand=100, purchase_lead_time_days=20)]
    lines = [order("SO-B", 100, "2026-03-10", customer="Beta", priority="B"),
             order("SO-A", 50, "2026-03-10", customer="Alpha", priority="A")]
    result = run(lines, factory(ONE_C, stock=stock))
    assert result.blocked["order_no"].tolist() == ["SO-B"]
    assert result.blocked.loc[0, "blocked_by"][0]["qty"] == 50.0   # 50 left after Alpha's 50
    # without priorities, file order: SO-B takes all 100 and SO-A waits
    for line in lines:
        line.pop("priority")
    assert run(lines, factory(ONE_C, stock=stock)).blocked["order_no"].tolist() == ["SO-A"]
    # an earlier due date goes first whatever the priority
    lines = [order("SO-A", 100, "2026-03-11", priority="A"), order("SO-C", 100, "2026-03-10", priority="C")]
    assert run(lines, factory(ONE_C, stock=stock)).blocked["order_no"].tolist() == ["SO-A"]


def test_priority_words_letters_and_numbers():
    ranks = priority_rank(pd.Series(["B", "A级", "S", "2", 1, "一级", "VIP", "低", None, "??"], dtype=object))
    order_ = sorted(range(len(ranks)), key=lambda i: ranks[i])
    assert ranks[0] > ranks[1] > ranks[2]            # S above A above B
    assert ranks[3] > ranks[4] and ranks[5] == 1.0    # 1 before 2; 一级 is 1
    assert ranks[6] < ranks[7] < ranks[4]             # words first, VIP before 低
    assert order_[-2:] == [8, 9]                      # blank and unknown last


def test_expedite_versus_buy():
    # P = C1 + C2, due 03-13. C1: nothing free, PO-7 from Kingtech brings it 03-18 -> expedite.
    # C2: nothing free, no purchase, 10 working days to buy (03-16) -> buy, order by 02-27 (late)
    bom = [dict(parent="P", component="C1", qty_per=1), dict(parent="P", component="C2", qty_per=2)]
    stock = [dict(part_no="C1", on_hand=0, purchase_lead_time_days=20),
             dict(part_no="C2", on_hand=0, purchase_lead_time_days=10, moq=1000)]
    plan = factory(bom, stock=stock,
                   purchase=[dict(po_no="PO-7", supplier="Kingtech", part_no="C1", qty=500, due_date="2026-03-18")])
    result = run([order("SO-1", 100, "2026-03-13")], plan)
    assert result.blocked.loc[0, "blocked_by"] == [
        {"action": "expedite", "part_no": "C1", "po_no": "PO-7", "supplier": "Kingtech", "date": D("2026-03-18"),
         "qty": 100.0},
        {"action": "buy", "part_no": "C2", "po_no": None, "supplier": None, "date": D("2026-03-16"), "qty": 200.0}]
    assert result.blocked.loc[0, "promise_date"] == D("2026-03-18")
    short = result.shortages.set_index("part_no")
    assert short.loc["C1", "buy_qty"] == 0 and short.loc["C1", "expedite"] == (("PO-7", "Kingtech", D("2026-03-18")),)
    assert (short.loc["C2", "short_qty"], short.loc["C2", "buy_qty"], short.loc["C2", "order_by"]) == \
        (200.0, 1000.0, D("2026-02-27"))
    # the buy list comes first by its order-by date
    assert result.shortages["part_no"].tolist() == ["C2", "C1"]


def test_a_part_without_lead_time_is_still_on_the_buy_list():
    result = run([order("SO-1", 10, "2026-03-13")], factory(ONE_C, stock=[dict(part_no="C", on_hand=4, moq=50)]))
    row = result.shortages.iloc[0]
    assert (row["short_qty"], row["buy_qty"]) == (6.0, 50.0) and pd.isna(row["order_by"])
    assert result.blocked.loc[0, "blocked_by"] == [{"action": "buy", "part_no": "C", "po_no": None,
                                                    "supplier": None, "date": None, "qty": 6.0}]
    assert pd.isna(result.blocked.loc[0, "promise_date"])


def test_only_open_quantities_are_planned():
    lines = canonical("ledger", [order("SO-1", 100, "2026-03-10", shipped_qty=60, status="in_progress"),
                                 order("SO-2", 100, "2026-03-10", status="shipped"),
                                 order("SO-3", 100, "2026-03-10", status="cancelled"),
                                 order("SO-4", 100, "2026-03-10", shipped_qty=100)])
    assert open_lines(lines)[["order_no", "qty"]].values.tolist() == [["SO-1", 40.0]]
    result = plan_orders(lines, factory(ONE_C, stock=[dict(part_no="C", on_hand=0, purchase_lead_time_days=1)]),
                         calendar=MF, as_of=AS_OF)
    assert result.open_lines == 1 and result.shortages.loc[0, "short_qty"] == 40.0


def test_three_levels_and_scrap_reach_the_bought_parts():
    # P = 2 SUB; SUB = 3 C (10 % scrap): 10 P need 66 C
    bom = [dict(parent="P", component="SUB", qty_per=2), dict(parent="SUB", component="MOD", qty_per=1),
           dict(parent="MOD", component="C", qty_per=3, scrap_pct=10)]
    result = run([order("SO-1", 10, "2026-03-20")],
                 factory(bom, stock=[dict(part_no="C", on_hand=6, purchase_lead_time_days=2)]))
    assert result.shortages.loc[0, "short_qty"] == pytest.approx(60.0)


def test_an_overdue_line_is_blocked_only_by_what_is_not_there_today():
    # SO-1 was due 02-20: C is on hand and SMT does its 4 h today -> nothing holds it (it just ships);
    # SO-2, due 02-27, needs 10 h more: SMT ends them on 03-03 -> held by SMT, nothing by material
    plan = factory(ONE_C, stock=[dict(part_no="C", on_hand=100, purchase_lead_time_days=5)],
                   capacity=[dict(line="SMT", hours_per_day=8)], routing=[dict(part_no="P", line="SMT", hours_per_unit=1)])
    result = run([order("SO-1", 4, "2026-02-20"), order("SO-2", 10, "2026-02-27")], plan)
    assert result.blocked["order_no"].tolist() == ["SO-2"]
    assert result.blocked.loc[0, "blocked_by"] == [{"action": "capacity", "line": "SMT", "date": D("2026-03-03")}]
    assert result.shortages.empty
