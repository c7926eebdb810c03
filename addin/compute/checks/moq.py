"""``moq``: the quantity reaches the quote's MOQ, or an MOQ charge is on the PO (quoted products)."""
from __future__ import annotations

import numpy as np

from addin.compute.checks.base import Outcome, ReviewContext, money, only, pick_reasons
from addin.compute.columns import qty_text


def run(ctx: ReviewContext) -> Outcome:
    lines, t, tol = ctx.lines, ctx.text, ctx.price_tolerance
    qty = lines["_qty"].to_numpy()
    moq = lines["_q_moq"].to_numpy()
    paid = ctx.paid_on_po["moq"]
    quoted_charge = lines["_q_moq_charge"].to_numpy()
    with np.errstate(invalid="ignore"):
        moq_met = qty >= moq
        charge_low = paid < quoted_charge * (1 - tol)
    args = {"qty": [qty_text(v) for v in qty], "moq": [qty_text(v) for v in moq],
            "paid": [money(v) if not np.isinf(v) else "" for v in paid],
            "quoted": [money(v) for v in quoted_charge]}
    templates = [t["moq_none"], t["moq_ok"], t["moq_charge_low"], t["moq_charge"], t["moq_fail"]]
    has_charge = ~np.isnan(paid)
    pick = np.select([np.isnan(moq) | (moq <= 0), moq_met, has_charge & charge_low, has_charge],
                     [0, 1, 2, 3], default=4)
    return Outcome(only(ctx.product, np.array(["pass", "pass", "warn", "pass", "fail"], dtype=object)[pick]),
                   pick_reasons(ctx.product, templates, args, pick))
