"""Property tests: nothing promised twice, more stock never later, later request never worse."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.compute.promise import Plan, promise_lines
from addin.compute.review import review_lines
from test_promise import AS_OF, MF, bom_rows, plan
from test_review import canonical, po, quote

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

quantities = st.integers(min_value=1, max_value=400)
days = st.integers(min_value=0, max_value=60)


def _date(offset: int) -> str:
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


@SETTINGS
@given(stock=st.integers(0, 1000), lines=st.lists(st.tuples(quantities, days), min_size=1, max_size=8),
       opened=st.lists(st.tuples(quantities, days), max_size=4))
def test_stock_on_hand_is_never_promised_twice(stock, lines, opened):
    orders = canonical("ledger", [po(line_no=str(i), part_no="T", qty=q, requested_date=_date(d))
                                  for i, (q, d) in enumerate(lines)])
    open_orders = canonical("ledger", [po(order_no=f"SO-{i}", part_no="T", qty=q, promised_date=_date(d),
                                          requested_date=None, status="open") for i, (q, d) in enumerate(opened)])
    stock_frame = canonical("stock", [dict(part_no="T", on_hand=stock, purchase_lead_time_days=10)])
    result = promise_lines(orders, Plan(stock=stock_frame, open_orders=open_orders), calendar=MF, as_of=AS_OF)
    at_once = (result["material_ready"] == pd.Timestamp(AS_OF)).tolist()
    # every line served from stock at once, with the lines and open orders queued before it
    # (due date; an open order first on the same day), fits in the stock
    for i, (qty, due) in enumerate(lines):
        if at_once[i]:
            served = sum(q for j, (q, d) in enumerate(lines) if at_once[j] and (d, j) <= (due, i))
            claimed = sum(q for q, d in opened if d <= due)
            assert served + claimed <= stock


@SETTINGS
@given(c1=st.integers(0, 3000), c3=st.integers(0, 500), extra=st.integers(1, 2000),
       which=st.sampled_from(["C1", "C1-ALT", "C3"]),
       lines=st.lists(st.tuples(quantities, days), min_size=1, max_size=5))
def test_more_stock_never_makes_a_promise_later(c1, c3, extra, which, lines):
    orders = canonical("ledger", [po(line_no=str(i), part_no="P", qty=q, requested_date=_date(d))
                                  for i, (q, d) in enumerate(lines)])

    def stock(bonus: int):
        rows = [dict(part_no="C1", on_hand=c1, purchase_lead_time_days=5, inspection_days=1, moq=1000),
                dict(part_no="C1-ALT", on_hand=100, purchase_lead_time_days=20),
                dict(part_no="C3", on_hand=c3, purchase_lead_time_days=10, inspection_days=2)]
        for row in rows:
            if row["part_no"] == which:
                row["on_hand"] += bonus
        return canonical("stock", rows)

    before = promise_lines(orders, plan(stock=stock(0)), calendar=MF, as_of=AS_OF)["promise_date"]
    after = promise_lines(orders, plan(stock=stock(extra)), calendar=MF, as_of=AS_OF)["promise_date"]
    for old, new in zip(before, after):
        assert not pd.isna(new) and (pd.isna(old) or new <= old)


@SETTINGS
@given(qty=quantities, request=days, later=st.integers(1, 60), price=st.sampled_from([1.0, 1.1, 1.2]),
       c1=st.integers(0, 3000), lead=st.integers(0, 30))
def test_later_requested_date_never_turns_pass_into_fail(qty, request, later, price, c1, lead):
    quotes = canonical("quotes", [quote(part_no="P", lead_time_days=lead, moq=50)])
    stock = canonical("stock", [dict(part_no="C1", on_hand=c1, purchase_lead_time_days=5, moq=1000),
                                dict(part_no="C3", on_hand=200, purchase_lead_time_days=10)])

    def run(offset: int) -> pd.Series:
        orders = canonical("ledger", [po(part_no="P", qty=qty, unit_price=price, requested_date=_date(offset))])
        return review_lines(orders, quotes, calendar=MF, as_of=AS_OF,
                            plan=plan(stock=stock, open_orders=None)).iloc[0]

    early, late = run(request), run(request + later)
    for check in ("quote", "revision", "price", "lead_time", "moq", "tooling", "material", "capacity"):
        if early[f"{check}_result"] == "pass":
            assert late[f"{check}_result"] == "pass", check
    assert late["promise_date"] == early["promise_date"]
