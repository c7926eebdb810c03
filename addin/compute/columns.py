"""Canonical columns of a frame, read once the same way by every computation.

A column the frame lacks is empty (NaT, NaN or None), never an error: readers give every
canonical column, but the UDFs and tests pass frames with only the columns they have.
"""
from __future__ import annotations

import datetime as _dt
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError

__all__ = ["as_timestamp", "date_column", "number_column", "text_column", "match_key", "qty_text"]


def as_timestamp(as_of: _dt.date | str | pd.Timestamp) -> pd.Timestamp:
    """The as-of date as a Timestamp at midnight."""
    return pd.Timestamp(as_of).normalize()


def date_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A date column as datetime64 at midnight (time of day and time zone dropped); absent or
    all-empty gives NaT. Values that are not dates raise InputError naming the column."""
    if name not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]", name=name)
    col = frame[name]
    if not pd.api.types.is_datetime64_any_dtype(col):
        if col.isna().all():
            return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]", name=name)
        try:
            col = pd.to_datetime(col)
        except (TypeError, ValueError):
            raise InputError(f"column {name} holds {col.dtype} values, not dates — read the ledger with "
                             f"addin.readers.read(..., kind='ledger')", expected="dates") from None
    if getattr(col.dt, "tz", None) is not None:
        col = col.dt.tz_localize(None)
    if getattr(col.array, "is_normalized", False):   # one pass, no new array: dates read are midnights
        return col
    return col.dt.normalize()


def number_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column as float64; absent gives NaN, text that is not a number NaN."""
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64", name=name)
    col = frame[name]
    if col.dtype == np.float64:        # as a reader gives it: no copy
        return col
    return pd.to_numeric(col, errors="coerce").astype("float64")


def text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text column as it is; absent gives None."""
    if name not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object, name=name)
    return frame[name]


def match_key(values: pd.Series) -> pd.Series:
    """Matching key: NFKC, trimmed, case-folded text; None for empty. Each distinct value is
    normalised once (a quote book repeats a few thousand part numbers over many rows)."""
    codes, uniques = pd.factorize(pd.Series(values.to_numpy(dtype=object), dtype=object), use_na_sentinel=True)
    keyed = []
    for value in uniques:
        text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
        keyed.append(text or None)
    table = np.array(keyed + [None], dtype=object)  # code -1 (empty) takes the last slot
    return pd.Series(table[codes], index=values.index, dtype=object)


def qty_text(v: Any) -> str:
    """A quantity as people write it: ``500``, ``2.5``; empty for none."""
    if v is None or pd.isna(v):
        return ""
    return f"{v:g}" if float(v) != int(v) else f"{int(v)}"
