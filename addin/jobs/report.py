"""The monthly report job: read the ledger, write the month's on-time-delivery workbook
(``addin.writers.monthly``), return its headline figures. ``orderdesk report`` and the
scheduled ``orderdesk monthly`` both run it."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Iterable

from addin.config import Settings
from addin.jobs.inputs import Source, read_ledger, working_calendar
from addin.jobs.selection import selected


def monthly_report(ledger: Source, settings: Settings, *, month: _dt.date, as_of: _dt.date, lang: str,
                   out: Path, sheet: str | None = None, mapping: Any = None,
                   sources: Iterable[Path] | None = None, purchases: Source | None = None,
                   purchases_sheet: str | None = None, purchases_map: Any = None,
                   deliveries: Source | None = None, deliveries_sheet: str | None = None, deliveries_map: Any = None):
    """Write the workbook for ``month`` to ``out``; returns the writer's ``ReportSummary``.
    ``sources`` are the files hashed on the About sheet (default: the ledger's path).
    ``purchases``: a purchase ledger (SPEC 10): the workbook then has the Suppliers sheet.
    ``deliveries``: a delivery export (SPEC 13): each line measured from its deliveries, their
    data issues on the Data issues sheet (a ledger with one row per delivery is folded alone)."""
    from addin.jobs.deliveries import with_deliveries
    from addin.writers.monthly import write_report
    bought = None if purchases is None else read_purchase_ledger(purchases, sheet=purchases_sheet,
                                                                  mapping=purchases_map)
    if bought is not None and sources:
        sources = list(sources) + [p for p in (getattr(bought, "path", None), purchases_map)
                                   if isinstance(p, (str, Path))]
    if deliveries is not None and sources:
        sources = list(sources) + [p for p in (deliveries, deliveries_map) if isinstance(p, (str, Path))]
    result = with_deliveries(read_ledger(ledger, sheet=sheet, mapping=mapping), deliveries, as_of, settings,
                             sheet=deliveries_sheet, mapping=deliveries_map).ledger
    result = selected(result, settings)   # SPEC 13 filters
    return write_report(result, month=month, out=out, as_of=as_of, settings=settings.otd, lang=lang,
                        calendar=working_calendar(settings), source_files=list(sources) if sources else None,
                        purchases=bought)


def read_purchase_ledger(source: Source, *, sheet: str | None = None, mapping: Any = None):
    """A purchase ledger (SPEC 9 kind ``purchases``: supplier order lines) read as order lines;
    a file without a supplier column is refused, naming it (a sales ledger given by mistake)."""
    from addin.errors import InputError
    result = read_ledger(source, sheet=sheet, mapping=mapping)
    data = getattr(result, "data", result)
    if "supplier" not in data.columns or not data["supplier"].notna().any():
        name = getattr(getattr(result, "path", None), "name", None) or str(source)
        raise InputError(f"{name}: no supplier column found — a purchase ledger needs the supplier of "
                         f"each line (a header such as 供应商 or Supplier, or a --map file naming it)",
                         file=name, expected="a supplier column")
    return result


def purchases_from_config(config_path: Path) -> tuple[Path, str | None, Path | None] | None:
    """``[purchases] path`` (with optional ``sheet`` and ``map``) of ``orderdesk.toml``, paths
    relative to the file; None when the section is absent (SPEC 10)."""
    from addin.config import config_relative, config_section
    from addin.errors import ConfigError
    config_path = Path(config_path)
    raw = config_section(config_path, "purchases")
    if raw is None:
        return None
    file = config_path.name
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str) or not raw["path"].strip():
        raise ConfigError(f"{file}: [purchases] path must name the purchase ledger (e.g. path = \"purchases.xlsx\")")
    unknown = sorted(set(raw) - {"path", "sheet", "map"})
    if unknown:
        raise ConfigError(f"{file}: [purchases] unknown key '{unknown[0]}'")

    path = config_relative(config_path, raw["path"])
    if not path.is_file():
        raise ConfigError(f"{file}: [purchases] path {raw['path']!r}: no such file ({path})")
    sheet = raw.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise ConfigError(f"{file}: [purchases] sheet must be a sheet name")
    mapping = raw.get("map")
    if mapping is not None and not isinstance(mapping, str):
        raise ConfigError(f"{file}: [purchases] map must be a file name")
    return path, sheet, (config_relative(config_path, mapping) if mapping else None)
