"""Contract review checks (SPEC section 4) on hand-built canonical frames."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from addin.compute.calendar import WorkingCalendar
from addin.compute.review import review_lines
from addin.schema import BOOL, DATE, KINDS, LIST, NUMBER

CN = WorkingCalendar.cn()
MF = WorkingCalendar.mon_fri()


def canonical(kind: str, rows: list[dict]) -> pd.DataFrame:
    """A frame as the readers return it: every canonical column of the kind, typed."""
    fields = KINDS[kind]
    data = {}
    for field, ftype in fields.items():
        values = [row.get(field) for row in rows]
        if ftype == DATE:
            data[field] = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
        elif ftype == NUMBER:
            data[field] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        elif ftype == BOOL:
            data[field] = pd.Series([bool(v) for v in values], dtype=bool)
        elif ftype == LIST:
            data[field] = pd.Series([tuple(v or ()) for v in values], dtype=object)
        else:
            data[field] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(data, index=range(len(rows)))
    frame["source_row"] = np.arange(2, len(rows) + 2)
    return frame


def quote(**kw) -> dict:
    row = dict(quote_no="Q-1", customer="ACME", part_no="A-100", revision="B", min_qty=1,
               unit_price=1.10, currency="CNY", lead_time_days=10, moq=100,
               valid_from="2026-01-01", valid_until="2026-12-31")
    row.update(kw)
    return row


def po(**kw) -> dict:
    row = dict(order_no="PO-1", line_no="1", customer="ACME", part_no="A-100", revision="B",
               qty=500, unit_price=1.10, currency="CNY", order_date="2026-03-02",
               requested_date="2026-04-30")
    row.update(kw)
    return row


def review(orders: list[dict], quotes: list[dict], **kw) -> pd.DataFrame:
    kw.setdefault("calendar", MF)
    return review_lines(canonical("ledger", orders), canonical("quotes", quotes), **kw)


def one(orders, quotes, check, **kw) -> tuple[str, str]:
    row = review(orders if isinstance(orders, list) else [orders], quotes, **kw).iloc[0]
    return row[f"{check}_result"], row[f"{check}_reason"]


# ---------------------------------------------------------------------- quote

def test_quote_pass_names_the_quote():
    assert one(po(), [quote()], "quote") == ("pass", "quote Q-1 valid 2026-01-01..2026-12-31")


@pytest.mark.parametrize("vf, vu, en, zh", [
    (None, "2027-06-30", "quote Q-1 valid until 2027-06-30", "报价单 Q-1 有效期 至 2027-06-30"),
    ("2026-01-01", None, "quote Q-1 valid from 2026-01-01", "报价单 Q-1 有效期 自 2026-01-01 起"),
    (None, None, "quote Q-1 valid with no validity dates", "报价单 Q-1 有效期 未注明")])
def test_quote_with_open_validity_reads_naturally(vf, vu, en, zh):
    assert one(po(), [quote(valid_from=vf, valid_until=vu)], "quote") == ("pass", en)
    assert one(po(), [quote(valid_from=vf, valid_until=vu)], "quote", lang="zh") == ("pass", zh)


def test_quote_expired_fails_with_expiry_date():
    res, why = one(po(order_date="2026-03-02"), [quote(valid_until="2026-02-28")], "quote")
    assert (res, why) == ("fail", "quote Q-1 expired on 2026-02-28")


def test_quote_not_yet_valid_fails():
    assert one(po(), [quote(valid_from="2026-04-01")], "quote") == (
        "fail", "quote Q-1 is valid only from 2026-04-01")


def test_no_quote_fails_and_other_checks_are_absent():
    row = review([po(part_no="Z-9")], [quote()]).iloc[0]
    assert (row["quote_result"], row["quote_reason"]) == ("fail", "no quote for ACME / Z-9")
    assert row["price_result"] is None and row["tooling_result"] is None
    assert row["verdict"] == "fail"


def test_latest_valid_quote_wins():
    quotes = [quote(quote_no="Q-1", valid_from="2026-01-01", unit_price=1.00),
              quote(quote_no="Q-2", valid_from="2026-02-01", unit_price=1.10),
              quote(quote_no="Q-3", valid_from="2026-04-01", unit_price=1.30)]  # not yet valid
    row = review([po()], quotes).iloc[0]
    assert row["quote_no"] == "Q-2" and row["price_result"] == "pass"


def test_quote_matching_ignores_case_and_full_width():
    assert one(po(customer=" acme ", part_no="Ａ-100"), [quote()], "quote")[0] == "pass"


def test_quote_zh_reason():
    assert one(po(), [quote(valid_until="2026-02-28")], "quote", lang="zh") == (
        "fail", "报价单 Q-1 已于 2026-02-28 过期")


def test_missing_order_date_uses_as_of_or_warns():
    assert one(po(order_date=None), [quote()], "quote")[0] == "warn"
    assert one(po(order_date=None), [quote(valid_until="2026-02-28")], "quote",
               as_of=dt.date(2026, 3, 5))[0] == "fail"


# ---------------------------------------------------------------------- revision

@pytest.mark.parametrize("po_rev, quote_rev, expected", [
    ("B", "B", ("pass", "rev B")),
    ("b", "B", ("pass", "rev B")),
    (None, "B", ("warn", "PO gives no revision; quote is rev B")),
    ("A", "B", ("fail", "PO rev A vs quote rev B")),
    ("A", None, ("pass", "quote names no revision")),
])
def test_revision(po_rev, quote_rev, expected):
    assert one(po(revision=po_rev), [quote(revision=quote_rev)], "revision") == expected


# ---------------------------------------------------------------------- price

BREAKS = [quote(min_qty=100, unit_price=1.20), quote(min_qty=500, unit_price=1.10),
          quote(min_qty=1000, unit_price=1.00)]


def test_price_exactly_at_break_uses_that_break():
    assert one(po(qty=500, unit_price=1.10), BREAKS, "price") == ("pass", "PO 1.10 = quote 1.10 for 500 pcs")


def test_price_one_below_break_uses_lower_break():
    row = review([po(qty=499, unit_price=1.10)], BREAKS).iloc[0]
    assert row["break_qty"] == 100 and row["quote_price"] == 1.20
    assert (row["price_result"], row["price_reason"]) == (
        "fail", "PO 1.10 vs quote 1.20 for 499 pcs (below quote)")


def test_price_higher_than_quote_warns():
    assert one(po(unit_price=1.20), BREAKS, "price") == (
        "warn", "PO 1.20 vs quote 1.10 for 500 pcs (above quote)")


def test_price_within_half_percent_passes():
    assert one(po(unit_price=1.105), BREAKS, "price")[0] == "pass"   # +0.45 %
    assert one(po(unit_price=1.0946), BREAKS, "price")[0] == "pass"  # -0.49 %
    assert one(po(unit_price=1.094), BREAKS, "price")[0] == "fail"   # -0.55 %
    assert one(po(unit_price=1.106), BREAKS, "price")[0] == "warn"   # +0.55 %


def test_price_below_smallest_break_warns_with_smallest_break():
    assert one(po(qty=50, unit_price=1.20), BREAKS, "price") == (
        "warn", "qty 50 below the smallest break 100; PO 1.20 vs quote 1.20")


def test_price_below_smallest_break_and_below_price_fails():
    assert one(po(qty=50, unit_price=1.00), BREAKS, "price")[0] == "fail"


def test_currency_mismatch_fails():
    assert one(po(currency="USD"), [quote()], "price") == ("fail", "currency USD on PO vs CNY on quote")


def test_missing_po_price_warns():
    assert one(po(unit_price=None), [quote()], "price") == ("warn", "PO has no unit price; quote 1.10 for 500 pcs")


def test_price_zh():
    assert one(po(unit_price=1.2), [quote()], "price", lang="zh") == (
        "warn", "订单单价 1.20 高于报价 1.10（500 件）")


# ---------------------------------------------------------------------- lead time

def test_lead_time_pass_and_fail_mon_fri():
    # 2026-03-02 is a Monday: 10 working days later is Monday 2026-03-16
    assert one(po(requested_date="2026-03-16"), [quote()], "lead_time") == (
        "pass", "requested 2026-03-16 ≥ earliest 2026-03-16 (10 working days)")
    assert one(po(requested_date="2026-03-13"), [quote()], "lead_time") == (
        "fail", "requested 2026-03-13 is before the earliest 2026-03-16 (10 working days from 2026-03-02)")


def test_lead_time_missing_requested_date_warns():
    assert one(po(requested_date=None), [quote()], "lead_time") == (
        "warn", "PO has no requested date; earliest 2026-03-16")


def test_lead_time_across_spring_festival_2026_cn():
    # Spring Festival 2026: 2026-02-15..02-23 off; Sat 02-14 and Sat 02-28 are make-up working days.
    # From Tue 2026-02-10, 5 working days: 02-11, 02-12, 02-13, 02-14 (Sat, worked), 02-24.
    orders = [po(order_date="2026-02-10", requested_date="2026-02-24"),
              po(order_date="2026-02-10", requested_date="2026-02-23")]
    frame = review(orders, [quote(lead_time_days=5)], calendar=CN)
    assert frame["earliest_date"].tolist() == [pd.Timestamp("2026-02-24")] * 2
    assert frame["lead_time_result"].tolist() == ["pass", "fail"]
    # 9 working days from 02-10 reach the make-up Saturday 02-28
    frame = review([po(order_date="2026-02-10", requested_date="2026-02-28")],
                   [quote(lead_time_days=9)], calendar=CN)
    assert frame.loc[0, "earliest_date"] == pd.Timestamp("2026-02-28")
    assert frame.loc[0, "lead_time_result"] == "pass"
    # the same on a Monday–Friday calendar lands in the holiday week
    frame = review([po(order_date="2026-02-10", requested_date="2026-02-28")],
                   [quote(lead_time_days=9)], calendar=MF)
    assert frame.loc[0, "earliest_date"] == pd.Timestamp("2026-02-23")


# ---------------------------------------------------------------------- moq

def test_moq_pass_at_moq():
    assert one(po(qty=100), [quote(moq=100)], "moq") == ("pass", "qty 100 ≥ MOQ 100")


def test_moq_fail_without_charge():
    assert one(po(qty=50), [quote(moq=100)], "moq") == ("fail", "qty 50 below MOQ 100 and no MOQ charge on the PO")


def test_moq_charge_column_passes_and_small_charge_warns():
    assert one(po(qty=50, moq_charge=200), [quote(moq=100, moq_charge=200)], "moq") == (
        "pass", "qty 50 below MOQ 100; MOQ charge 200.00 on PO")
    assert one(po(qty=50, moq_charge=100), [quote(moq=100, moq_charge=200)], "moq") == (
        "warn", "qty 50 below MOQ 100; MOQ charge 100.00 on PO vs 200.00 quoted")


def test_moq_charge_as_separate_po_line():
    quotes = [quote(moq=100, moq_charge=200),
              dict(quote_no="Q-1", customer="ACME", part_no="MOQ-FEE", charge_type="MOQ费", unit_price=200,
                   currency="CNY")]
    orders = [po(qty=50), po(line_no="2", part_no="MOQ-FEE", qty=1, unit_price=200, revision=None)]
    frame = review(orders, quotes)
    assert frame["moq_result"].tolist() == ["pass", None]
    assert frame["charge_kind"].tolist() == [None, "moq"]
    assert frame.loc[1, "quote_reason"] == "MOQ charge quoted in Q-1"
    assert frame.loc[1, "price_result"] == "pass"
    assert frame["verdict"].tolist() == ["pass", "pass"]


def test_no_moq_passes():
    assert one(po(qty=1), [quote(moq=None)], "moq") == ("pass", "no MOQ in quote")


# ---------------------------------------------------------------------- tooling

def test_no_tooling_in_quote_passes():
    assert one(po(), [quote()], "tooling") == ("pass", "no tooling in quote")


def test_tooling_missing_fails():
    assert one(po(), [quote(tooling_charge=5000)], "tooling") == (
        "fail", "tooling 5000.00 quoted is not on the PO nor paid on an earlier PO")


def test_tooling_on_po_column_and_short_amount():
    assert one(po(tooling_charge=5000), [quote(tooling_charge=5000)], "tooling") == ("pass", "tooling 5000.00 on PO")
    assert one(po(tooling_charge=3000), [quote(tooling_charge=5000)], "tooling") == (
        "warn", "tooling 3000.00 on PO vs 5000.00 quoted")


def test_tooling_as_separate_charge_line_by_quote_number():
    quotes = [quote(tooling_charge=5000),
              dict(quote_no="Q-1", customer="ACME", part_no="NRE-A100", charge_type="模具费", tooling_charge=5000)]
    orders = [po(), po(line_no="2", part_no="NRE-A100", qty=1, unit_price=5000, revision=None)]
    frame = review(orders, quotes)
    assert frame.loc[0, "tooling_result"] == "pass"
    assert frame.loc[0, "tooling_reason"] == "tooling 5000.00 on PO"
    assert frame.loc[1, "price_reason"] == "PO 5000.00 = quote 5000.00 for 1 pcs"


def test_tooling_paid_on_earlier_po_in_history():
    history = canonical("ledger", [po(order_no="PO-0", order_date="2025-11-01", tooling_charge=5000)])
    res = one(po(), [quote(tooling_charge=5000)], "tooling", history=history)
    assert res == ("pass", "tooling paid on earlier PO PO-0")


def test_tooling_paid_on_cancelled_history_po_does_not_count():
    history = canonical("ledger", [po(order_no="PO-0", tooling_charge=5000, status="cancelled")])
    assert one(po(), [quote(tooling_charge=5000)], "tooling", history=history)[0] == "fail"


def test_tooling_paid_on_earlier_line_of_the_batch():
    orders = [po(order_no="PO-1", order_date="2026-03-02", tooling_charge=5000),
              po(order_no="PO-2", order_date="2026-03-09")]
    frame = review(orders, [quote(tooling_charge=5000)])
    assert frame["tooling_result"].tolist() == ["pass", "pass"]
    assert frame.loc[1, "tooling_reason"] == "tooling paid on earlier PO PO-1"
    # a later PO that pays does not excuse an earlier one
    orders = [po(order_no="PO-1", order_date="2026-03-02"),
              po(order_no="PO-2", order_date="2026-03-09", tooling_charge=5000)]
    assert review(orders, [quote(tooling_charge=5000)])["tooling_result"].tolist() == ["fail", "pass"]


def test_tooling_other_customer_does_not_count():
    history = canonical("ledger", [po(order_no="PO-0", customer="OTHER", tooling_charge=5000)])
    quotes = [quote(tooling_charge=5000)]
    assert one(po(), quotes, "tooling", history=history)[0] == "fail"


# ---------------------------------------------------------------------- verdict and shape

def test_verdict_is_worst_and_index_is_kept():
    orders = canonical("ledger", [po(), po(unit_price=1.2), po(revision="A")])
    orders.index = [10, 11, 12]
    frame = review_lines(orders, canonical("quotes", [quote()]), calendar=MF)
    assert list(frame.index) == [10, 11, 12]
    assert frame["verdict"].tolist() == ["pass", "warn", "fail"]
    assert frame["order_no"].tolist() == ["PO-1"] * 3


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        review([po()], [quote()], lang="fr")


def test_empty_batch():
    frame = review([], [quote()])
    assert len(frame) == 0 and "verdict" in frame.columns
