"""On-time delivery (SPEC section 3): due dates, outcome of each line, OTD/OTIF summaries.

Every definition lives here once; the command line, the monthly workbook and the Excel
functions all call these functions. Pure pandas, vectorised: a million lines take well under
a second (see ``benchmarks/``), no file, clock or Excel access.

Decisions where SPEC is silent (also on the About sheet of the workbook):

* A line is **shipped** when it has a ``ship_date`` on or before the as-of date. A ship date
  after the as-of date is ignored (the measurement is "as it stood on the as-of date", so a
  re-run for a past date gives the same answer); the line gets ``flag = ship_after_as_of``.
* Status ``shipped``/``closed`` (已出货, 已接收, 已结案 …) **without** a ship date: the line was
  completed on a day nobody wrote down, so whether it was on time cannot be measured. Once due it
  is outcome ``closed_without_date``: outside the rate (neither on time nor late — never guessed,
  never a 0 %), counted under ``excluded`` and said in every headline, and it keeps
  ``flag = no_ship_date`` so the data-quality sheet names its row.
* A ledger **without a completion-date column** (``completion=False``: no ship, delivery or
  receipt date was found) cannot measure OTD at all: the rate is unknown (``unknown_reasons``
  gives ``no_ship_date_column``), never 0 %. Lines whose status says open are still late once
  overdue (that is known); lines with no status cannot be told open from done and are outcome
  ``no_ship_date_column``, excluded like the closed ones.
* A line due **after** the as-of date is ``not_yet_due`` even when it has already shipped (the
  cohort is lines due on or before the as-of date, SPEC section 3); it is measured once its
  due date has come.
* Per-customer tolerances: ``(late, early)`` where None means "the global setting". Customer
  names are compared trimmed and case-folded.
* ``days_late`` is counted from the due date itself (not from due + tolerance), in calendar days.
* Promise drift with the two promised-date columns a ledger has: ``drift_count`` is 1 when the
  first and the latest promised dates differ, else 0; ``drift_days`` = latest − first
  (positive = pushed out). Both are unknown (NA/NaN) when the latest promised date or the first
  promised date is missing; a first promise without a later one is no drift (0, 0).
* ``in_full`` is unknown (NA) when ``shipped_qty`` or ``qty`` is missing. OTIF of a group is
  unknown (None) when any on-time line in it has an unknown in-full (so a ledger without shipped
  quantities has OTIF unknown everywhere): it is never guessed.
* Counts (lines, on_time, late, early, pending) are line counts; the weight (lines, qty, value)
  applies to the OTD and OTIF rates. ``avg_days_late`` is the plain mean over late lines.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from addin.errors import ConfigError, InputError
from addin.compute.columns import as_timestamp, date_column, number_column, text_column
from addin.defaults import (BASES, BASIS, EARLY_TOLERANCE, LADDER_BASES, LATE_TOLERANCE, MAJOR_DAYS, RISK_HORIZON,
                             WEIGHT, WEIGHTS)
from addin.schema import STATUS_WORDS

OUTCOMES: tuple[str, ...] = ("on_time", "late", "early", "pending", "cancelled", "no_due_date", "not_yet_due",
                              "closed_without_date", "no_ship_date_column")
COHORT: tuple[str, ...] = ("on_time", "late", "early", "pending")       # lines of the cohort
MEASURED: tuple[str, ...] = ("on_time", "late", "early")                # the base of OTD %
EXCLUDED: tuple[str, ...] = ("cancelled", "no_due_date", "not_yet_due")
# excluded because they cannot be measured: listed (in JSON, headlines) only when they occur
UNMEASURABLE: tuple[str, ...] = ("closed_without_date", "no_ship_date_column")
METRICS: tuple[str, ...] = ("lines", "on_time", "late", "early", "pending", "otd", "otif", "avg_days_late")

_LEDGER_DATES = ("order_date", "requested_date", "first_promised_date", "promised_date", "ship_date")
_LEDGER_NUMBERS = ("qty", "unit_price", "shipped_qty")
_LEDGER_TEXT = ("order_no", "line_no", "customer", "part_no", "status", "owner", "priority",
                "exception_type", "exception_note")


def _check_days(name: str, value: Any, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(f"{name} must be a whole number of days ≥ 0, not {value!r}")


@dataclass(frozen=True)
class OtdSettings:
    """How lines are measured. ``customer_tolerances`` maps a customer name to ``(late, early)``
    day counts; None in either place keeps the global setting. ``cause_keywords`` extends the
    root-cause keyword lists (``[rootcause.keywords]`` of the config)."""
    basis: str = BASIS
    late_tolerance: int = LATE_TOLERANCE
    early_tolerance: int | None = EARLY_TOLERANCE
    customer_tolerances: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    supplier_tolerances: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    major_days: int = MAJOR_DAYS
    risk_horizon: int = RISK_HORIZON
    weight: str = WEIGHT
    cause_keywords: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ConfigError(f"basis '{self.basis}' is not known: use one of {', '.join(BASES)}")
        if self.weight not in WEIGHTS:
            raise ConfigError(f"weight '{self.weight}' is not known: use one of {', '.join(WEIGHTS)}")
        _check_days("late_tolerance", self.late_tolerance, allow_none=False)
        _check_days("early_tolerance", self.early_tolerance, allow_none=True)
        _check_days("major_days", self.major_days, allow_none=False)
        _check_days("risk_horizon", self.risk_horizon, allow_none=False)
        for table, tolerances in (("customers", self.customer_tolerances), ("suppliers", self.supplier_tolerances)):
            for party, pair in tolerances.items():
                if not isinstance(pair, tuple) or len(pair) != 2:
                    raise ConfigError(f"otd.{table}.\"{party}\": expected (late_tolerance, early_tolerance)")
                _check_days(f"otd.{table}.\"{party}\".late_tolerance", pair[0], allow_none=True)
                _check_days(f"otd.{table}.\"{party}\".early_tolerance", pair[1], allow_none=True)
        from addin.compute.rootcause import check_keywords
        check_keywords(self.cause_keywords)

    @classmethod
    def from_config(cls, otd: Mapping[str, Any] | None = None,
                    rootcause_keywords: Mapping[str, Sequence[str]] | None = None,
                    **overrides: Any) -> OtdSettings:
        """Settings from the ``[otd]`` table of ``orderdesk.toml`` (SPEC section 8); keyword
        arguments (e.g. from the command line) win over the file. ``calendar`` is not an OTD
        setting and is ignored here."""
        otd = dict(otd or {})
        known = {"basis", "late_tolerance", "early_tolerance", "risk_horizon", "major_days", "weight",
                 "calendar", "customers", "suppliers"}
        unknown = sorted(set(otd) - known)
        if unknown:
            raise ConfigError(f"otd.{unknown[0]} is not a setting: use {', '.join(sorted(known))}")
        parties: dict[str, dict[str, tuple[int | None, int | None]]] = {"customers": {}, "suppliers": {}}
        for kind, found in parties.items():
            for name, table in (otd.get(kind) or {}).items():
                if not isinstance(table, Mapping) or set(table) - {"late_tolerance", "early_tolerance"}:
                    raise ConfigError(f"otd.{kind}.\"{name}\": only late_tolerance and early_tolerance may be set")
                found[name] = (table.get("late_tolerance"), table.get("early_tolerance"))
        values = {k: otd[k] for k in ("basis", "late_tolerance", "early_tolerance", "risk_horizon",
                                      "major_days", "weight") if k in otd}
        values["customer_tolerances"] = parties["customers"]
        values["supplier_tolerances"] = parties["suppliers"]
        values["cause_keywords"] = dict(rootcause_keywords or {})
        values.update({k: v for k, v in overrides.items()})
        return cls(**values)


# --------------------------------------------------------------------------- input shape

# --------------------------------------------------------------------------- definitions

def ladder_dates(ledger: pd.DataFrame, bases: tuple[str, ...] = BASES) -> dict[str, pd.Series]:
    """The due date of each line under every basis (SPEC sections 3 and 11), the one definition:

    * ``requested``: the requested date;
    * ``first_promised``: the first promised date, else the promised date, else the requested date;
    * ``agreed``: the date last agreed with the customer — the ``agreed_date`` column (filled in
      by the coordinator, or from the requested-date changes ``orderdesk changes`` found: see
      :func:`with_agreed_changes`), else the first commitment as ``first_promised``. A customer's
      own postponement resets the baseline; our re-commits (promise drift) do not;
    * ``promised``: the promised date, else the requested date.

    ``bases``: only these are made (each is a column's worth of memory)."""
    requested = date_column(ledger, "requested_date")
    promised = date_column(ledger, "promised_date")
    out = {"requested": requested}
    if "first_promised" in bases or "agreed" in bases:
        out["first_promised"] = date_column(ledger, "first_promised_date").fillna(promised).fillna(requested)
    if "agreed" in bases:
        out["agreed"] = date_column(ledger, "agreed_date").fillna(out["first_promised"])
    if "promised" in bases:
        out["promised"] = promised.fillna(requested)
    return {b: out[b] for b in bases}


def due_dates(ledger: pd.DataFrame, basis: str = "promised") -> pd.Series:
    """The due date of each line by basis (:func:`ladder_dates`)."""
    if basis not in BASES:
        raise ConfigError(f"basis '{basis}' is not known: use one of {', '.join(BASES)}")
    return ladder_dates(ledger, (basis,))[basis].rename("due_date")


def with_agreed_changes(ledger: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """``ledger`` with ``agreed_date`` filled from the customer's agreed date changes: each
    ``requested_date`` change (``order_no``, ``line_no``, ``new``, as ``orderdesk changes``
    lists them) sets the agreed date of its line to the new requested date, where the ledger's
    own ``agreed_date`` is blank (a date the coordinator wrote wins). Lines are matched by order
    and line number, trimmed and case-folded; a change without a line number applies to every
    line of its order."""
    out = ledger.copy()
    agreed = date_column(out, "agreed_date").copy()
    if changes is None or len(changes) == 0:
        out["agreed_date"] = agreed
        return out
    from addin.compute.changes import line_key
    from addin.compute.columns import match_key
    moved = changes.loc[changes["kind"] == "requested_date"]
    new_dates = pd.to_datetime(pd.Series(moved["new"].to_numpy(dtype=object)), errors="coerce").dt.normalize()
    orders = match_key(pd.Series(moved["order_no"].to_numpy(dtype=object), dtype=object))
    lines = moved["line_no"].tolist() if "line_no" in moved.columns else [None] * len(moved)
    by_line: dict[tuple, Any] = {}
    by_order: dict[Any, Any] = {}
    for order, line, date in zip(orders, lines, new_dates):
        if order is None or pd.isna(date):
            continue
        if line_key(line) is None:
            by_order[order] = date
        else:
            by_line[(order, line_key(line))] = date
    own_orders = match_key(text_column(out, "order_no"))
    found = [by_line.get((o, line_key(ln)), by_order.get(o))
             for o, ln in zip(own_orders.tolist(), text_column(out, "line_no").tolist())]
    from_changes = pd.Series(pd.to_datetime(pd.Series(found, dtype=object)).to_numpy(), index=out.index)
    out["agreed_date"] = agreed.fillna(from_changes)
    return out


def _party_tolerances(parties: pd.Series, table: Mapping[str, tuple[int | None, int | None]]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Each line's own (late, early) from a name -> pair table: NaN where the party has none."""
    folded = {str(name).strip().casefold(): pair for name, pair in table.items()}
    codes, uniques = pd.factorize(parties.to_numpy(dtype=object), use_na_sentinel=True)
    pairs = [folded.get(str(c).strip().casefold(), (None, None)) for c in uniques] + [(None, None)]
    own_late = np.array([np.nan if p[0] is None else p[0] for p in pairs], dtype=float)
    own_early = np.array([np.nan if p[1] is None else p[1] for p in pairs], dtype=float)
    slot = np.where(codes < 0, len(uniques), codes)
    return own_late[slot], own_early[slot]


def line_tolerances(customers: pd.Series, settings: OtdSettings,
                    suppliers: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Late and early tolerance in days for each line (float; early NaN = no early window): the
    global setting, else the line's counterparty's own — its customer's (``[otd.customers]``),
    and for a purchase line its supplier's (``[otd.suppliers]``), which wins where both are set."""
    late = np.full(len(customers), float(settings.late_tolerance))
    early = np.full(len(customers), np.nan if settings.early_tolerance is None else float(settings.early_tolerance))
    for parties, table in ((customers, settings.customer_tolerances), (suppliers, settings.supplier_tolerances)):
        if parties is None or not table:
            continue
        own_late, own_early = _party_tolerances(parties, table)
        late = np.where(np.isnan(own_late), late, own_late)
        early = np.where(np.isnan(own_early), early, own_early)
    return late, early

def codes_of(values: pd.Series, words: Sequence[str]) -> np.ndarray:
    """Position of each value in ``words`` (-1 for anything else or missing): one hashing pass,
    after which tests on the value are integer comparisons."""
    return pd.Index(list(words), dtype=object).get_indexer(pd.Series(values, dtype=object))


def _month_labels(dates: pd.Series) -> np.ndarray:
    """``YYYY-MM`` per date (None for NaT), formatted once per distinct month."""
    key = (dates.dt.year * 100 + dates.dt.month).to_numpy(dtype="float64")
    codes, uniques = pd.factorize(key, use_na_sentinel=True)
    labels = np.array([f"{int(u) // 100:04d}-{int(u) % 100:02d}" for u in uniques] + [None], dtype=object)
    return labels[np.where(codes < 0, len(uniques), codes)]


def has_completion_column(ledger_result: Any) -> bool:
    """Whether a read ledger has a completion date (ship / delivery / receipt date) column at
    all: a ``ReadResult`` says which fields it found; a bare DataFrame has it when the column
    is there."""
    data = getattr(ledger_result, "data", ledger_result)
    if "ship_date" not in getattr(data, "columns", ()):
        return False
    found = getattr(ledger_result, "columns", None)
    if not isinstance(ledger_result, pd.DataFrame) and isinstance(found, Mapping) and "ship_date" in found:
        return True
    # a bare frame (the reader's data, an Excel range) holds every canonical column: one whose
    # ship dates are all empty cannot tell on time from not shipped; a reader's result whose
    # ship dates came another way (a mapping's default) has them
    return bool(data["ship_date"].notna().any())


CLASSIFIED = ("due_date",) + tuple(f"due_{b}" for b in LADDER_BASES) + (
    "outcome", "days_late", "severity", "in_full", "month", "drift_count", "drift_days", "root_cause",
    "cause_scope", "flag")
# what summarise and the excluded counts read of a classified ledger (besides the by-fields)
FOR_SUMMARY = ("due_date", "outcome", "days_late", "in_full", "month")


def classify(ledger: pd.DataFrame, as_of: _dt.date, settings: OtdSettings | None = None, *,
             completion: bool = True, outputs: Sequence[str] | None = None) -> pd.DataFrame:
    """The ledger with the outcome of every line at ``as_of`` (SPEC section 3). Added columns
    (:data:`CLASSIFIED`): due_date, due_<basis> for each rung of the ladder, outcome, days_late,
    severity, in_full, month, drift_count, drift_days, root_cause, cause_scope, flag.
    ``completion`` False: the ledger has no completion-date column (see
    :func:`has_completion_column`). ``outputs``: only these added columns (e.g.
    :data:`FOR_SUMMARY`: a summary needs no root causes; at a million lines the others cost a
    third of the time); None: all."""
    from addin.compute.rootcause import cause_scope, classify_causes

    settings = settings or OtdSettings()
    day = as_timestamp(as_of)
    added: dict[str, Any] = {}            # new columns, joined to the ledger once at the end
    first = date_column(ledger, "first_promised_date")
    promised = date_column(ledger, "promised_date")
    ship = date_column(ledger, "ship_date")
    # one hashing pass over the status text: codes index STATUS_WORDS, -1 for none
    status = codes_of(text_column(ledger, "status"), STATUS_WORDS)

    ladder = ladder_dates(ledger)
    due = ladder[settings.basis]
    added["due_date"] = due
    # SPEC 13: a line measured by its deliveries is shipped on the day they completed it
    from addin.compute.deliveries import measure
    delivered = measure(ledger, due, day)        # None: no deliveries, the line's own dates
    if delivered is not None:
        ship = pd.Series(np.where(delivered.has, delivered.completion.to_numpy(dtype="datetime64[ns]"),
                                  ship.to_numpy(dtype="datetime64[ns]")), index=ship.index)   # positional
    wanted = set(CLASSIFIED if outputs is None else outputs)
    for basis in LADDER_BASES:
        added[f"due_{basis}"] = ladder[basis]

    if settings.customer_tolerances or settings.supplier_tolerances:
        late_tol, early_tol = line_tolerances(text_column(ledger, "customer"), settings,
                                              text_column(ledger, "supplier"))
        late_limit = due + pd.to_timedelta(late_tol, unit="D")
        early_limit = due - pd.to_timedelta(early_tol, unit="D")     # NaT where no early window
    else:   # one tolerance for every line: scalar arithmetic is much cheaper
        late_limit = due + pd.Timedelta(days=settings.late_tolerance)
        early_limit = None if settings.early_tolerance is None else due - pd.Timedelta(days=settings.early_tolerance)

    cancelled = status == STATUS_WORDS.index("cancelled")
    shipped = (ship <= day).to_numpy()                       # NaT compares False
    ship_after_limit = (ship > late_limit).to_numpy()
    ship_before_window = np.zeros(len(ledger), dtype=bool) if early_limit is None else (ship < early_limit).to_numpy()
    overdue = (late_limit < day).to_numpy()
    closed_words = (status == STATUS_WORDS.index("shipped")) | (status == STATUS_WORDS.index("closed"))
    no_ship = ship.isna().to_numpy()
    # done on a day nobody wrote down; without a completion column a line without a status too
    unmeasurable = closed_words & no_ship
    unknown_state = np.zeros(len(ledger), dtype=bool) if completion else (status < 0) & no_ship
    # codes index OUTCOMES; the first condition that holds wins, in the order of SPEC's definitions
    code = np.select(
        [cancelled, due.isna().to_numpy(), (due > day).to_numpy(), unmeasurable, unknown_state,
         shipped & ship_after_limit, shipped & ship_before_window, shipped, overdue],
        [4, 5, 6, 7, 8, 1, 2, 0, 1], default=3)
    outcome = np.asarray(OUTCOMES, dtype=object)[code]
    added["outcome"] = outcome
    is_late = code == 1

    finish = ship.where(shipped, day)
    days = (finish - due).dt.days.to_numpy(dtype="float64")
    added["days_late"] = np.where(is_late, days, np.nan)
    if "severity" in wanted:
        added["severity"] = np.where(is_late, np.where(days >= settings.major_days, "major", "general"),
                                     None).astype(object)

    qty = number_column(ledger, "qty").to_numpy()
    shipped_qty = number_column(ledger, "shipped_qty").to_numpy()
    added["in_full"] = pd.arrays.BooleanArray(shipped_qty >= qty, np.isnan(shipped_qty) | np.isnan(qty))
    if delivered is not None:   # in full = the quantity delivered by the due date (SPEC 13)
        own = added["in_full"]
        added["in_full"] = pd.arrays.BooleanArray(
            np.where(delivered.has, delivered.in_full.fillna(False).to_numpy(dtype=bool),
                     own.fillna(False).to_numpy(dtype=bool)),
            np.where(delivered.has, delivered.in_full.isna(), own.isna()))

    if "month" in wanted:
        added["month"] = _month_labels(due)
    if not wanted & {"drift_count", "drift_days", "root_cause", "cause_scope", "flag"}:
        return _joined(ledger, added, wanted, completion)

    has_first, has_promised = first.notna().to_numpy(), promised.notna().to_numpy()
    both = has_first & has_promised
    only_first = has_first & ~has_promised                   # one promise so far: no drift
    drift_days = (promised - first).dt.days.to_numpy(dtype="float64")
    added["drift_count"] = pd.arrays.IntegerArray(np.where(both, (drift_days != 0).astype("int64"), 0),
                                                  ~(both | only_first))
    added["drift_days"] = np.where(only_first, 0.0, np.where(both, drift_days, np.nan))

    causes = np.full(len(ledger), None, dtype=object)
    scopes = np.full(len(ledger), None, dtype=object)
    if is_late.any():   # only late lines get a root cause; positional, so duplicate index labels are fine
        late_causes = classify_causes(text_column(ledger, "exception_type")[is_late],
                                      text_column(ledger, "exception_note")[is_late],
                                      settings.cause_keywords)
        causes[is_late] = late_causes.to_numpy()
        scopes[is_late] = cause_scope(late_causes).to_numpy()
    added["root_cause"] = causes
    added["cause_scope"] = scopes

    flag = np.select([(ship > day).to_numpy(), ~cancelled & closed_words & ship.isna().to_numpy()], [1, 2], default=0)
    added["flag"] = np.array([None, "ship_after_as_of", "no_ship_date"], dtype=object)[flag]

    return _joined(ledger, added, wanted, completion)


def _joined(ledger: pd.DataFrame, added: dict[str, Any], wanted: set[str], completion: bool) -> pd.DataFrame:
    """The ledger with the wanted added columns, in :data:`CLASSIFIED`'s order."""
    order = [k for k in CLASSIFIED if k in wanted and k in added]
    # object arrays stay object: pandas' string inference would cost time and turn None into NaN
    # and nothing is copied (no consolidation): an array made here is kept as it is, a due date that
    # is a ledger column is shared with it (copy-on-write: editing either copies it then)
    new = pd.DataFrame({k: added[k].set_axis(ledger.index) if isinstance(added[k], pd.Series) else
                        pd.Series(added[k], index=ledger.index, copy=False,
                                  dtype=object if getattr(added[k], "dtype", None) == object else None)
                        for k in order}, copy=False)
    out = pd.concat([ledger.drop(columns=[c for c in CLASSIFIED if c in ledger.columns]), new], axis=1)
    out.attrs["completion"] = completion      # summarise() reads it: no completion column, no rate
    return out


def in_period(classified: pd.DataFrame, start: _dt.date | None = None, end: _dt.date | None = None) -> pd.Series:
    """Lines whose due date lies in ``[start, end]`` (both inclusive, either open); lines without
    a due date are always included so that they are counted, never lost."""
    due = classified["due_date"]
    keep = pd.Series(True, index=classified.index)
    if start is not None:
        keep &= due >= as_timestamp(start)
    if end is not None:
        keep &= due <= as_timestamp(end)
    return keep | due.isna()


def line_weights(classified: pd.DataFrame, weight: str) -> pd.Series:
    """Weight of each measured line: 1, its quantity, or its value (qty × unit price). A measured
    line whose weight is unknown makes the rate meaningless, so it is an error naming the rows."""
    if weight == "lines":
        return pd.Series(1.0, index=classified.index)
    qty = number_column(classified, "qty")
    values = qty if weight == "qty" else qty * number_column(classified, "unit_price")
    missing = values.isna() & classified["outcome"].isin(MEASURED)
    if missing.any():
        need = "quantity" if weight == "qty" else "quantity or unit price"
        rows = classified.loc[missing, "source_row"].tolist() if "source_row" in classified else \
            [str(i) for i in classified.index[missing]]
        shown = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
        raise InputError(f"cannot weight by {weight}: {len(rows)} measured line(s) have no {need} "
                         f"(rows {shown}) — fill them in or weight by lines",
                         value=weight, expected=f"a {need} on every measured line")
    return values.astype("float64")


def summarise(classified: pd.DataFrame, by: Sequence[str] = (), settings: OtdSettings | None = None, *,
              completion: bool | None = None) -> pd.DataFrame:
    """OTD/OTIF per group of the cohort, then one total row (``is_total`` True, group keys None).
    Columns: the ``by`` fields, lines, on_time, late, early, pending, otd, otif, avg_days_late,
    is_total. Rates are fractions (not rounded); otd is NaN without measured lines, and
    everywhere when the ledger has no completion column (``completion`` False; None = as
    :func:`classify` recorded it); otif is None when unknown; avg_days_late NaN without late lines."""
    settings = settings or OtdSettings()
    if completion is None:
        completion = bool(classified.attrs.get("completion", True))
    by = list(by)
    missing = [b for b in by if b not in classified.columns]
    if missing:
        raise InputError(f"cannot group by {missing[0]}: the ledger has no such column", value=missing[0])
    # one hashing pass over the outcome text, then integer work (a million lines stay fast)
    code = codes_of(classified["outcome"], OUTCOMES)
    in_cohort = (code >= 0) & (code < len(COHORT))          # OUTCOMES starts with the cohort
    needed = [c for c in dict.fromkeys(by + ["outcome", "in_full", "days_late", "qty", "unit_price", "source_row"])
              if c in classified.columns]
    cohort = classified[needed].loc[in_cohort]      # only the columns used: copying text columns is slow
    code = code[in_cohort]
    weights = line_weights(cohort, settings.weight).to_numpy(dtype="float64")
    in_full = cohort["in_full"].astype("boolean")
    full = in_full.fillna(False).to_numpy(dtype=bool)
    unknown_full = in_full.isna().to_numpy(dtype=bool)
    on_time = code == 0
    measured = code < len(MEASURED)
    days_late = np.nan_to_num(cohort["days_late"].to_numpy(dtype="float64"))
    has_shipped_qty = bool(number_column(classified, "shipped_qty").notna().any())

    # group number of each line: keys sorted, missing last; the total is one more group
    group = np.zeros(len(cohort), dtype="int64")
    key_tables: list[np.ndarray] = []
    for b in by:
        codes, uniques = pd.factorize(cohort[b].to_numpy(dtype=object), sort=True, use_na_sentinel=True)
        codes = np.where(codes < 0, len(uniques), codes)
        key_tables.append(np.append(np.asarray(uniques, dtype=object), None))
        group = group * (len(uniques) + 1) + codes
    used, group = np.unique(group, return_inverse=True) if by else (np.empty(0, dtype="int64"), group)
    n = len(used)

    def sums(values: np.ndarray) -> np.ndarray:
        per_group = np.bincount(group, weights=values, minlength=n)[:n] if n else np.empty(0)
        return np.append(per_group, values.sum())

    table = pd.DataFrame({
        "lines": sums(np.ones(len(cohort))),
        "on_time": sums(on_time.astype(float)),
        "late": sums((code == 1).astype(float)),
        "early": sums((code == 2).astype(float)),
        "pending": sums((code == 3).astype(float)),
    }).round().astype("int64")
    base = sums(np.where(measured, weights, 0.0))
    on_time_w = sums(np.where(on_time, weights, 0.0))
    otif_w = sums(np.where(on_time & full, weights, 0.0))
    otif_unknown = sums((on_time & unknown_full).astype(float))
    late_days = sums(days_late)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["otd"] = np.where(base > 0, on_time_w / np.where(base > 0, base, 1.0), np.nan)
        otif = np.where(base > 0, otif_w / np.where(base > 0, base, 1.0), np.nan)
        late = table["late"].to_numpy()
        table["avg_days_late"] = np.where(late > 0, late_days / np.maximum(late, 1), np.nan)
    if not completion:   # no line could ever be on time: a rate would be a made-up 0 %
        table["otd"] = np.nan
    known = has_shipped_qty & (otif_unknown == 0) & (base > 0) & completion
    table["otif"] = pd.Series(np.where(known, otif, None), dtype=object)
    # the key values of each group back from its number (last digit = last field)
    rest = used.copy()
    for b, values in reversed(list(zip(by, key_tables))):
        table[b] = pd.Series(np.append(values[rest % len(values)], None), dtype=object)
        rest = rest // len(values)
    table["is_total"] = np.arange(n + 1) == n
    out = table[by + list(METRICS) + ["is_total"]]
    out.attrs["completion"] = completion
    out.attrs["has_shipped_qty"] = has_shipped_qty
    return out


def _json_number(value: Any, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), digits)


def _json_row(row: Mapping[str, Any], by: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {b: row[b] for b in by}
    for c in ("lines", "on_time", "late", "early", "pending"):
        out[c] = int(row[c])
    out["otd"] = _json_number(row["otd"], 4)
    out["otif"] = _json_number(row["otif"], 4)
    out["avg_days_late"] = _json_number(row["avg_days_late"], 2)
    return out


def _rows(ledger_result: Any) -> dict[str, int]:
    rows = getattr(ledger_result, "rows", None)
    if rows is None:   # a bare DataFrame: every row given is a valid line
        n = len(ledger_result)
        return {"read": n, "valid": n, "issues": 0, "blank_or_total": 0}
    if isinstance(rows, Mapping):
        return {k: int(rows[k]) for k in ("read", "valid", "issues", "blank_or_total")}
    return {k: int(getattr(rows, k)) for k in ("read", "valid", "issues", "blank_or_total")}


def otd_report(ledger: pd.DataFrame, as_of: _dt.date, settings: OtdSettings | None = None,
               by: Sequence[str] = (), start: _dt.date | None = None,
               end: _dt.date | None = None, *, completion: bool | None = None, lines: bool = True
               ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Classify, keep the period, summarise: (classified lines of the period, summary table,
    excluded counts). The one path shared by ``otd_json`` and the table/CSV output. The excluded
    counts always hold :data:`EXCLUDED`, and the :data:`UNMEASURABLE` reasons that occur.
    ``completion`` None: whether ``ledger`` has any completion date (:func:`has_completion_column`).
    ``lines`` False: the caller uses the summary only, the lines carry :data:`FOR_SUMMARY` alone."""
    settings = settings or OtdSettings()
    if completion is None:
        completion = has_completion_column(ledger)
    classified = classify(ledger, as_of, settings, completion=completion, outputs=None if lines else FOR_SUMMARY)
    keep = in_period(classified, start, end)
    period = classified if bool(keep.all()) else classified.loc[keep]     # no copy of every column for nothing
    summary = summarise(period, by, settings, completion=completion)
    return period, summary, excluded_counts(period)


def excluded_counts(classified: pd.DataFrame) -> dict[str, int]:
    """Lines outside the cohort by reason: every :data:`EXCLUDED` reason, and each
    :data:`UNMEASURABLE` reason only when some line has it (SPEC 6's object, extended)."""
    counts = classified["outcome"].value_counts()
    excluded = {k: int(counts.get(k, 0)) for k in EXCLUDED}
    excluded.update({k: int(counts[k]) for k in UNMEASURABLE if int(counts.get(k, 0))})
    return excluded


def unknown_reasons(total: Mapping[str, Any], excluded: Mapping[str, int], *, completion: bool = True,
                    has_shipped_qty: bool = True) -> dict[str, str]:
    """Why the total's OTD and OTIF are unknown, as reason codes (empty when both are known):

    ``no_ship_date_column`` the ledger has no completion-date column; ``closed_without_date``
    every line due was closed without its date; ``no_lines_due`` no line was due (or none was
    measured yet: all pending); ``no_shipped_qty`` (OTIF) no shipped-quantity column;
    ``in_full_unknown`` (OTIF) an on-time line has no quantity or shipped quantity."""
    out: dict[str, str] = {}
    measured = int(total.get("on_time", 0)) + int(total.get("late", 0)) + int(total.get("early", 0))
    otd_missing = total.get("otd") is None or (isinstance(total.get("otd"), float) and np.isnan(total["otd"]))
    if otd_missing:
        if not completion:
            out["otd"] = "no_ship_date_column"
        elif measured == 0 and excluded.get("closed_without_date", 0):
            out["otd"] = "closed_without_date"
        else:
            out["otd"] = "no_lines_due"
    if total.get("otif") is None:
        out["otif"] = out.get("otd") or ("no_shipped_qty" if not has_shipped_qty else "in_full_unknown")
    return out


def headline_facts(summary: pd.DataFrame, excluded: Mapping[str, int]) -> dict[str, Any]:
    """What a headline says of a :func:`otd_report` result (its total row): lines measured, lines
    pending, the unmeasurable ones by reason, and why OTD is unknown (None when it is known or
    when simply no line was due). For ``addin.i18n.measured_headline``."""
    total = summary.loc[summary["is_total"]].iloc[0].to_dict()
    unmeasurable = {k: int(excluded.get(k, 0)) for k in UNMEASURABLE}
    reason = unknown_reasons(total, excluded, completion=bool(summary.attrs.get("completion", True))).get("otd")
    if reason == "no_lines_due" and not any(unmeasurable.values()):
        reason = None
    return {"measured": int(total["on_time"]) + int(total["late"]) + int(total["early"]),
            "pending": int(total["pending"]), "unmeasurable": unmeasurable, "otd_unknown": reason}


def otd_json(ledger_result: Any, as_of: _dt.date, settings: OtdSettings | None = None,
             by: Sequence[str] = (), start: _dt.date | None = None, end: _dt.date | None = None) -> dict:
    """The object ``orderdesk otd --format json`` prints (SPEC section 6). ``ledger_result`` is a
    ``ReadResult`` (its ``.data`` and ``.rows``) or a canonical DataFrame."""
    settings = settings or OtdSettings()
    data = getattr(ledger_result, "data", ledger_result)
    completion = has_completion_column(ledger_result)
    _, summary, excluded = otd_report(data, as_of, settings, by, start, end, completion=completion, lines=False)
    groups = summary.loc[~summary["is_total"]]
    total = summary.loc[summary["is_total"]].iloc[0]
    unknown = unknown_reasons(total.to_dict(), excluded, completion=completion,
                              has_shipped_qty=bool(number_column(data, "shipped_qty").notna().any()))
    return {
        "as_of": as_timestamp(as_of).date().isoformat(),
        "basis": settings.basis,
        "late_tolerance": int(settings.late_tolerance),
        "early_tolerance": None if settings.early_tolerance is None else int(settings.early_tolerance),
        "by": list(by),
        "groups": [_json_row(row, by) for row in groups.to_dict("records")],
        "total": _json_row(total.to_dict(), ()),
        "excluded": excluded,
        "rows": _rows(ledger_result),
        # only when a figure of the total is unknown: why (SPEC section 9, "honest results")
        **({"unknown": unknown} if unknown else {}),
    }


def otd_ladder(ledger: pd.DataFrame, as_of: _dt.date, settings: OtdSettings | None = None,
               start: _dt.date | None = None, end: _dt.date | None = None, *,
               completion: bool = True) -> pd.DataFrame:
    """The OTD ladder: the total row of :func:`summarise` under each basis, indexed by basis
    (:data:`addin.defaults.LADDER_BASES`: requested, first_promised, agreed, promised)."""
    from dataclasses import replace
    settings = settings or OtdSettings()
    rows = {}
    for basis in LADDER_BASES:
        _, summary, _ = otd_report(ledger, as_of, replace(settings, basis=basis), (), start, end,
                                   completion=completion, lines=False)
        rows[basis] = summary.iloc[-1][list(METRICS)]
    return pd.DataFrame(rows).T.rename_axis("basis")
