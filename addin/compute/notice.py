"""One customer's weekly progress notice (SPEC section 11), pure.

What the customer hears, in the words of seed practice: their open lines with status and
milestone progress; each line at risk or late with its cause, the remedy and the new date
("交期可能延误2天：原因…，措施…，预计…"); what shipped since the last notice.

**Only that customer.** The customer's lines are taken out of the ledger first (customer name
trimmed, case and width folded) and everything after works on them alone. The free text a notice
shows (description, action) is the coordinator's own writing and may name another order or
customer ("after PO-778 of BigCo"): every other customer's name and order number in it is
replaced by ``…``. The exception note itself is never shown, only its cause (the root-cause
taxonomy).

**Dates.** Risk is :func:`addin.compute.risk.assess_risk` on the line's due date (the settings'
basis). The new date of a line at risk or late is its promised date when that is today or
later, else "to be confirmed". The delay is the new date minus the date the customer asked
for (requested, else promised); a late line without a new date counts the days it is late so far.
"Shipped since" covers ship dates after ``since`` up to the as-of date, so consecutive weekly
notices neither repeat nor miss a shipment.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from addin.compute.columns import as_timestamp, date_column, match_key, number_column, text_column
from addin.errors import InputError
from addin.i18n import STRINGS, risk_label, t
from addin.schema import MILESTONES

if TYPE_CHECKING:  # pragma: no cover
    from addin.compute.calendar import WorkingCalendar

__all__ = ["CustomerNotice", "customer_lines", "customer_notice", "email_text", "Redactor", "REDACTED"]

REDACTED = "…"


@dataclass(frozen=True)
class CustomerNotice:
    """``open_lines``: order_no, line_no, part_no, description, qty, shipped_qty, requested_date,
    promised_date, status (label), risk, risk_label, progress. ``at_risk``: order_no, line_no,
    part_no, description, due_date, risk, risk_label, days (delay), cause, cause_label, action,
    new_date, message. ``shipped``: order_no, line_no, part_no, description, ship_date, qty."""
    customer: str
    as_of: dt.date
    since: dt.date
    lang: str
    open_lines: pd.DataFrame
    at_risk: pd.DataFrame
    shipped: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


class Redactor:
    """Replaces other customers' names and order numbers in free text by ``…``. A name is matched
    case-insensitively; one made of letters and digits only where it stands alone (``PO-12`` is
    not found inside ``PO-123``); the customer's own names and order numbers are never touched."""

    def __init__(self, forbidden: Iterable[str], own: Iterable[str]):
        own_keys = {_fold(o) for o in own if o and _fold(o)}
        bad = {_fold(f) for f in forbidden if f and len(_fold(f)) >= 2} - own_keys
        # own names in the same alternation, longest first: 'ACME-12' (own) wins over 'ACME' (other)
        terms = sorted(bad | own_keys, key=len, reverse=True)
        self._own = own_keys
        self._pattern = re.compile("|".join(_term(x) for x in terms), re.IGNORECASE) if bad else None

    def __call__(self, text: Any) -> Any:
        if self._pattern is None or not isinstance(text, str) or not text:
            return text
        return self._pattern.sub(lambda m: m.group(0) if _fold(m.group(0)) in self._own else REDACTED, text)


def _fold(text: Any) -> str:
    import unicodedata
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def _term(term: str) -> str:
    body = re.escape(term).replace(r"\ ", r"\s+")
    # ASCII letters/digits at an edge must not continue a longer word or number
    head = r"(?<![0-9a-z])" if re.match(r"[0-9a-z]", term) else ""
    tail = r"(?![0-9a-z])" if re.search(r"[0-9a-z]$", term) else ""
    return head + body + tail


def customer_lines(ledger: pd.DataFrame, customer: str, *, file: str | None = None) -> pd.DataFrame:
    """The ledger's lines of ``customer`` (trimmed, case and width folded). None found: an
    InputError naming the closest customers of the ledger."""
    key = match_key(pd.Series([customer], dtype=object)).iloc[0]
    keys = match_key(text_column(ledger, "customer"))
    mine = ledger[(keys == key).to_numpy()]
    if key is None or not len(mine):
        names = [n for n in pd.unique(text_column(ledger, "customer").dropna().astype(str))]
        close = difflib.get_close_matches(customer, names, n=3, cutoff=0.5)
        hint = f" — did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(f"{file or 'the ledger'}: no line of customer '{customer}'{hint}", file=file,
                         value=customer, expected="a customer name as the ledger writes it")
    return mine


