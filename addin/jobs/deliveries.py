"""Deliveries (SPEC section 13): the ledger's lines measured from their deliveries — a delivery or
receipt export (``--deliveries FILE``, ``[ledger] deliveries`` in orderdesk.toml) joined to the
ledger by order and line, or a ledger with one row per delivery of the same line folded into its
lines. ``otd``, ``report`` and ``backlog`` take the ledger this returns; the deliveries' data
issues (no such line, beyond the quantity) join the ledger's issues, each naming its file and
cell."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from addin.config import Settings
from addin.jobs.inputs import Source, is_path, read_input


@dataclass
class Delivered:
    """The ledger to measure (``ledger``: a ``ReadResult`` or frame, ship dates and shipped
    quantities as at the as-of date) and what the deliveries gave: ``counts`` (rows, lines,
    partial, incomplete, issues; empty without deliveries) and ``issues`` (readers' ``Issue``)."""
    ledger: Source
    counts: dict = field(default_factory=dict)
    issues: list = field(default_factory=list)
    file: str | None = None        # the delivery export's name; None: a ledger per delivery

    def as_json(self) -> dict | None:
        """``"deliveries"`` of the JSON: the counts and every issue; None without deliveries."""
        if not self.counts:
            return None
        return {**{k: v for k, v in self.counts.items() if k != "issues"},
                **({"file": self.file} if self.file else {}),
                "issues": [i.as_dict() for i in self.issues]}


def with_deliveries(ledger: Source, deliveries: Source | None, as_of: _dt.date, settings: Settings | None = None, *,
                    sheet: str | None = None, mapping: Any = None) -> Delivered:
    """``ledger`` (a read ledger or frame) measured from ``deliveries`` (a path, a read result of
    kind ``deliveries`` or a frame; ``sheet``/``mapping`` for reading it), or — without
    deliveries — from its own rows when it holds one row per delivery. Neither: ``ledger`` as it
    is, ``counts`` empty."""
    from addin.compute.deliveries import at_as_of, delivery_counts, fold_repeated, join_deliveries
    data: pd.DataFrame = getattr(ledger, "data", ledger)
    if deliveries is None:
        own_sheet = getattr(ledger, "sheet", None)
        joined = fold_repeated(data, where=_namer(None, own_sheet, getattr(ledger, "column_letters", None)))
        if joined is None:
            return Delivered(ledger)
        extra, file = [], None
        note = (f"{joined.folded} rows deliver lines listed above them (same order, line, part, quantity and due "
                f"dates): measured per line from their {joined.matched} deliveries")
    else:
        read = read_input(deliveries, "deliveries", sheet=sheet, mapping=mapping)
        d_data: pd.DataFrame = getattr(read, "data", read)
        file = _file_name(read, deliveries)
        where = _namer(file, getattr(read, "sheet", None), getattr(read, "column_letters", None))
        joined = join_deliveries(data, d_data, where=where)
        # the export's own rejected rows (a bad date, no quantity) are issues of the deliveries too
        extra = [_prefixed(i, file) for i in getattr(read, "issues", []) or []]
        note = (f"deliveries from {file}: {joined.matched} of {joined.rows} rows matched "
                f"{joined.lines} lines")
    measured = at_as_of(joined.ledger, as_of)
    issues = extra + [_issue(i) for i in joined.issues]
    counts = {"rows": joined.matched, **delivery_counts(joined.ledger, as_of), "issues": len(issues)}
    if isinstance(ledger, pd.DataFrame):
        return Delivered(measured, counts, issues, file)
    columns = dict(getattr(ledger, "columns", None) or {})
    if deliveries is not None:      # the ship dates come from the export now
        columns.setdefault("ship_date", f"{file}: {getattr(read, 'columns', {}).get('ship_date', 'ship_date')}")
        columns.setdefault("shipped_qty", f"{file}: {getattr(read, 'columns', {}).get('shipped_qty', 'shipped_qty')}")
    try:
        out = replace(ledger, data=measured, issues=list(ledger.issues) + issues, columns=columns,
                      notes=list(ledger.notes) + [note])
    except TypeError:       # not a dataclass: a ReadResult-like object of a front end
        import copy
        out = copy.copy(ledger)
        out.data = measured
    return Delivered(out, counts, issues, file)


def _file_name(read: Any, source: Source) -> str:
    path = getattr(read, "path", None) or (source if is_path(source) else None)
    if path is not None:
        return Path(path).name
    return str(getattr(read, "file", None) or "deliveries")


def _namer(file: str | None, sheet: str | None, letters: dict | None):
    """(row, field) -> ``[file]Sheet!D5`` (the file's column of the field; A when unknown)."""
    from addin.files.text import sheet_ref
    letters = dict(letters or {})
    prefix = f"[{file}]" if file else ""
    where = f"{sheet_ref(sheet)}!" if sheet else ""

    def name(row: int, fld: str) -> str:
        return f"{prefix}{where}{letters.get(fld) or letters.get('order_no') or 'A'}{int(row)}"
    return name


def _issue(found: Any):
    from addin.readers import Issue
    return Issue(found.cell, found.field, found.value, found.message, found.severity)


def _prefixed(issue: Any, file: str):
    from addin.readers import Issue
    cell = issue.cell if str(issue.cell).startswith("[") else f"[{file}]{issue.cell}"
    return Issue(cell, issue.field, issue.value, issue.message, issue.severity)


def deliveries_from_config(config_path: Path | None) -> tuple[Path, str | None, Path | None] | None:
    """``[ledger] deliveries`` of ``orderdesk.toml`` (a path relative to the file; optional
    ``deliveries_sheet`` and ``deliveries_map``); None when not given (SPEC 13)."""
    if config_path is None:
        return None
    from addin.config import config_relative, config_section
    from addin.errors import ConfigError
    config_path = Path(config_path)
    raw = config_section(config_path, "ledger")
    if not isinstance(raw, dict) or raw.get("deliveries") is None:
        return None
    file = config_path.name

    def resolve(key: str) -> Path | None:
        text = raw.get(key)
        if text is None:
            return None
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{file}: [ledger] {key} must name a file (e.g. {key} = \"deliveries.xlsx\")")
        p = config_relative(config_path, text)
        if not p.is_file():
            raise ConfigError(f"{file}: [ledger] {key} {text!r}: no such file ({p})")
        return p

    sheet = raw.get("deliveries_sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise ConfigError(f"{file}: [ledger] deliveries_sheet must be a sheet name")
    return resolve("deliveries"), sheet, resolve("deliveries_map")
