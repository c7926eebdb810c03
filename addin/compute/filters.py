"""Which lines a measurement is about (SPEC section 13): ``--customer``, ``--part``, ``--owner``,
``--supplier``, each repeatable, select lines before anything is measured. One implementation:
the command line, orderdesk.toml's ``[filter]``, the Config sheet's ``filter.*`` rows and every
job call :func:`select_lines`.

Matching: a value matches a line's field when both are equal once trimmed and case-folded
(``acme`` selects ``ACME``), as customer tolerances are matched. Values of one field are
alternatives (``--customer A --customer B``: either), fields together narrow (``--customer A
--part X``: A's lines of X). A value that matches no line is an error naming it and the closest
values present, never an empty report that looks like "no late lines"."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from addin.compute.columns import text_column
from addin.errors import InputError

SELECTED = "orderdesk.filter"   # DataFrame.attrs key: the filter a frame was selected with

# filter name (option, config key) -> the ledger field it selects on
FILTER_FIELDS: dict[str, str] = {"customer": "customer", "part": "part_no", "owner": "owner", "supplier": "supplier"}


def _values(values: Iterable[str] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        text = str(v).strip()
        if text and text not in out:
            out.append(text)
    return tuple(out)


@dataclass(frozen=True)
class LineFilter:
    """The values asked for per filter; an empty tuple selects every line."""
    customer: tuple[str, ...] = ()
    part: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    supplier: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in FILTER_FIELDS:
            object.__setattr__(self, name, _values(getattr(self, name)))

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in FILTER_FIELDS)

    def items(self) -> list[tuple[str, tuple[str, ...]]]:
        """(filter name, values) of the filters given."""
        return [(name, getattr(self, name)) for name in FILTER_FIELDS if getattr(self, name)]

    def describe(self) -> str:
        """``--customer ACME --part X-1`` as the command line writes it (for titles and messages)."""
        return " ".join(f"--{name} {v}" for name, values in self.items() for v in values)

    def as_dict(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.items()}


def _key(values: pd.Series) -> pd.Series:
    return values.map(lambda v: None if v is None else str(v).strip().casefold())


def closest_values(wanted: str, present: Sequence[str], n: int = 3) -> list[str]:
    """Up to ``n`` values of ``present`` nearest to ``wanted`` (case aside): close spellings first,
    then values that contain it or that it contains."""
    folded = {p.casefold(): p for p in present}
    near = difflib.get_close_matches(wanted.casefold(), list(folded), n=n, cutoff=0.5)
    contain = [f for f in folded if f not in near and (wanted.casefold() in f or f in wanted.casefold())]
    return [folded[f] for f in (near + contain)[:n]]


def filter_mask(ledger: pd.DataFrame, line_filter: LineFilter | None) -> np.ndarray:
    """True for each line the filter selects. Raises ``InputError`` for a value that matches no
    line (naming the closest values the ledger holds) and when the filters together leave none."""
    keep = np.ones(len(ledger), dtype=bool)
    if not line_filter:
        return keep
    for name, values in line_filter.items():
        fld = FILTER_FIELDS[name]
        column = text_column(ledger, fld)
        keys = _key(column)
        present = sorted({str(v).strip() for v in column.dropna() if str(v).strip()})
        wanted = {v.casefold() for v in values}
        for value in values:
            if not (keys == value.casefold()).any():
                raise InputError(_no_match(name, value, present), value=value,
                                 expected=f"a {fld} of the ledger")
        keep &= keys.isin(wanted).to_numpy()
    if not keep.any():
        raise InputError(f"no line matches {line_filter.describe()} together: each value is present, "
                         f"but on different lines — drop one of the filters", value=line_filter.describe())
    return keep


def _no_match(name: str, value: str, present: Sequence[str]) -> str:
    fld = FILTER_FIELDS[name]
    if not present:
        return f"--{name} '{value}' matches no line: the ledger has no {fld} column (or it is empty)"
    near = closest_values(value, present)
    if near:
        return f"--{name} '{value}' matches no line; closest {fld} values: {', '.join(repr(v) for v in near)}"
    shown = ", ".join(repr(v) for v in present[:5]) + (" …" if len(present) > 5 else "")
    return f"--{name} '{value}' matches no line; the ledger's {fld} values include {shown}"


def select_lines(ledger: pd.DataFrame, line_filter: LineFilter | None) -> pd.DataFrame:
    """The lines of ``ledger`` the filter selects (the frame itself when there is no filter).
    Selecting twice with the same filter is selecting once: the chosen frame carries its filter
    (``attrs``), so a front end and the job it calls may both select without the second pass
    calling a value absent (``--customer A --customer B --part X`` leaves only B's lines)."""
    if not line_filter or ledger.attrs.get(SELECTED) == line_filter:
        return ledger
    chosen = ledger.loc[filter_mask(ledger, line_filter)]
    chosen.attrs[SELECTED] = line_filter
    return chosen
