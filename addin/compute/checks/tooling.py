"""``tooling``: the quote's tooling / NRE charge is on the PO, or was paid on an earlier PO
(quoted products)."""
from __future__ import annotations

import numpy as np

from addin.compute.checks.base import Outcome, ReviewContext, money, only, pick_reasons, text_of


def run(ctx: ReviewContext) -> Outcome:
    lines, t, tol = ctx.lines, ctx.text, ctx.price_tolerance
    quoted = lines["_q_tool"].to_numpy()
    paid = ctx.paid_on_po["tooling"]
    earlier = ctx.paid_earlier
    with np.errstate(invalid="ignore"):
        low = paid < quoted * (1 - tol)
    args = {"paid": [money(v) if not np.isinf(v) else "" for v in paid],
            "quoted": [money(v) for v in quoted], "po": [text_of(v) for v in earlier]}
    templates = [t["tool_none"], t["tool_po_low"], t["tool_po"], t["tool_earlier"], t["tool_fail"]]
    has_tool = ~np.isnan(paid)
    pick = np.select([np.isnan(quoted) | (quoted <= 0), has_tool & low, has_tool,
                      np.array([v is not None for v in earlier], dtype=bool)], [0, 1, 2, 3], default=4)
    return Outcome(only(ctx.product, np.array(["pass", "warn", "pass", "pass", "fail"], dtype=object)[pick]),
                   pick_reasons(ctx.product, templates, args, pick))
