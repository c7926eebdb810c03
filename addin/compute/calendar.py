"""Working calendars: which dates the factory works, and Excel WORKDAY / NETWORKDAYS over them.

A calendar is a sorted array of working days (numpy ``datetime64[D]``) over a fixed wide range,
plus, per day of the range, how many working days precede it, so every question is an array
lookup and works on a million ledger lines at once:

* ``rank_left(d)``  = number of working days strictly before ``d``
* ``rank_right(d)`` = number of working days on or before ``d``

``WORKDAY(d, n)`` is then ``days[rank_right(d) + n - 1]`` for n > 0 and ``days[rank_left(d) + n]``
for n < 0; ``NETWORKDAYS(a, b)`` is ``rank_right(b) - rank_left(a)``.

Built-in calendars: ``cn`` (Chinese public holidays and the make-up working days, 调休, from the
``chinesecalendar`` package over the years it covers, Monday–Friday outside them) and ``mon-fri``.
A factory overrides either with a calendar workbook (dates forced to working / not working).
"""
from __future__ import annotations

import datetime as _dt
import functools
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import ConfigError, InputError

__all__ = ["WorkingCalendar", "base_calendar", "normal_name", "RANGE_START", "RANGE_END"]

# Wide enough for any real ledger (Excel dates start in 1900) and still tiny: ~78,000 working days.
RANGE_START = _dt.date(1900, 1, 1)
RANGE_END = _dt.date(2199, 12, 31)
_LO = np.datetime64(RANGE_START, "D")
# a year without holiday data in the base counts as covered by a factory calendar once it lists
# this many days off on weekdays (China's public holidays give 11 or more; one stocktake day
# must not hide a missing Spring Festival)
MIN_DAYS_OFF = 5
_HI = np.datetime64(RANGE_END, "D")
_NDAYS = int((_HI - _LO).astype(int)) + 1
_ALL_DAYS = np.arange(_LO, _HI + np.timedelta64(1, "D"), dtype="datetime64[D]")
_NAT_D = np.datetime64("NaT", "D")

DateLike = _dt.date | _dt.datetime | pd.Timestamp | np.datetime64 | str

def _weekday(days: np.ndarray | np.datetime64) -> np.ndarray:
    """Monday = 0 … Sunday = 6: 1970-01-01 (day 0) was a Thursday."""
    return (np.asarray(days).astype("datetime64[D]").astype("int64") + 3) % 7


def _mon_fri_mask() -> np.ndarray:
    return _weekday(_ALL_DAYS) < 5


