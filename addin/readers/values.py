"""Vectorised value parsing for reader columns: dates, numbers, status words, text.

Each parser takes an object Series as the grid holds it (str, float, int, datetime, None) and
returns the parsed Series plus a Series of problem messages (None where the value is fine),
so the reader can name every bad cell without a per-cell Python loop on the happy path."""
from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
import unicodedata
from importlib import resources

import numpy as np
import pandas as pd

EXCEL_EPOCH = np.datetime64("1899-12-30")
# Excel serials accepted as dates: 1954-10-05 .. 2119-01-31; outside is almost surely a number typo.
SERIAL_MIN, SERIAL_MAX = 20000, 80000


@functools.cache
def vocab() -> dict:
    with resources.files("addin.data").joinpath("values.toml").open("rb") as fh:
        return tomllib.load(fh)


def norm_key(text: str) -> str:
    """Normalise a header or vocabulary word: full-width forms, case, all whitespace."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def placeholder_set() -> frozenset[str]:
    return frozenset(norm_key(w) for w in vocab()["placeholders"]["words"])


@functools.cache
def total_words() -> frozenset[str]:
    return frozenset(norm_key(w).replace(" ", "") for w in vocab()["totals"]["words"])


def _kinds(s: pd.Series) -> pd.Series:
    """Type tag per cell: 's' str, 'n' number, 'd' date/datetime, 'b' bool, '' empty/other."""
    def tag(v):
        t = type(v)
        if t is str:
            return "s"
        if t is float or t is int:
            return "n" if v == v else ""
        if t is dt.datetime or t is dt.date or t is pd.Timestamp:
            return "d"
        if t is bool:
            return "b"
        if isinstance(v, (np.floating, np.integer)):
            return "n"
        if isinstance(v, dt.date):
            return "d"
        if t is dt.time or t is dt.timedelta:
            return "t"
        return ""
    return s.map(tag)


def clean_strings(s: pd.Series) -> pd.Series:
    """NFKC-normalise and trim (Python's strip also removes U+3000) a Series of str."""
    return s.map(lambda v: unicodedata.normalize("NFKC", v).strip())


def text_column(s: pd.Series) -> pd.Series:
    """Text fields: trimmed str, numbers without a spurious '.0', dates as ISO; empty -> None."""
    kinds = _kinds(s)
    out = pd.Series([None] * len(s), index=s.index, dtype=object)
    m = kinds == "s"
    if m.any():
        t = s[m].map(lambda v: v.strip())
        out[m] = t.where(t != "", None)
    m = kinds == "n"
    if m.any():
        out[m] = s[m].map(lambda v: str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v)))
    m = kinds == "d"
    if m.any():
        out[m] = s[m].map(lambda v: v.date().isoformat() if isinstance(v, dt.datetime) and not v.time()
                          else v.isoformat())
    m = kinds == "b"
    if m.any():
        out[m] = s[m].map(str)
    # masked assignment turns None into NaN; text fields hold str or None only
    return out.where(out.notna(), None)


def is_empty(s: pd.Series) -> pd.Series:
    """True where a cell holds nothing (None, NaN, '' or whitespace)."""
    kinds = _kinds(s)
    empty = kinds == ""
    m = kinds == "s"
    if m.any():
        empty[m] = s[m].map(lambda v: not v.strip())
    return empty


def _placeholder(s: pd.Series) -> pd.Series:
    words = placeholder_set()
    return s.map(lambda v: norm_key(v) in words)


# --- numbers ---------------------------------------------------------------------------

_NUM_STRIP = re.compile(r"^[¥$€£￥]|[,\s\u00a0'](?=\d)|\s*(pcs|pc|ea|个|只|套|片|台|件|pcs\.)$", re.I)


