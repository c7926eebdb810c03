"""What every contract check shares: the prepared lines, the outcome, and the reason helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ReviewContext", "Outcome", "money", "text_of", "iso_days", "pick_reasons", "only"]


@dataclass
class ReviewContext:
    """The PO lines joined to their quote and price break (one row per PO line, in order), the
    masks the checks share, and what they need besides."""
    lines: pd.DataFrame
    orders: pd.DataFrame                 # the PO lines as given (customer and part texts shown)
    text: dict[str, str]                 # reason templates in the user's language
    lang: str
    calendar: Any                        # addin.compute.calendar.WorkingCalendar
    price_tolerance: float
    is_charge: np.ndarray                # a charge line (tooling / MOQ charge), not a product
    has_quote: np.ndarray
    product: np.ndarray                  # a quoted product line
    od_known: np.ndarray                 # the order date (or the as-of date standing in) is known
    paid_on_po: dict[str, np.ndarray] = field(default_factory=dict)   # charge kind -> paid on this PO
    paid_earlier: list = field(default_factory=list)                  # PO that paid the tooling earlier


@dataclass
class Outcome:
    result: np.ndarray                   # object array: pass / warn / fail / None
    reason: list                         # str or None per line
    extra: dict[str, Any] = field(default_factory=dict)


def money(v: float) -> str:
    """A price as shown in a reason: at least 2 decimals, at most 4."""
    if v is None or pd.isna(v):
        return ""
    text = f"{v:.4f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def text_of(v: Any) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def iso_days(values: Any) -> list[str]:
    """Dates as ISO days over a whole column at once ("" for NaT)."""
    days = np.asarray(pd.to_datetime(pd.Series(values)).to_numpy()).astype("datetime64[D]")
    text = np.datetime_as_string(days)
    return np.where(np.isnat(days), "", text).tolist()


def pick_reasons(mask: np.ndarray | None, templates: list[str], args: dict[str, list],
                 pick: np.ndarray) -> list[str | None]:
    """Per row the reason of the template ``pick`` chose (None where ``mask`` is False): only
    that one template is formatted, not every candidate for every row."""
    keys = list(args)
    columns = [args[k] for k in keys]
    out: list[str | None] = [None] * len(pick)
    for row, i in enumerate(pick.tolist()):
        if mask is None or mask[row]:
            out[row] = templates[i].format(**{k: c[row] for k, c in zip(keys, columns)})
    return out


def only(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``mask``, None elsewhere (the check does not apply there)."""
    return np.where(mask, values, None).astype(object)
