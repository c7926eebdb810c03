"""``revision``: the PO's revision equals the quoted revision (quoted products only)."""
from __future__ import annotations

import numpy as np

from addin.compute.checks.base import Outcome, ReviewContext, only, pick_reasons, text_of


def run(ctx: ReviewContext) -> Outcome:
    lines, t = ctx.lines, ctx.text
    rev = [text_of(v).strip() for v in lines["_rev"]]
    qrev = [text_of(v).strip() for v in lines["_q_rev"]]
    rev_same = np.array([a.casefold() == b.casefold() for a, b in zip(rev, qrev)], dtype=bool)
    no_qrev = np.array([not b for b in qrev], dtype=bool)
    no_rev = np.array([not a for a in rev], dtype=bool)
    pick = np.select([no_qrev, no_rev, rev_same], [0, 1, 2], default=3)
    # rev_ok shows the quote's revision (the same text up to case)
    templates = [t["rev_none_quote"], t["rev_missing"], t["rev_ok"].replace("{rev}", "{qrev}"), t["rev_diff"]]
    return Outcome(only(ctx.product, np.array(["pass", "warn", "pass", "fail"], dtype=object)[pick]),
                   pick_reasons(ctx.product, templates, {"rev": rev, "qrev": qrev}, pick))
