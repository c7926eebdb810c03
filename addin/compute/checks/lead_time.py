"""``lead_time``: the requested date is on or after the order date + the quoted lead time in
working days (quoted products). A date counted through a year without holiday data is flagged."""
from __future__ import annotations

import numpy as np
import pandas as pd

from addin.compute.checks.base import Outcome, ReviewContext, iso_days, only, pick_reasons
from addin.compute.columns import qty_text
from addin.compute.coverage import calendar_gaps, flag_gaps, gap_notes


def run(ctx: ReviewContext) -> Outcome:
    """Extra: ``earliest`` (order date + lead time, per line), ``years``/``hit`` (the uncovered
    years the count ran through, as ``calendar_gaps`` gives them)."""
    lines, t, calendar, product = ctx.lines, ctx.text, ctx.calendar, ctx.product
    lead = lines["_q_lt"].to_numpy()
    earliest = calendar.workday_many(pd.Series(lines["_od_eff"]), pd.Series(lead)).to_numpy()
    req = lines["_req"].to_numpy()
    args = {"req": iso_days(req), "earliest": iso_days(earliest),
            "days": [qty_text(v) for v in lead], "od": iso_days(lines["_od_eff"])}
    templates = [t["lt_none"], t["lt_no_order_date"], t["lt_missing"], t["lt_ok"], t["lt_late"]]
    with np.errstate(invalid="ignore"):
        ok = req >= earliest
    pick = np.select([np.isnan(lead), ~ctx.od_known, pd.isna(req), ok], [0, 1, 2, 3], default=4)
    result = only(product, np.array(["pass", "warn", "warn", "pass", "fail"], dtype=object)[pick])
    reason = pick_reasons(product, templates, args, pick)
    # WORKDAY(order date, lead time) counted through a year without holiday data is too early
    with np.errstate(invalid="ignore"):
        counted = product & (np.trunc(lead) != 0) & ~np.isnan(lead)   # WORKDAY(d, 0) is d: no calendar
    years, hit = calendar_gaps(calendar, [(np.where(counted, lines["_od_eff"].to_numpy(),
                                                    np.datetime64("NaT", "ns")), earliest)])
    result, reason = flag_gaps(result, reason, gap_notes(calendar, years, hit, ctx.lang), ctx.lang)
    return Outcome(result, reason, {"earliest": earliest, "years": years, "hit": hit})
