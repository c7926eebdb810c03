"""A file of which no row is usable is an error, not an empty result (SPEC section 9).

``otd``, ``report``, ``risk`` and the monthly job all call :func:`require_usable` right after
reading: an empty report e-mailed every month, or "OTD n/a" printed with exit status 0, would hide
that the ledger could not be read at all. The message names the file, how many rows were read,
and the three commonest reasons with the first cell of each, e.g.::

    ledger.xlsx: no usable order line (57,096 rows read): 57,096 'not a date' in 订单!F2 …;
    12 'is empty (a value is required)' in 订单!B9 …
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from addin.errors import InputError

__all__ = ["require_usable", "unusable_reasons"]

TOP_REASONS = 3


def unusable_reasons(result: Any, top: int = TOP_REASONS) -> list[str]:
    """The ``top`` commonest rejection reasons of a read, as ``"<count> '<message>' in <cell>[ …]"``
    (most rows first, ties in the order met), one reason per column and message."""
    counts: Counter = Counter()
    first: dict[tuple[str, str], str] = {}
    for issue in getattr(result, "issues", None) or []:
        if getattr(issue, "severity", "error") != "error":
            continue
        key = (column_of(issue.cell), str(issue.message))   # one reason per column and message
        counts[key] += 1
        first.setdefault(key, issue.cell)
    reasons = []
    for key, n in counts.most_common(top):
        more = " …" if n > 1 else ""
        reasons.append(f"{n:,} '{key[1]}' in {first[key]}{more}")
    return reasons


def require_usable(result: Any, what: str = "order line") -> None:
    """Raise :class:`InputError` when ``result`` (a ``ReadResult``) holds no valid row.

    A bare DataFrame is usable when it has a row. The check is on rows read, not on lines that
    can be measured: a ledger whose lines are all valid but not yet due is a real (empty) month."""
    rows = getattr(result, "rows", None)
    if rows is None:
        data = result
        if len(data):
            return
        raise InputError(f"no usable {what}: the table is empty", expected=f"at least one {what}")
    if int(rows.valid) > 0:
        return
    file = getattr(result, "file", None) or "the file"
    sheet = getattr(result, "sheet", None)
    read = int(rows.read)
    reasons = unusable_reasons(result)
    if not reasons:
        where = f" of sheet {sheet}" if sheet else ""
        if read == 0:
            why = f"no data rows under the header{where}"
        else:
            why = f"all {read:,} rows{where} are blank or totals"
        reasons = [why]
    raise InputError(f"{file}: no usable {what} ({read:,} rows read): " + "; ".join(reasons),
                     file=file, sheet=sheet, expected=f"at least one valid {what}")


def column_of(cell: str) -> str:
    """``'Sheet 1'!F17`` -> ``'Sheet 1'!F``: the sheet and column a cell reference names."""
    sheet, _, ref = str(cell).rpartition("!")
    ref = ref.split(":")[0].replace("$", "")
    return f"{sheet}!{ref.rstrip('0123456789')}"
