"""The monthly report job: read the ledger, write the month's on-time-delivery workbook
(``addin.writers.monthly``), return its headline figures. ``orderdesk report`` and the
scheduled ``orderdesk monthly`` both run it."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Iterable

from addin.config import Settings
from addin.jobs.inputs import Source, read_ledger, working_calendar


def monthly_report(ledger: Source, settings: Settings, *, month: _dt.date, as_of: _dt.date, lang: str,
                   out: Path, sheet: str | None = None, mapping: Any = None,
                   sources: Iterable[Path] | None = None):
    """Write the workbook for ``month`` to ``out``; returns the writer's ``ReportSummary``.
    ``sources`` are the files hashed on the About sheet (default: the ledger's path)."""
    from addin.writers.monthly import write_report
    result = read_ledger(ledger, sheet=sheet, mapping=mapping)
    return write_report(result, month=month, out=out, as_of=as_of, settings=settings.otd, lang=lang,
                        calendar=working_calendar(settings), source_files=list(sources) if sources else None)