def _to_day(value: Any, what: str = "date") -> np.datetime64:
    """One date-like value as ``datetime64[D]`` (time of day and time zone dropped)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        raise InputError(f"{what} is empty: a date is needed", value=value, expected="a date")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{what} {value!r} is not a date", value=value, expected="a date") from None
    if stamp is pd.NaT:  # pd.Timestamp("") is NaT
        raise InputError(f"{what} is empty: a date is needed", value=value, expected="a date")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)  # keep the wall-clock date the user sees
    day = np.datetime64(stamp.date(), "D")
    if not (_LO <= day <= _HI):
        raise InputError(f"{what} {stamp.date().isoformat()} is outside the calendar range "
                         f"{RANGE_START.isoformat()}..{RANGE_END.isoformat()}",
                         value=value, expected="a date in the calendar range")
    return day


def _to_days(values: Any) -> tuple[np.ndarray, pd.Index | None, Any]:
    """A column of dates as ``datetime64[D]`` (NaT kept), with its index and name when a Series."""
    index = name = None
    if isinstance(values, pd.Series):
        index, name = values.index, values.name
        series = values
    else:
        series = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.to_datetime(series)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    # astype to [D] floors, which is the calendar date also before 1970
    return series.to_numpy().astype("datetime64[D]"), index, name


def _days_series(days: np.ndarray, index: pd.Index | None, name: Any) -> pd.Series:
    return pd.Series(days.astype("datetime64[ns]"), index=index, name=name)


class WorkingCalendar:
    """An immutable working calendar. Build it with :meth:`cn`, :meth:`mon_fri`,
    :meth:`from_frame` or :func:`load_calendar`.

    Dates may be ``datetime.date``, ``datetime``, ``pd.Timestamp``, ``np.datetime64`` or ISO text;
    the time of day is ignored. Scalar methods raise :class:`InputError` for a date outside
    ``RANGE_START..RANGE_END``; the ``*_many`` methods give NaT / False / <NA> there instead,
    as they do for NaT input.
    """

    __slots__ = ("_name", "_working", "_days", "_before", "_covered_years")

    def __init__(self, name: str, working: np.ndarray, covered_years: frozenset[int]):
        """Internal: ``working`` is one bool per day of ``RANGE_START..RANGE_END``."""
        working = np.array(working, dtype=bool)
        if working.shape != (_NDAYS,):
            raise ValueError(f"working must have one value per day of the range ({_NDAYS})")
        working.setflags(write=False)
        days = _ALL_DAYS[working]
        days.setflags(write=False)
        # _before[i]: working days strictly before day i of the range (rank_left); i + 1 gives rank_right
        before = np.concatenate(([0], np.cumsum(working, dtype="int64")))
        before.setflags(write=False)
        object.__setattr__(self, "_before", before)
        object.__setattr__(self, "_name", str(name))
        object.__setattr__(self, "_working", working)
        object.__setattr__(self, "_days", days)
        object.__setattr__(self, "_covered_years", frozenset(covered_years))

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("WorkingCalendar is immutable")

    def __delattr__(self, key: str) -> None:
        raise AttributeError("WorkingCalendar is immutable")

    def __repr__(self) -> str:
        return f"WorkingCalendar({self._name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkingCalendar):
            return NotImplemented
        return (self._name == other._name and self._covered_years == other._covered_years
                and bool(np.array_equal(self._working, other._working)))

    def __hash__(self) -> int:
        return hash((self._name, len(self._days)))

    # ------------------------------------------------------------------ constructors

    @classmethod
    @functools.cache
    def cn(cls) -> WorkingCalendar:
        """Chinese public holidays and make-up working days (调休) from ``chinesecalendar``,
        Monday–Friday outside the years that package covers."""
        import chinese_calendar

        working = _mon_fri_mask()
        # The package's own rule (chinese_calendar.is_workday): a listed make-up working day
        # works; otherwise a weekday works unless it is a listed holiday.
        for day in chinese_calendar.holidays:
            working[(np.datetime64(day, "D") - _LO).astype(int)] = False
        for day in chinese_calendar.workdays:
            working[(np.datetime64(day, "D") - _LO).astype(int)] = True
        first = min(chinese_calendar.holidays).year
        last = max(chinese_calendar.holidays).year
        return cls("cn", working, frozenset(range(first, last + 1)))

    @classmethod
    @functools.cache
    def mon_fri(cls) -> WorkingCalendar:
        """Monday to Friday, no holidays. Nothing is unknown, so it covers every year."""
        years = frozenset(range(RANGE_START.year, RANGE_END.year + 1))
        return cls("mon-fri", _mon_fri_mask(), years)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, base: str = "cn", name: str | None = None) -> WorkingCalendar:
        """``base`` calendar with factory overrides: one row per date, columns ``date``
        (datetime64) and ``working`` (bool), optional ``name`` (what the day is) and
        ``source_row`` (used in messages). Each row forces that date to working or not.

        A year the base has no holiday data for counts as covered once the rows give it at
        least ``MIN_DAYS_OFF`` days off on weekdays (its holidays, not one stocktake day that
        would hide a missing Spring Festival).
        """
        base_cal = base_calendar(base)
        missing = [col for col in ("date", "working") if col not in df.columns]
        if missing:
            raise ValueError(f"calendar overrides need columns date and working; missing {missing}")
        working = base_cal._working.copy()
        rows = df["source_row"] if "source_row" in df.columns else pd.Series(range(2, len(df) + 2),
                                                                              index=df.index)
        seen: dict[np.datetime64, tuple[bool, Any]] = {}
        days_off: dict[int, int] = {}
        for value, flag, row in zip(df["date"].tolist(), df["working"].tolist(), rows.tolist()):
            day = _to_day(value, f"calendar row {row}: date")
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"calendar row {row}: working must be True or False, not {flag!r}")
            flag = bool(flag)
            if day in seen and seen[day][0] != flag:
                raise InputError(f"calendar rows {seen[day][1]} and {row} disagree on "
                                 f"{_iso(day)}: one says working, the other not",
                                 value=_iso(day), expected="one entry per date")
            if day not in seen and not flag and _weekday(day) < 5:
                days_off[_year(day)] = days_off.get(_year(day), 0) + 1
            seen[day] = (flag, row)
            working[(day - _LO).astype(int)] = flag
        years = set(base_cal._covered_years) | {y for y, n in days_off.items() if n >= MIN_DAYS_OFF}
        return cls(name or f"{base_cal.name}+overrides", working, frozenset(years))

    # ------------------------------------------------------------------ facts

    @property
    def name(self) -> str:
        return self._name

    @property
    def days(self) -> np.ndarray:
        """Every working day of the range, sorted, ``datetime64[D]`` (read-only)."""
        return self._days

    def covers(self, d: DateLike) -> bool:
        """Whether holiday data is known for the year of ``d`` (outside it: plain Mon–Fri)."""
        return _year(_to_day(d)) in self._covered_years

    def covers_many(self, dates: pd.Series) -> pd.Series:
        """Vectorised :meth:`covers`; False for NaT."""
        days, index, name = _to_days(dates)
        years = days.astype("datetime64[Y]").astype("int64") + 1970
        known = np.isin(years, np.fromiter(self._covered_years, dtype="int64"))
        return pd.Series(known & ~np.isnat(days), index=index, name=name)

    def is_working(self, d: DateLike) -> bool:
        return bool(self._working[(_to_day(d) - _LO).astype(int)])

    def is_working_many(self, dates: pd.Series) -> pd.Series:
        """Vectorised :meth:`is_working`: a bool Series, False for NaT."""
        days, index, name = _to_days(dates)
        offset, ok = _offsets(days)
        result = np.zeros(len(days), dtype=bool)
        result[ok] = self._working[offset[ok]]
        return pd.Series(result, index=index, name=name)

    # ------------------------------------------------------------------ Excel WORKDAY / NETWORKDAYS

    def workday(self, start: DateLike, n: int) -> _dt.date:
        """Excel ``WORKDAY(start, n)``: the n-th working day after ``start`` (``start`` itself never
        counts), before it when n < 0, ``start`` unchanged when n == 0. A fractional n is
        truncated as Excel does."""
        day = _to_day(start, "start date")
        steps = _truncate(n)
        if steps == 0:
            return _date(day)
        if steps > 0:
            position = int(np.searchsorted(self._days, day, side="right")) + steps - 1
        else:
            position = int(np.searchsorted(self._days, day, side="left")) + steps
        if not 0 <= position < len(self._days):
            raise InputError(f"{steps} working days from {_iso(day)} is outside the calendar range "
                             f"{RANGE_START.isoformat()}..{RANGE_END.isoformat()}",
                             value=n, expected="a date in the calendar range")
        return _date(self._days[position])

    def workday_many(self, starts: pd.Series, n: int | float | pd.Series | np.ndarray) -> pd.Series:
        """Vectorised :meth:`workday` (datetime64[ns] Series, index of ``starts``). ``n`` is one
        number, a Series with the index of ``starts``, or an array matched by position (floats
        truncated); NaT start or NaN n gives NaT, as does a result outside the calendar range."""
        days, index, name = _to_days(starts)
        offset, ok = _offsets(days)
        steps = _steps_array(n, len(days), index)
        ok &= ~np.isnan(steps)
        steps_int = np.where(ok, steps, 0).astype("int64")
        left = self._before[offset]
        right = self._before[offset + 1]
        position = np.where(steps_int > 0, right + steps_int - 1, left + steps_int)
        in_range = (position >= 0) & (position < len(self._days))
        moved = self._days[np.clip(position, 0, max(len(self._days) - 1, 0))]
        result = np.where(steps_int == 0, days, np.where(in_range, moved, _NAT_D))
        return _days_series(np.where(ok, result, _NAT_D), index, name)

    def networkdays(self, start: DateLike, end: DateLike) -> int:
        """Excel ``NETWORKDAYS(start, end)``: working days in [start, end] counting both ends,
        negative (minus the count of [end, start]) when end < start."""
        first, last = _to_day(start, "start date"), _to_day(end, "end date")
        if last < first:
            return -self.networkdays(last, first)
        return int(np.searchsorted(self._days, last, side="right")
                   - np.searchsorted(self._days, first, side="left"))

    def networkdays_many(self, starts: pd.Series, ends: pd.Series) -> pd.Series:
        """Vectorised :meth:`networkdays`: an ``Int64`` Series (index of ``starts``), <NA> where
        either date is NaT or outside the calendar range."""
        first, index, _ = _to_days(starts)
        last, end_index, _ = _to_days(ends)
        if len(first) != len(last):
            raise ValueError("starts and ends must have the same length")
        if index is not None and end_index is not None and not index.equals(end_index):
            raise ValueError("starts and ends must share the same index")
        first_offset, first_ok = _offsets(first)
        last_offset, last_ok = _offsets(last)
        valid = first_ok & last_ok
        backwards = last_offset < first_offset
        low = np.where(backwards, last_offset, first_offset)
        high = np.where(backwards, first_offset, last_offset)
        count = self._before[high + 1] - self._before[low]
        count = np.where(backwards, -count, count)
        counts = pd.arrays.IntegerArray(np.where(valid, count, 0).astype("int64"), mask=~valid)
        return pd.Series(counts, index=index if index is not None else end_index)

    def next_working_day(self, d: DateLike) -> _dt.date:
        """``d`` itself when it is a working day, else the first working day after it."""
        day = _to_day(d)
        position = int(np.searchsorted(self._days, day, side="left"))
        if position >= len(self._days):
            raise InputError(f"no working day on or after {_iso(day)} within the calendar range",
                             value=d, expected="a date in the calendar range")
        return _date(self._days[position])

    def next_working_day_many(self, dates: pd.Series) -> pd.Series:
        """Vectorised :meth:`next_working_day`; NaT stays NaT."""
        days, index, name = _to_days(dates)
        offset, ok = _offsets(days)
        position = self._before[offset]
        ok &= position < len(self._days)
        found = self._days[np.clip(position, 0, max(len(self._days) - 1, 0))]
        return _days_series(np.where(ok, found, _NAT_D), index, name)

    def working_days(self, start: DateLike, end: DateLike) -> np.ndarray:
        """The working days in [start, end] (both included), sorted ``datetime64[D]``;
        empty when end < start."""
        first, last = _to_day(start, "start date"), _to_day(end, "end date")
        low = np.searchsorted(self._days, first, side="left")
        high = np.searchsorted(self._days, last, side="right")
        return self._days[low:max(low, high)].copy()


# ---------------------------------------------------------------------- helpers


def _offsets(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnat(days) & (days >= _LO) & (days <= _HI)
    offset = np.where(ok, (days - _LO).astype("int64", copy=False), 0)
    return offset, ok


def _truncate(n: Any) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, float, np.integer, np.floating)):
        raise TypeError(f"n must be a number of working days, not {n!r}")
    if isinstance(n, (float, np.floating)) and np.isnan(n):
        raise InputError("the number of working days is empty", value=n, expected="a number")
    return int(n)  # Excel truncates towards zero


def _steps_array(n: Any, length: int, index: pd.Index | None) -> np.ndarray:
    """``n`` as a float array (NaN where missing), truncated towards zero."""
    if isinstance(n, pd.Series):
        if index is not None and not n.index.equals(index):
            raise ValueError("starts and n must share the same index (pass n as a numpy array "
                             "to match by position)")
        if not (pd.api.types.is_numeric_dtype(n.dtype) and not pd.api.types.is_bool_dtype(n.dtype)):
            raise TypeError(f"n must be numbers of working days, not {n.dtype}")
        steps = n.to_numpy(dtype="float64", na_value=np.nan)
    elif isinstance(n, (np.ndarray, list, tuple, pd.Index)):
        steps = np.asarray(n, dtype="float64")  # by position
    else:
        steps = np.full(length, float(_truncate(n)))
    if len(steps) != length:
        raise ValueError("starts and n must have the same length")
    # Days beyond the range would overflow int64 arithmetic; they give NaT anyway.
    steps = np.where(np.abs(steps) > 2 * _NDAYS, np.sign(steps) * 2 * _NDAYS, steps)
    return np.trunc(steps)


def _date(day: np.datetime64) -> _dt.date:
    return day.astype("datetime64[D]").item()


def _iso(day: np.datetime64) -> str:
    return str(day.astype("datetime64[D]"))


def _year(day: np.datetime64) -> int:
    return int(day.astype("datetime64[Y]").astype("int64")) + 1970


def base_calendar(base: str | WorkingCalendar) -> WorkingCalendar:
    """The built-in calendar ``base`` names (``cn``, ``mon-fri``), or ``base`` itself."""
    if isinstance(base, WorkingCalendar):
        return base
    key = normal_name(base)
    if key == "cn":
        return WorkingCalendar.cn()
    if key in ("mon-fri", "mon_fri", "monfri"):
        return WorkingCalendar.mon_fri()
    raise ConfigError(f"calendar base '{base}' is not known: use cn or mon-fri")


def normal_name(text: Any) -> str:
    """A calendar or working-day word as compared: NFKC, trimmed, lower case."""
    return unicodedata.normalize("NFKC", str(text)).strip().lower()
