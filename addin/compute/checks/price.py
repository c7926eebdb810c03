"""``price``: the PO's unit price equals the quote's price break for the quantity, within the
price tolerance, in the same currency (products and charge lines)."""
from __future__ import annotations

import numpy as np

from addin.compute.checks.base import Outcome, ReviewContext, money, only, pick_reasons, text_of
from addin.compute.columns import qty_text


def run(ctx: ReviewContext) -> Outcome:
    lines, t, tol = ctx.lines, ctx.text, ctx.price_tolerance
    po_price = lines["_price"].to_numpy()
    quote_price = lines["_break_price"].to_numpy()
    qty = lines["_qty"].to_numpy()
    below_breaks = lines["_below_breaks"].fillna(False).to_numpy(dtype=bool)
    po_cur, q_cur = lines["_cur"].to_numpy(dtype=object), lines["_q_cur_key"].to_numpy(dtype=object)
    cur_diff = np.array([isinstance(a, str) and isinstance(b, str) and a != b for a, b in zip(po_cur, q_cur)],
                        dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = po_price < quote_price * (1 - tol)
        high = po_price > quote_price * (1 + tol)
    args = {"po": [money(v) for v in po_price], "qp": [money(v) for v in quote_price],
            "qty": [qty_text(v) for v in qty], "brk": [qty_text(v) for v in lines["_break_qty"]],
            "pc": [text_of(v) for v in lines["_cur_shown"]], "qc": [text_of(v) for v in lines["_q_cur"]]}
    templates = [t["price_noquote"], t["price_currency"], t["price_missing"], t["price_low"], t["price_small"],
                 t["price_high"], t["price_ok"]]
    pick = np.select([np.isnan(quote_price), cur_diff, np.isnan(po_price), low, below_breaks, high],
                     [0, 1, 2, 3, 4, 5], default=6)
    grades = np.array(["warn", "fail", "warn", "fail", "warn", "warn", "pass"], dtype=object)
    return Outcome(only(ctx.has_quote, grades[pick]), pick_reasons(ctx.has_quote, templates, args, pick))