def number_column(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers: real numbers, text such as '4.000', '1,200', full-width digits, '¥3.5'."""
    kinds = _kinds(s)
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    problems = pd.Series(None, index=s.index, dtype=object)
    m = kinds == "n"
    if m.any():
        out[m] = s[m].astype("float64")
    m = kinds == "s"
    if m.any():
        text = clean_strings(s[m])
        blank = (text == "") | _placeholder(text)
        text = text[~blank].str.replace(_NUM_STRIP, "", regex=True).str.replace(",", "", regex=False)
        # a '%' sign keeps the number as written: '5%' scrap is 5 (percent), as the column says
        parsed = pd.to_numeric(text.str.rstrip("%"), errors="coerce")
        out[parsed.index] = parsed
        problems[parsed.index[parsed.isna()]] = "not a number"
    for tag, message in (("d", "a date where a number was expected"), ("b", "not a number"),
                         ("t", "not a number")):
        m = kinds == tag
        if m.any():
            problems[m] = message
    return out, problems


# --- dates -----------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_MONTHS.update({"sept": 9, "june": 6, "july": 7})
for _i, _name in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                            "september", "october", "november", "december"], start=1):
    _MONTHS[_name] = _i

_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?"
_YMD = re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _TIME + "$")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})" + _TIME + "$")
_DMONY = re.compile(r"^(?P<d>\d{1,2})[-\s]+(?P<mon>[A-Za-z]{3,9})\.?[-\s,]+(?P<y>\d{4}|\d{2})" + _TIME + "$")
_MONDY = re.compile(r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME + "$")
_MD_CN = re.compile(r"^(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?$")
_MD_SLASH = re.compile(r"^(?P<m>\d{1,2})[/.](?P<d>\d{1,2})$")
_YYYYMMDD = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^(?P<serial>\d{5}(?:\.\d+)?)$")


def _year(y: pd.Series) -> pd.Series:
    y = y.astype("float64")
    return y.where(y >= 100, 2000 + y.where(y < 70, y + 1900 - 2000))


def _build(y, m, d) -> pd.Series:
    frame = pd.DataFrame({"year": y, "month": m, "day": d}).astype("float64")
    ok = frame.notna().all(axis=1) & frame["month"].between(1, 12) & frame["day"].between(1, 31)
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(frame[ok].astype("int64"), errors="coerce")
    return out


def detect_day_first(texts: pd.Series) -> bool | None:
    """Per-column evidence for D/M/Y vs M/D/Y: True (day first), False (month first), None (unknown)."""
    found = texts.str.extract(_NUMERIC)
    if found.empty:
        return None
    a = pd.to_numeric(found["a"], errors="coerce")
    b = pd.to_numeric(found["b"], errors="coerce")
    day_first = bool((a > 12).any())
    month_first = bool((b > 12).any())
    if day_first and not month_first:
        return True
    if month_first and not day_first:
        return False
    return None


def date_column(s: pd.Series, *, year_hint: pd.Series | None = None,
                day_first: bool | None = None) -> tuple[pd.Series, pd.Series, dict]:
    """Parse dates of every form in SPEC section 2. Returns (dates, problems, notes).

    ``year_hint``: per-row reference dates (the order date) to give '4月30' a year; the date is
    put in the year that brings it closest after the hint (a due date is not months before
    the order). ``day_first``: how to read 4/5/2026; None = decide from the column itself."""
    kinds = _kinds(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    problems = pd.Series(None, index=s.index, dtype=object)
    notes: dict = {}

    m = kinds == "d"
    if m.any():
        out[m] = pd.to_datetime(s[m].map(lambda v: dt.datetime(v.year, v.month, v.day)))
    m = kinds == "n"
    if m.any():
        serial = s[m].astype("float64")
        good = serial.between(SERIAL_MIN, SERIAL_MAX)
        out[serial.index[good]] = EXCEL_EPOCH + np.floor(serial[good].to_numpy()).astype("timedelta64[D]")
        problems[serial.index[~good]] = "not a date"
    for tag in ("b", "t"):
        m = kinds == tag
        if m.any():
            problems[m] = "not a date"
    m = kinds == "s"
    if not m.any():
        return out, problems, notes
    text = clean_strings(s[m])
    text = text[(text != "") & ~_placeholder(text)]
    todo = pd.Series(True, index=text.index)

    def take(rx: re.Pattern) -> pd.DataFrame:
        part = text[todo].str.extract(rx)
        part = part[part.notna().any(axis=1)]
        todo[part.index] = False
        return part

    p = take(_YMD)
    out[p.index] = _build(p["y"], p["m"], p["d"])
    p = take(_YYYYMMDD)
    out[p.index] = _build(p["y"], p["m"], p["d"])
    p = take(_SERIAL)
    if len(p):
        serial = pd.to_numeric(text[p.index], errors="coerce")
        good = serial.between(SERIAL_MIN, SERIAL_MAX)
        out[serial.index[good]] = EXCEL_EPOCH + np.floor(serial[good].to_numpy()).astype("timedelta64[D]")
    for rx in (_DMONY, _MONDY):
        p = take(rx)
        if len(p):
            month = p["mon"].str.lower().map(_MONTHS)
            out[p.index] = _build(_year(p["y"]), month, p["d"])
    p = take(_NUMERIC)
    if len(p):
        if day_first is None:
            day_first = detect_day_first(text[p.index])
            if day_first is None:
                ambiguous = (pd.to_numeric(p["a"]) <= 12) & (pd.to_numeric(p["b"]) <= 12) & (p["a"] != p["b"])
                if ambiguous.any():
                    notes["ambiguous_day_month"] = str(text[ambiguous.idxmax()])
                day_first = False
            notes["day_first"] = day_first
        d, mo = (p["a"], p["b"]) if day_first else (p["b"], p["a"])
        out[p.index] = _build(_year(p["y"]), mo, d)
    for rx in (_MD_CN, _MD_SLASH):
        p = take(rx)
        if len(p):
            ref = None
            if year_hint is not None:
                ref = year_hint.reindex(p.index)
            fallback_year = _file_year(out, year_hint)
            if ref is None:
                ref = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
            ref = ref.fillna(pd.Timestamp(fallback_year, 1, 1) if fallback_year else pd.NaT)
            year = ref.dt.year.astype("float64")
            guess = _build(year, p["m"], p["d"])
            # a date more than half a year before its reference belongs to the next year
            late = guess < (ref - pd.Timedelta(days=183))
            guess[late] = _build(year[late] + 1, p["m"][late], p["d"][late])
            out[p.index] = guess
            no_year = ref.isna()
            problems[no_year[no_year].index] = "a date without a year, and no order date to take it from"
    parsed_bad = text.index[out[text.index].isna() & problems[text.index].isna()]
    problems[parsed_bad] = "not a date"
    return out, problems, notes


def _file_year(parsed: pd.Series, hint: pd.Series | None) -> int | None:
    """The most common year among the dates already read: the year of the file."""
    years = parsed.dropna().dt.year
    if hint is not None:
        years = pd.concat([years, hint.dropna().dt.year])
    return int(years.mode().iloc[0]) if len(years) else None


# --- status and booleans -----------------------------------------------------------------

@functools.cache
def _status_map() -> dict[str, str]:
    out = {}
    for status, words in vocab()["status"].items():
        for w in words:
            out[norm_key(w)] = status
    return out


def status_column(s: pd.Series, extra: dict[str, str] | None = None) -> tuple[pd.Series, pd.Series]:
    words = dict(_status_map())
    if extra:
        words.update({norm_key(k): v for k, v in extra.items()})
    text = text_column(s)
    key = text.map(lambda v: norm_key(v) if v is not None else None)
    out = key.map(words)
    problems = pd.Series(None, index=s.index, dtype=object)
    bad = key.notna() & out.isna()
    problems[bad] = "not a known status (expected open, in progress, shipped, closed or cancelled — " \
                    "or 待排产, 生产中, 已出货, 已完成, 已取消)"
    return out.astype(object).where(out.notna(), None), problems


@functools.cache
def _bool_map() -> dict[str, bool]:
    b = vocab()["booleans"]
    return {**{norm_key(w): True for w in b["true"]}, **{norm_key(w): False for w in b["false"]}}


def bool_column(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = text_column(s)
    key = text.map(lambda v: norm_key(v) if v is not None else "")
    out = key.map(_bool_map())
    problems = pd.Series(None, index=s.index, dtype=object)
    problems[out.isna()] = "not yes/no"
    return out.fillna(False).astype(bool), problems


def list_column(s: pd.Series) -> pd.Series:
    """Alternates: several part numbers in one cell, separated by , ; / or line breaks."""
    text = text_column(s)
    return text.map(lambda v: tuple(p.strip() for p in re.split(r"[,;，；\n|]+", v) if p.strip())
                    if v else ())
