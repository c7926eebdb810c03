"""The customer-notice job (SPEC section 11): read the ledger, take one customer's lines, write
the weekly progress notice workbook and the e-mail body. ``orderdesk notice`` runs it for one
customer; the weekly scheduled send runs it per configured customer."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from addin.config import Settings
from addin.jobs.inputs import Source, frame, read_ledger, working_calendar

__all__ = ["NoticeJob", "customer_progress", "write_notice", "notice_json"]


@dataclass(frozen=True)
class NoticeJob:
    """The computed ``CustomerNotice`` and its e-mail (subject, body)."""
    notice: Any
    subject: str
    body: str


def customer_progress(ledger: Source, customer: str, settings: Settings, *, as_of: _dt.date,
                      since: _dt.date | None = None, lang: str = "en", sheet: str | None = None,
                      mapping: Any = None) -> NoticeJob:
    """The notice of ``customer`` (``addin.compute.notice.customer_notice``) with the settings'
    risk horizon, basis, calendar and root-cause keywords, and its e-mail text."""
    from addin.compute.notice import customer_notice, email_text
    result = read_ledger(ledger, sheet=sheet, mapping=mapping)
    name = getattr(result, "file", None)
    notice = customer_notice(frame(result), customer, as_of=as_of, since=since, calendar=working_calendar(settings),
                             horizon=settings.otd.risk_horizon, basis=settings.otd.basis, lang=lang,
                             keywords=settings.otd.cause_keywords, file=name)
    subject, body = email_text(notice)
    return NoticeJob(notice, subject, body)


def write_notice(out: Path, job: NoticeJob, *, inputs: list[Path], body: Path | None = None) -> Path:
    """The notice workbook (``addin.writers.noticebook``) and, when ``body`` is given, the e-mail
    body as a UTF-8 text file; both atomic, neither over an input (nor over each other)."""
    from addin.writers.noticebook import write_notice_book, write_text_file
    write_notice_book(out, job.notice, inputs=[*inputs, *([body] if body else [])])
    if body is not None:
        write_text_file(body, job.body, inputs=[*inputs, out])
    return out


def _day(value: Any) -> str | None:
    import pandas as pd
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else \
        pd.Timestamp(value).date().isoformat()


def _num(value: Any) -> Any:
    import pandas as pd
    if value is None or pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def notice_json(job: NoticeJob) -> dict:
    """The notice as one object: customer, dates, counts, open lines, lines at risk, shipped, e-mail."""
    n = job.notice
    return {
        "customer": n.customer, "as_of": n.as_of.isoformat(), "since": n.since.isoformat(), "counts": n.counts,
        "open": [{"order_no": r.order_no, "line_no": r.line_no, "part_no": r.part_no, "qty": _num(r.qty),
                  "shipped_qty": _num(r.shipped_qty), "requested_date": _day(r.requested_date),
                  "promised_date": _day(r.promised_date), "risk": r.risk, "progress": r.progress}
                 for r in n.open_lines.itertuples(index=False)],
        "at_risk": [{"order_no": r.order_no, "line_no": r.line_no, "part_no": r.part_no, "risk": r.risk,
                     "days": r.days, "cause": r.cause, "action": r.action, "new_date": _day(r.new_date),
                     "message": r.message} for r in n.at_risk.itertuples(index=False)],
        "shipped": [{"order_no": r.order_no, "line_no": r.line_no, "part_no": r.part_no, "ship_date": _day(r.ship_date),
                     "qty": _num(r.qty)} for r in n.shipped.itertuples(index=False)],
        "email": {"subject": job.subject, "body": job.body},
    }
