"""``quote``: a quote for customer + part exists and is valid on the order date."""
from __future__ import annotations

import numpy as np

from addin.compute.checks.base import Outcome, ReviewContext, iso_days, pick_reasons, text_of


def run(ctx: ReviewContext) -> Outcome:
    lines, out, t = ctx.lines, ctx.orders, ctx.text
    valid = lines["_valid"].fillna(False).to_numpy(dtype=bool)
    expired = (lines["_vu"] < lines["_od_eff"]).to_numpy()
    vf_days, vu_days = iso_days(lines["_vf"]), iso_days(lines["_vu"])
    # a validity with one end open reads "until ..." / "from ...", not "…..2027-06-30"
    span = [t["span_both" if f and u else "span_until" if u else "span_from" if f else "span_open"]
            .format(vf=f, vu=u) for f, u in zip(vf_days, vu_days)]
    kinds = [t.get(f"kind_{k}", "") if isinstance(k, str) else "" for k in lines["charge_kind"]]
    args = {"cust": [text_of(v) for v in out["customer"]] if "customer" in out else [""] * len(out),
            "part": [text_of(v) for v in out["part_no"]] if "part_no" in out else [""] * len(out),
            "q": [text_of(v) for v in lines["_qno_shown"]], "vf": [d or "…" for d in vf_days],
            "vu": [d or "…" for d in vu_days], "span": span, "kind": kinds}
    conditions = [~ctx.has_quote, ~ctx.od_known, ~valid & expired, ~valid, ctx.is_charge, np.ones(len(lines), bool)]
    templates = [t["quote_none"], t["quote_no_date"], t["quote_expired"], t["quote_future"], t["charge_ok"],
                 t["quote_ok"]]
    verdicts = np.array(["fail", "warn", "fail", "fail", "pass", "pass"], dtype=object)
    pick = np.select(conditions, np.arange(len(templates)), default=len(templates) - 1)
    return Outcome(verdicts[pick], pick_reasons(None, templates, args, pick))
