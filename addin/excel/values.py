"""Python values as Excel takes them, one rule for the buttons (``book.frame_rows``) and the
worksheet functions (``udfs.frame_to_rows``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def excel_value(value: Any) -> Any:
    """A Python value as Excel takes it: NaN/NaT/None -> empty, Timestamp -> datetime, numpy
    numbers -> Python numbers."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def frame_rows(frame: pd.DataFrame, header: Any = None) -> list[list]:
    """A DataFrame as rows of plain cell values, the header row first (``header`` or the column
    names; ``False``: no header row)."""
    rows = [] if header is False else [list(header if header is not None else frame.columns)]
    rows += [[excel_value(v) for v in r] for r in frame.itertuples(index=False, name=None)]
    return rows