def _date(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _progress(lines: pd.DataFrame, as_of: pd.Timestamp, lang: str) -> list[str]:
    from addin.compute.risk import MILESTONE_LABELS
    labels = MILESTONE_LABELS.get(lang, MILESTONE_LABELS["en"])
    planned = {m: date_column(lines, f"planned_{m}_date").tolist() for m in MILESTONES}
    actual = {m: date_column(lines, f"actual_{m}_date").tolist() for m in MILESTONES}
    out = []
    for i in range(len(lines)):
        tracked = [m for m in MILESTONES if not (pd.isna(planned[m][i]) and pd.isna(actual[m][i]))]
        if not tracked:
            out.append(t("notice.progress_none", lang))
            continue
        done = [m for m in tracked if not pd.isna(actual[m][i]) and actual[m][i] <= as_of]
        pending = [m for m in tracked if m not in done]
        if pending and not pd.isna(planned[pending[0]][i]):
            out.append(t("notice.progress_next", lang, done=len(done), total=len(tracked), m=labels[pending[0]],
                         date=planned[pending[0]][i].date().isoformat()))
        else:
            out.append(t("notice.progress_text", lang, done=len(done), total=len(tracked)))
    return out


def _status_text(value: Any, lang: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    key = f"changes.status.{value}"
    return t(key, lang) if key in STRINGS else str(value)


def customer_notice(ledger: pd.DataFrame, customer: str, *, as_of: dt.date, since: dt.date | None = None,
                    calendar: WorkingCalendar | None = None, horizon: int = 3, basis: str = "promised",
                    lang: str = "en", keywords: Mapping[str, Sequence[str]] | None = None,
                    file: str | None = None) -> CustomerNotice:
    """The notice for ``customer`` at ``as_of``, shipments after ``since`` (default ``as_of`` − 7
    days). ``keywords`` extend the root-cause lists."""
    from addin.compute.risk import assess_risk
    from addin.compute.rootcause import cause_label, classify_causes
    since = since or (as_of - dt.timedelta(days=7))
    if since > as_of:
        raise InputError(f"--since {since.isoformat()} is after the as-of date {as_of.isoformat()}",
                         value=since.isoformat(), expected="a date on or before the as-of date")
    mine = customer_lines(ledger, customer, file=file)
    shown_name = next((c for c in text_column(mine, "customer").tolist() if isinstance(c, str) and c.strip()), customer)
    own_orders = set(text_column(mine, "order_no").dropna().astype(str))
    others = ledger[~ledger.index.isin(mine.index)] if ledger.index.is_unique else ledger.drop(mine.index)
    forbidden = set(text_column(others, "customer").dropna().astype(str)) | \
        set(text_column(others, "order_no").dropna().astype(str))
    redact = Redactor(forbidden, {*own_orders, *text_column(mine, "customer").dropna().astype(str)})

    day = as_timestamp(as_of)
    mine = mine.reset_index(drop=True)
    risk = assess_risk(mine, as_of, calendar, horizon, basis=basis, lang=lang)
    description = [redact(d) for d in text_column(mine, "description").tolist()]
    action = [redact(a) for a in text_column(mine, "action").tolist()]
    requested, promised = date_column(mine, "requested_date"), date_column(mine, "promised_date")
    from addin.compute.otd import due_dates
    due = due_dates(mine, basis)
    asked = requested.fillna(promised)
    is_open = risk["risk"].isin(["overdue", "at_risk", "on_track"]).to_numpy()
    progress = _progress(mine, day, lang)

    def pick(mask: np.ndarray, columns: dict[str, list]) -> pd.DataFrame:
        idx = np.flatnonzero(mask)
        return pd.DataFrame({k: pd.Series([v[i] for i in idx], dtype=object) for k, v in columns.items()})

    base = {"order_no": text_column(mine, "order_no").tolist(), "line_no": text_column(mine, "line_no").tolist(),
            "part_no": text_column(mine, "part_no").tolist(), "description": description}
    open_lines = pick(is_open, {**base, "qty": number_column(mine, "qty").tolist(),
                                "shipped_qty": number_column(mine, "shipped_qty").tolist(),
                                "requested_date": requested.tolist(), "promised_date": promised.tolist(),
                                "status": [_status_text(s, lang) for s in text_column(mine, "status").tolist()],
                                "risk": risk["risk"].tolist(),
                                "risk_label": [risk_label(r, lang) for r in risk["risk"].tolist()],
                                "progress": progress})

    risky = risk["risk"].isin(["overdue", "at_risk"]).to_numpy()
    causes = classify_causes(text_column(mine, "exception_type"), text_column(mine, "exception_note"), keywords)
    records = []
    for i in np.flatnonzero(risky):
        cause = causes.iloc[i]
        label = cause_label(cause, lang) if cause and cause != "unclassified" else None
        new_date = promised.iloc[i] if not pd.isna(promised.iloc[i]) and promised.iloc[i] >= day else None
        act = action[i] if isinstance(action[i], str) and action[i].strip() else None
        cause_text = label or t("notice.cause_unknown", lang)
        words = {"cause": cause_text.lower() if lang == "en" else cause_text,
                 "action": act or t("notice.action_unknown", lang),
                 "expect": t("notice.expect", lang, date=new_date.date().isoformat()) if new_date is not None
                 else t("notice.expect_unknown", lang)}
        if risk["risk"].iloc[i] == "overdue":
            days = int((day - due.iloc[i]).days) if not pd.isna(due.iloc[i]) else None
            if new_date is not None and not pd.isna(asked.iloc[i]):
                days = max(days or 0, int((new_date - asked.iloc[i]).days))
            message = t("notice.late_one" if days == 1 else "notice.late", lang, n=days, **words)
        else:
            days = int((new_date - asked.iloc[i]).days) if new_date is not None and not pd.isna(asked.iloc[i]) else 0
            if days > 0:
                message = t("notice.may_delay_one" if days == 1 else "notice.may_delay", lang, n=days, **words)
            else:
                days = 0
                message = t("notice.at_risk", lang, why=risk["risk_reason"].iloc[i] or "", action=words["action"])
        records.append({"order_no": base["order_no"][i], "line_no": base["line_no"][i], "part_no": base["part_no"][i],
                        "description": description[i], "due_date": due.iloc[i], "risk": risk["risk"].iloc[i],
                        "risk_label": risk_label(risk["risk"].iloc[i], lang), "days": days, "cause": cause,
                        "cause_label": label, "action": act, "new_date": new_date, "message": message})
    at_risk = pd.DataFrame(records, columns=["order_no", "line_no", "part_no", "description", "due_date", "risk",
                                             "risk_label", "days", "cause", "cause_label", "action", "new_date",
                                             "message"])

    ship = date_column(mine, "ship_date")
    went = ((ship > as_timestamp(since)) & (ship <= day)).to_numpy()
    qty = number_column(mine, "shipped_qty").fillna(number_column(mine, "qty"))
    shipped = pick(went, {**base, "ship_date": ship.tolist(), "qty": qty.tolist()})
    if len(shipped):
        shipped = shipped.sort_values("ship_date", kind="stable").reset_index(drop=True)
    counts = {"open": int(is_open.sum()), "overdue": int((risk["risk"] == "overdue").sum()),
              "at_risk": int((risk["risk"] == "at_risk").sum()), "on_track": int((risk["risk"] == "on_track").sum()),
              "shipped": len(shipped)}
    return CustomerNotice(shown_name, as_of, since, lang, open_lines, at_risk, shipped, counts)


def _qty(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.4g}"


def email_text(notice: CustomerNotice) -> tuple[str, str]:
    """The e-mail's subject and plain-text body in the notice's language."""
    lang = notice.lang
    c = notice.counts
    subject = t("notice.subject", lang, customer=notice.customer, as_of=notice.as_of.isoformat())
    out = [t("notice.mail_greeting", lang, customer=notice.customer), "",
           t("notice.mail_intro", lang, as_of=notice.as_of.isoformat()),
           t("notice.summary", lang, open=c["open"], on_track=c["on_track"], at_risk=c["at_risk"],
             overdue=c["overdue"], shipped=c["shipped"], since=notice.since.isoformat()), ""]

    def key(r) -> str:
        return " / ".join(str(x) for x in (r.order_no, r.line_no) if x is not None and x == x)

    colon = "：" if lang == "zh" else ":"
    out.append(t("notice.risk_title", lang) + colon)
    if len(notice.at_risk):
        out += [f"- {key(r)}  {r.part_no or ''}: {r.message}" for r in notice.at_risk.itertuples(index=False)]
    else:
        out.append("- " + t("notice.none_risk", lang))
    out += ["", t("notice.shipped_title", lang, since=notice.since.isoformat()) + colon]
    if len(notice.shipped):
        out += [f"- {key(r)}  {r.part_no or ''}  {_qty(r.qty)}  {_date(r.ship_date).isoformat()}"
                for r in notice.shipped.itertuples(index=False)]
    else:
        out.append("- " + t("notice.none_shipped", lang))
    out += ["", t("notice.open_title", lang) + colon]
    if len(notice.open_lines):
        for r in notice.open_lines.itertuples(index=False):
            day = _date(r.promised_date) or _date(r.requested_date)
            out.append(f"- {key(r)}  {r.part_no or ''}  {_qty(r.qty)}  {day.isoformat() if day else ''}  "
                       f"{r.risk_label}  {r.progress}".rstrip())
    else:
        out.append("- " + t("notice.none_open", lang))
    out += ["", t("notice.mail_attached", lang), t("notice.footer", lang), "", t("notice.mail_close", lang), ""]
    return subject, "\n".join(out)
