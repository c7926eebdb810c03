"""Hand-built canonical ledgers for the OTD, risk and root-cause tests (no tests here).

A frame has every canonical ledger column with the reader's types (docs/ARCHITECTURE.md), so
the engine is tested on exactly the shape ``addin.readers.read(kind="ledger")`` returns."""
from __future__ import annotations

import pandas as pd

from addin import schema


def make_ledger(rows: list[dict]) -> pd.DataFrame:
    """One dict per line; dates as 'YYYY-MM-DD' text, missing keys empty."""
    unknown = {k for r in rows for k in r} - set(schema.LEDGER)
    assert not unknown, f"not ledger fields: {unknown}"
    columns: dict[str, pd.Series] = {}
    for name, kind in schema.LEDGER.items():
        values = [r.get(name) for r in rows]
        if kind == schema.DATE:
            columns[name] = pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d").astype("datetime64[ns]")
        elif kind == schema.NUMBER:
            columns[name] = pd.Series(values, dtype="float64")
        else:
            columns[name] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(columns)
    frame["source_row"] = range(2, len(rows) + 2)
    return frame


def line(due: str | None = "2026-03-10", ship: str | None = None, **fields) -> dict:
    """A line due (promised) on ``due`` and shipped on ``ship``; customer ACME, qty 10."""
    row = {"order_no": "PO-1", "customer": "ACME", "part_no": "A-100", "qty": 10.0,
           "promised_date": due, "ship_date": ship}
    row.update(fields)
    return row
