"""SPEC defaults and choices, once: every module and front end takes them from here.

Sections refer to ``SPEC.md``. Changing a default here changes it for the command line, the
buttons, the UDFs and the scheduled job alike.
"""
from __future__ import annotations

LANGS: tuple[str, ...] = ("zh", "en")                        # section 1
BASES: tuple[str, ...] = ("promised", "requested", "first_promised", "agreed")   # sections 3 and 11
BASIS = "promised"                                             # the default basis
# the OTD ladder, rung order: the customer's ask, our first commitment, that commitment reset by
# the changes the customer agreed (section 11), our latest commitment
LADDER_BASES: tuple[str, ...] = ("requested", "first_promised", "agreed", "promised")
WEIGHTS: tuple[str, ...] = ("lines", "qty", "value")          # section 3, how OTD % is weighted
WEIGHT = "lines"
LATE_TOLERANCE = 0          # days after the due date still on time (section 3)
EARLY_TOLERANCE = None      # None: early counts as on time
MAJOR_DAYS = 3              # days late from which a late line is major (section 3)
RISK_HORIZON = 3            # working days: due within it is at risk (section 3)
PRICE_TOLERANCE = 0.005     # section 4: PO price vs the quote's price break, 0.5 %
CALENDAR = "cn"             # section 8: cn | mon-fri | a calendar workbook

__all__ = ["LANGS", "BASES", "BASIS", "LADDER_BASES", "WEIGHTS", "WEIGHT", "LATE_TOLERANCE", "EARLY_TOLERANCE",
           "MAJOR_DAYS", "RISK_HORIZON", "PRICE_TOLERANCE", "CALENDAR"]
