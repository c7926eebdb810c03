"""Vectorised value parsing for reader columns: dates, numbers, status words, text.

Each parser takes an object Series as the grid holds it (str, float, int, datetime, None) and
returns the parsed Series plus a Series of problem messages (None where the value is fine),
so the reader can name every bad cell without a per-cell Python loop on the happy path."""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from importlib import resources

import numpy as np
import pandas as pd

from addin.tomlcompat import tomllib

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


# --- columns of one value ---------------------------------------------------------------------

def copy_on_write() -> bool:
    """Whether pandas copies a column shared by several before writing into one (pandas 3)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return pd.get_option("mode.copy_on_write") is True


class Filled:
    """Columns of ``n`` rows that all hold one value (the canonical columns a file does not
    fill: 19 of 43 on a ledger, 8 MB each per million lines). With copy-on-write they share one
    array per key, and pandas copies a column before anything is written into it."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._made: dict | None = {} if copy_on_write() else None

    def column(self, key: str, make) -> pd.Series:
        """The column for ``key``: ``make(n)`` (a numpy array) made once and shared."""
        if self._made is None:
            return self._series(make)
        if key not in self._made:
            self._made[key] = self._series(make)
        return self._made[key].copy(deep=False)

    def _series(self, make) -> pd.Series:
        values = make(self.n)
        return pd.Series(values, dtype=values.dtype, copy=False)      # object stays object


# --- Arrow text columns (xlsx read by fastexcel: every cell as text) ------------------------
# Such a column holds what a typed reader would give as text: a datetime cell as
# '2026-01-05 00:00:00' (a time of day on 1899-12-30/31), a number as '1200' or '42.5'.
# The tags below recover the cell types from that text, column-wise, so the parsers keep one
# vectorised path per type and fall back to per-cell Python only for the odd cells.
_DATETIME_RX = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$"
_NUMBER_RX = r"^-?(0|[1-9]\d{0,14})(\.\d{0,14}[1-9])?$"


def arrow_chunks(s: pd.Series):
    """The Arrow string chunked array behind ``s`` as it is (a column of a sheet read in parts:
    one chunk per part, views of the mapped file), or None when ``s`` holds Python objects."""
    dtype = s.dtype
    if isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in ("string", "large_string"):
        return s.array._pa_array
    return None


def arrow_text(s: pd.Series):
    """The Arrow string array behind ``s`` (chunks joined into one: a copy), or None when ``s``
    holds Python objects."""
    chunks = arrow_chunks(s)
    if chunks is None:
        return None
    return chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()


def text_series(arr, index: pd.Index) -> pd.Series:
    """Wrap an Arrow string array (or chunked array: no copy) as a Series the parsers take."""
    return pd.Series(pd.arrays.ArrowExtensionArray(arr), index=index)


class Coded:
    """A parsed column as one entry per distinct cell text and, per row, the entry it holds:
    a ledger column repeats a few customers, statuses and dates a million times, so each
    text is parsed once and the rows are a numpy take. ``codes`` None: one entry per row
    (cells read as Python objects, where 1, 1.0 and True must not share an entry)."""

    __slots__ = ("values", "codes")

    def __init__(self, values: pd.Series, codes: np.ndarray | None = None) -> None:
        self.values = values
        self.codes = codes

    def per_row(self, entries: np.ndarray) -> np.ndarray:
        """A per-entry array (a mask, the entries' messages) spread to the rows."""
        return entries if self.codes is None else entries[self.codes]

    def rows(self, take: np.ndarray | None = None) -> np.ndarray:
        """The rows' values (``take``: only these rows) as a numpy array of the entries' dtype."""
        v = self.values.to_numpy()
        if self.codes is None:
            return v if take is None else v[take]
        return v[self.codes] if take is None else v[self.codes[take]]

    def series(self, index: pd.Index) -> pd.Series:
        return pd.Series(self.rows(), index=index, dtype=self.values.dtype, copy=False)

    def like(self, values: pd.Series) -> "Coded":
        """Another per-entry result over the same rows."""
        return Coded(values, self.codes)


def distinct(s: pd.Series) -> Coded:
    """An Arrow text column as its distinct texts in order of first appearance, the empty
    cell last (one more entry, used or not), and each row's entry. An object Series of text
    only (a CSV's cells) likewise; one of mixed cells as it is (1, 1.0 and True would share)."""
    chunks = arrow_chunks(s)
    if chunks is None:
        if len(s) < 2 or pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
            return Coded(s)
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if len(uniques) * 2 > len(s):   # mostly distinct: entries per row cost less
            return Coded(s)
        entries = pd.Series(list(uniques) + [None], dtype=object)
        return Coded(entries, narrow_codes(np.where(codes < 0, len(uniques), codes), len(entries)))
    import pyarrow as pa
    import pyarrow.compute as pc
    words, indices = _encoded(chunks)
    entries = pa.concat_arrays([words, pa.nulls(1, words.type)])
    codes = pc.fill_null(indices, len(words)).to_numpy(zero_copy_only=False)
    return Coded(text_series(entries, pd.RangeIndex(len(entries))), narrow_codes(codes, len(entries)))


def _encoded(chunks):
    """``chunks`` dictionary-encoded: (distinct texts, per-row indices). A column read in parts is
    encoded part by part with one dictionary (Arrow gives every chunk the whole one), without
    joining the parts into one array first (a copy of the column)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if chunks.num_chunks > 1:
        enc = pc.dictionary_encode(chunks)
        words = enc.chunk(enc.num_chunks - 1).dictionary
        if all(len(c.dictionary) == len(words) and c.dictionary.buffers() == words.buffers() for c in enc.chunks):
            return words, pa.chunked_array([c.indices for c in enc.chunks], pa.int32())
    enc = pc.dictionary_encode(chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks())
    return enc.dictionary, enc.indices


def narrow_codes(codes: np.ndarray, entries: int) -> np.ndarray:
    """Per-row entry numbers in the smallest unsigned type that holds ``entries - 1``: a million
    rows of a column of a few hundred distinct texts take 1 MB rather than 4 or 8 (issue 15)."""
    dtype = np.min_scalar_type(max(int(entries) - 1, 0))
    return codes if codes.dtype == dtype else codes.astype(dtype)


def arrow_mask(arr) -> np.ndarray:
    """Arrow boolean -> numpy bool, null as False."""
    import pyarrow.compute as pc
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


_KIND_TAGS = ["", "s", "n", "d", "b", "t"]


def _tags(codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Kind tags as a categorical: ``kinds == "d"`` compares small integers, not objects."""
    return pd.Series(pd.Categorical.from_codes(codes, categories=_KIND_TAGS), index=index)


def _text_kinds(arr, index: pd.Index) -> pd.Series:
    import pyarrow.compute as pc
    codes = np.ones(len(arr), dtype=np.int8)                       # 's'
    codes[arr.is_null().to_numpy(zero_copy_only=False)] = 0        # ''
    codes[arrow_mask(pc.match_substring_regex(arr, _NUMBER_RX))] = 2    # 'n'
    long = arrow_mask(pc.greater_equal(pc.binary_length(arr), 19))
    if long.any():
        d = np.zeros(len(arr), bool)
        d[long] = arrow_mask(pc.match_substring_regex(arr.filter(long), _DATETIME_RX))
        codes[d] = 3                                               # 'd'
        t = d.copy()
        t[d] = arrow_mask(pc.starts_with(arr.filter(d), "1899-12-3"))
        codes[t] = 5                                               # 't'
    return _tags(codes, index)


def _pure(s: pd.Series, to):
    """When every filled cell of an Arrow text column casts cleanly to ``to`` (the usual
    ledger column: all dates, or all numbers), the cast values as numpy (nulls as NaN/NaT)
    and the null mask; else None and the caller takes the per-kind path."""
    arr = arrow_text(s)
    if arr is None or arr.null_count == len(arr):
        return None
    import pyarrow as pa
    try:
        cast = arr.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return cast


def to_objects(arr, index: pd.Index) -> pd.Series:
    """Arrow strings -> object Series of str/None, each distinct text made once (ledger
    columns repeat a few customers, parts and statuses a million times)."""
    import pyarrow.compute as pc
    sample = arr.slice(0, 2000)
    if len(sample) and len(pc.unique(sample)) * 2 > len(sample):   # mostly distinct: no gain
        return pd.Series(arr.to_numpy(zero_copy_only=False), index=index, dtype=object)
    enc = pc.dictionary_encode(arr)
    words = np.array(enc.dictionary.to_pylist() + [None], dtype=object)
    codes = pc.fill_null(enc.indices, len(words) - 1).to_numpy(zero_copy_only=False)
    return pd.Series(words[codes], index=index, dtype=object)


def cell_value(s: pd.Series, i: int):
    """The value of cell ``i`` as a typed reader gives it (for issue messages)."""
    v = s.iat[i]
    if arrow_text(s) is None:
        return v
    from addin.readers.grid import typed_value
    return None if v is None or v is pd.NA else typed_value(v)


def typed_cell(v):
    """One cell of an Arrow text column as a typed reader gives it (None when empty)."""
    if v is None or v is pd.NA:
        return None
    from addin.readers.grid import typed_value
    return typed_value(v)


def objects_of(s: pd.Series) -> np.ndarray:
    """A column's cells as Python values, as a typed reader gives them (issue values)."""
    if arrow_text(s) is None:
        return s.to_numpy(dtype=object)
    typed: dict = {}
    return np.array([typed[v] if v in typed else typed.setdefault(v, typed_cell(v)) for v in s.astype(object)],
                    dtype=object)


def _objects(s: pd.Series) -> pd.Series:
    """An Arrow text subset (the rare odd cells) as typed Python objects for the per-cell path."""
    if arrow_text(s) is None:
        return s
    from addin.readers.grid import typed_value
    return pd.Series([typed_value(v) if isinstance(v, str) else None for v in s.astype(object)],
                     index=s.index, dtype=object)


def map_unique(s: pd.Series, func) -> pd.Series:
    """``s.map(func)`` computed once per distinct value (str/None cells)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) * 2 > len(s):
        return s.map(func)
    missing = codes < 0
    na = func(s[missing].iloc[0]) if missing.any() else None
    done = np.array([func(u) for u in uniques] + [na], dtype=object)
    return pd.Series(done[codes], index=s.index, dtype=object)


def _kinds(s: pd.Series) -> pd.Series:
    """Type tag per cell: 's' str, 'n' number, 'd' date/datetime, 'b' bool, '' empty/other."""
    arr = arrow_text(s)
    if arr is not None:
        return _text_kinds(arr, s.index)

    def tag(v):  # noqa: C901 - one branch per cell type
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
    return map_unique(s, lambda v: unicodedata.normalize("NFKC", v).strip())


def text_column(s: pd.Series) -> pd.Series:
    """Text fields: trimmed str, numbers without a spurious '.0', dates as ISO; empty -> None."""
    arr = arrow_text(s)
    if arr is not None:
        import pyarrow.compute as pc
        trimmed = pc.utf8_trim_whitespace(arr)
        out = to_objects(pc.if_else(pc.equal(trimmed, ""), None, trimmed), s.index)
        long = arrow_mask(pc.greater_equal(pc.binary_length(arr), 19))
        if long.any():   # date cells: ISO text as the typed path writes it (rare in text fields)
            odd = np.flatnonzero(long)
            odd = odd[arrow_mask(pc.match_substring_regex(arr.filter(long), _DATETIME_RX))]
            if len(odd):
                out.iloc[odd] = text_column(_objects(s.iloc[odd])).to_numpy()
        return out
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
    arr = arrow_text(s)
    if arr is not None:
        import pyarrow.compute as pc
        blank = pc.equal(pc.utf8_trim_whitespace(arr), "")
        return pd.Series(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), index=s.index)
    kinds = _kinds(s)
    empty = kinds == ""
    m = kinds == "s"
    if m.any():
        empty[m] = s[m].map(lambda v: not v.strip())
    return empty


def _placeholder(s: pd.Series) -> pd.Series:
    words = placeholder_set()
    return map_unique(s, lambda v: norm_key(v) in words).astype(bool)


# --- numbers ---------------------------------------------------------------------------

_NUM_STRIP = re.compile(r"^[¥$€£￥]|[,\s\u00a0'](?=\d)|\s*(pcs|pc|ea|个|只|套|片|台|件|pcs\.)$", re.I)


def number_column(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers: real numbers, text such as '4.000', '1,200', full-width digits, '¥3.5'."""
    cast = _pure(s, "float64")
    if cast is not None:
        nums = cast.to_numpy(zero_copy_only=False)
        # Arrow reads 'nan'/'inf' as numbers; the per-kind path calls them 'not a number'
        if np.isfinite(nums[~np.isnan(nums)]).all() and not _nan_text(s, nums):
            return (pd.Series(nums, index=s.index, dtype="float64"),
                    pd.Series(None, index=s.index, dtype=object))
    kinds = _kinds(s)
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    problems = pd.Series(None, index=s.index, dtype=object)
    m = kinds == "n"
    if m.any():
        out[m] = _floats(s[m])
    m = kinds == "s"
    if m.any():
        text = clean_strings(_objects(s[m]))
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

_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?"
# 'Friday, April 8, 2022', 'Fri 8 Apr 2022'; a Chinese weekday after the date: '2026年4月30日 星期四'
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_CN_WEEKDAY = r"(?:\s*[(（]?\s*(?:星期|周|週|礼拜)[一二三四五六日天]\s*[)）]?)?"
_YMD = re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _CN_WEEKDAY
                  + _TIME + "$")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})" + _TIME + "$")
_DMONY = re.compile(r"^" + _WEEKDAY + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[-\s]+(?P<mon>[A-Za-z]{3,9})\.?[-\s,]+"
                    r"(?P<y>\d{4}|\d{2})" + _TIME + "$", re.I)
_MONDY = re.compile(r"^" + _WEEKDAY + r"(?P<mon>[A-Za-z]{3,9})\.?[-\s]+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?[-\s]+"
                    r"(?P<y>\d{4})" + _TIME + "$", re.I)
# Taiwan's ROC calendar: year 1 = 1912. A three-digit year is never a day or a month
# ('115/04/30'); two digits only after 民國/民国 (民國99年).
_ROC = re.compile(r"^(?:(?:中華)?民[國国]\s*(?P<y2>\d{2,3})|(?P<y>1\d{2}))\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*"
                  r"(?P<d>\d{1,2})\s*[日号]?" + _CN_WEEKDAY + "$")
_MD_CN = re.compile(r"^(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?" + _CN_WEEKDAY + "$")
_MD_SLASH = re.compile(r"^(?P<m>\d{1,2})[/.](?P<d>\d{1,2})$")
_YYYYMMDD = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^(?P<serial>\d{5}(?:\.\d+)?)$")
# the Excel serial of 9999-12-31, the last day Excel knows: a 'no date' marker like the text
SERIAL_NO_DATE = 2958465
# 9999-12-31, 12/31/9999, 99991231: a system's 'no date yet'
_YEAR_9999 = re.compile(r"^9999\D?\d|\d\D?9999(\s|$)")


def _nan_text(s: pd.Series, nums: np.ndarray) -> bool:
    """A filled cell that cast to NaN (its text said 'nan')."""
    return bool((np.isnan(nums) & ~s.isna().to_numpy()).any())


def _floats(s: pd.Series) -> pd.Series:
    arr = arrow_text(s)
    if arr is None:
        return s.astype("float64")
    import pyarrow as pa
    return pd.Series(arr.cast(pa.float64()).to_numpy(zero_copy_only=False), index=s.index)


def _days(s: pd.Series) -> pd.Series:
    """Date cells (datetime or date objects, or their text) at midnight."""
    arr = arrow_text(s)
    if arr is None:
        return pd.to_datetime(s.map(lambda v: dt.datetime(v.year, v.month, v.day) if 1678 <= v.year <= 2261
                                    else None)).astype("datetime64[ns]")
    import pyarrow.compute as pc
    day = pc.strptime(pc.utf8_slice_codeunits(arr, 0, 10), format="%Y-%m-%d", unit="s")
    raw = day.to_numpy(zero_copy_only=False)
    return pd.Series(np.where(_beyond_ns(raw), np.datetime64("NaT"), raw).astype("datetime64[ns]"), index=s.index)


# what a datetime64[ns] holds; a date cell outside it (an ERP's 9999-12-31 "no date") would wrap
# around on the cast (9999-12-31 became 1816-03-29: an open line counted as shipped on time)
_NS_FIRST, _NS_END = np.datetime64("1678-01-01"), np.datetime64("2262-04-11")


def _beyond_ns(stamps: np.ndarray) -> np.ndarray:
    """True for each datetime64 (any unit) a datetime64[ns] cannot hold."""
    return ~np.isnat(stamps) & ((stamps < _NS_FIRST) | (stamps >= _NS_END))


def _year(y: pd.Series) -> pd.Series:
    y = y.astype("float64")
    return y.where(y >= 100, 2000 + y.where(y < 70, y + 1900 - 2000))


def _build(y, m, d) -> pd.Series:
    frame = pd.DataFrame({"year": y, "month": m, "day": d}).astype("float64")
    ok = (frame.notna().all(axis=1) & frame["month"].between(1, 12) & frame["day"].between(1, 31)
          & frame["year"].between(1678, 2261))      # what a datetime64[ns] holds
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
                day_first: bool | None = None, formats: tuple[str, ...] = ()) -> tuple[pd.Series, pd.Series, dict]:
    """Parse dates of every form in SPEC sections 2 and 9. Returns (dates, problems, notes).

    ``year_hint``: per-row reference dates (the order date) to give '4月30' a year: the year
    that puts it closest to the reference. ``day_first``: how to read 4/5/2026; None = decide
    from the column itself. ``formats``: strptime formats tried first (a mapping's date_format)."""
    dates, problems, notes = date_coded(Coded(s), year_hint=None if year_hint is None else Coded(year_hint),
                                        day_first=day_first, formats=formats)
    return dates.values, problems.values, notes


def date_coded(col: Coded, *, year_hint: Coded | None = None, day_first: bool | None = None,
               formats: tuple[str, ...] = (), defer_years: bool = False) -> tuple[Coded, Coded, dict]:
    """``date_column`` on a column's entries: every form is read once per distinct text.
    Dates without a year ('4月30', '6/14') take the year closest to their own row's
    ``year_hint`` (over the same rows), else the file's year; with ``defer_years`` they are
    left NaT and listed in ``notes["no_year"]`` (month and day per entry) for the caller's
    ``place_years`` with the row's other dates. ``notes["placeholder"]`` (when any): per
    entry, a text that means 'no date', read as empty, for the caller to count."""
    rows = None if col.codes is None else np.bincount(col.codes, minlength=len(col.values))
    out, problems, notes, pending, text_index = _dates(col.values, day_first, formats, rows)
    if len(text_index):
        waiting = pd.Index([], dtype=text_index.dtype).append([p.index for p in pending]) if pending else None
        unread = text_index if waiting is None else text_index.difference(waiting)
        parsed_bad = unread[out[unread].isna() & problems[unread].isna()]
        problems[parsed_bad] = "not a date"
    if "placeholder" in notes and not notes["placeholder"].any():
        del notes["placeholder"]
    dates, probs = Coded(out, col.codes), Coded(problems, col.codes)
    if not pending:
        return dates, probs, notes
    if defer_years:
        notes["no_year"] = pending
        return dates, probs, notes
    reference = None if year_hint is None else year_hint.rows().astype("datetime64[ns]")
    dates, probs = place_years(dates, probs, pending, reference, file_year(dates, year_hint))
    return dates, probs, notes


def date_cells(s: pd.Series) -> np.ndarray:
    """Per cell: whether it reads as a date of a date column — a date, a date without a year
    ('4月30', its year to come from its row), or a text that means 'no date' (N/A, TBD,
    9999-12-31). For judging whether a column holds dates."""
    dates, _, notes = date_coded(Coded(s.reset_index(drop=True)), defer_years=True)
    out = dates.values.notna().to_numpy().copy()
    for p in notes.get("no_year", ()):
        out[p.index.to_numpy()] = True
    if "placeholder" in notes:    # by its words only: a recurring 'x' does not make a date column
        worded = np.array([isinstance(v, str) and _no_date_kind(unicodedata.normalize("NFKC", v).strip()) == 2
                           for v in s], dtype=bool)
        out |= notes["placeholder"] & worded
    return out


def place_years(dates: Coded, problems: Coded, pending: list[pd.DataFrame], reference: np.ndarray | None,
                fallback_year: int | None) -> tuple[Coded, Coded]:
    """Give the dates without a year (``pending``: month/day per entry) the year that puts
    each closest to its row's ``reference`` date (per row, NaT where the row has none: a due
    date months before its order date belongs to the next year), else ``fallback_year`` (the
    file's). With codes, each such row gets an entry of its own."""
    out, probs, codes = dates.values, problems.values, dates.codes
    entries = np.zeros(len(out), bool)
    for p in pending:
        entries[p.index.to_numpy()] = True
    if codes is not None:
        rows = np.flatnonzero(entries[codes])
        of_row = codes[rows]                        # the entry each such row held
        new = np.arange(len(out), len(out) + len(rows))
        codes = codes.astype(np.intp)            # a copy wide enough for the new entries
        codes[rows] = new
        new_index = pd.Index(new)
        out = pd.concat([out, pd.Series(out.to_numpy()[of_row], index=new_index, dtype=out.dtype)])
        probs = pd.concat([probs, pd.Series(probs.to_numpy()[of_row], index=new_index, dtype=object)])
        per_row = []
        for p in pending:
            mine = np.isin(of_row, p.index.to_numpy())
            part = p.loc[of_row[mine]]
            part.index = new_index[mine]
            per_row.append(part)
        pending = per_row
        ref_at = None if reference is None else pd.Series(reference[rows], index=new_index)
    else:
        out, probs = out.copy(), probs.copy()
        ref_at = None if reference is None else pd.Series(reference, index=out.index)
    for p in pending:
        ref = (ref_at.reindex(p.index) if ref_at is not None
               else pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]"))
        year = ref.dt.year.astype("float64")
        best = _build(year, p["m"], p["d"])
        for shift in (-1, 1):
            other = _build(year + shift, p["m"], p["d"])
            closer = (other - ref).abs() < (best - ref).abs()
            best[closer] = other[closer]
        no_ref = ref.isna()
        if fallback_year and no_ref.any():       # no date in the row: the file's year as it is
            best[no_ref] = _build(pd.Series(float(fallback_year), index=p.index)[no_ref], p["m"][no_ref],
                                  p["d"][no_ref])
            no_ref[:] = False
        out[p.index] = best
        probs[no_ref[no_ref].index] = "a date without a year, and no order date to take it from"
        bad = ~no_ref & best.isna()
        probs[bad[bad].index] = "not a date"
    if codes is not None:
        codes = narrow_codes(codes, len(out))
    return Coded(out, codes), Coded(probs, codes)


def _no_date_kind(v: str) -> int:
    """2: a placeholder by its words ('N/A - From RDC', 9999-12-31); 1: a text without a digit
    (a placeholder when it recurs); 0: neither."""
    words = placeholder_set()
    key = norm_key(v)
    if key in words or _YEAR_9999.search(key):
        return 2
    head = re.split(r"\s+[-–—:(（]|[,;，；]", key, maxsplit=1)[0].strip()
    if head in words:
        return 2
    return 1 if not re.search(r"\d", key) else 0


def _no_date_text(text: pd.Series, rows: pd.Series | None = None) -> pd.Series:
    """Texts that mean 'no date': the vocabulary's placeholders (N/A, TBD, 待定, Date Not
    Captured...), the same followed by a remark ('N/A - From RDC'), a date in year 9999, and
    a text without a digit that recurs down the column (a system's marker such as 'Pre-PQ
    Process'; a one-off word such as '某天' stays 'not a date' for a person to fix).
    ``rows``: per text, how many rows hold it (default: count the texts themselves)."""
    kind = map_unique(text, _no_date_kind).astype(np.int8)
    if not (kind == 1).any():
        return kind == 2
    if rows is None:
        rows = text.map(text.value_counts())
    return (kind == 2) | ((kind == 1) & (rows.reindex(text.index).to_numpy() >= 2))


def _dates(s: pd.Series, day_first: bool | None, formats: tuple[str, ...] = (),
           rows: np.ndarray | None = None) -> tuple[pd.Series, pd.Series, dict, list, pd.Index]:
    """Every date form that a cell's own text decides. Returns dates, problems, notes, the
    dates without a year still to place (month/day parts per form, in reading order) and the
    index of the text cells (those still unread at the end are 'not a date')."""
    none = pd.Index([], dtype="int64")
    cast = _pure(s, "timestamp[ms]")
    if cast is not None:
        import pyarrow.compute as pc
        stamps = cast.to_numpy(zero_copy_only=False)     # datetime64[ms]: no cell wraps around here
        # a time-of-day cell (1899-12-30/31) is 'not a date', a cell past 2262 holds no date: the
        # per-kind path says so
        if not ((stamps < np.datetime64("1900-01-01")).any() or _beyond_ns(stamps).any()):
            return (pd.Series(pc.floor_temporal(cast, unit="day").to_numpy(zero_copy_only=False)
                              .astype("datetime64[ns]"), index=s.index),
                    pd.Series(None, index=s.index, dtype=object), {}, [], none)
    kinds = _kinds(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    problems = pd.Series(None, index=s.index, dtype=object)
    placeholder = np.zeros(len(s), bool)
    notes: dict = {"placeholder": placeholder}
    if formats and day_first is None:
        order = [f.find("%d") for f in formats if "%d" in f and "%m" in f], \
                [f.find("%m") for f in formats if "%d" in f and "%m" in f]
        if order[0]:
            day_first = order[0][0] < order[1][0]

    m = kinds == "d"
    if m.any():
        days = _days(s[m])
        out[m] = days
        # a date cell beyond 2262 (9999-12-31 and the like): a placeholder for "no date", counted
        placeholder[s.index.get_indexer(days.index[days.isna().to_numpy()])] = True
    m = kinds == "n"
    text_numbers = pd.Index([], dtype=s.index.dtype)
    if m.any():
        serial = _floats(s[m])
        good = serial.between(SERIAL_MIN, SERIAL_MAX)
        out[serial.index[good]] = EXCEL_EPOCH + np.floor(serial[good].to_numpy()).astype("timedelta64[D]")
        no_date = serial == SERIAL_NO_DATE
        placeholder[s.index.get_indexer(serial.index[no_date])] = True
        # 20260415 typed as a number: read as its digits (a text path form)
        text_numbers = serial.index[~good & ~no_date & (serial == np.floor(serial)) & serial.between(1e7, 1e8)]
        rest = serial.index[~good & ~no_date].difference(text_numbers)
        problems[rest] = "not a date"
    for tag in ("b", "t"):
        m = kinds == tag
        if m.any():
            problems[m] = "not a date"
    m = (kinds == "s").to_numpy()
    if not m.any() and not len(text_numbers):
        return out, problems, notes, [], none
    text = clean_strings(_objects(s[m])) if m.any() else pd.Series([], dtype=object)
    if len(text_numbers):
        text = pd.concat([text, _floats(s[text_numbers]).map(lambda v: str(int(v)))]).sort_index()
    text = text[text != ""]
    ph = _no_date_text(text, None if rows is None else pd.Series(rows, index=s.index))
    placeholder[s.index.get_indexer(text.index[ph.to_numpy()])] = True
    text = text[~ph]
    todo = pd.Series(True, index=text.index)

    for fmt in formats:
        if not todo.any():
            break
        got = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        got = got[got.notna()]
        out[got.index] = got.dt.normalize().to_numpy(dtype="datetime64[ns]")
        todo[got.index] = False

    def take(rx: re.Pattern) -> pd.DataFrame:
        part = text[todo].str.extract(rx)
        part = part[part.notna().any(axis=1)]
        todo[part.index] = False
        return part

    p = take(_YMD)
    out[p.index] = _build(p["y"], p["m"], p["d"])
    p = take(_YYYYMMDD)
    out[p.index] = _build(p["y"], p["m"], p["d"])
    p = take(_ROC)
    if len(p):
        out[p.index] = _build(pd.to_numeric(p["y"].fillna(p["y2"])) + 1911, p["m"], p["d"])
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
                if ambiguous.any():   # entries in order of first appearance: the first such cell
                    notes["ambiguous_day_month"] = str(text[ambiguous.idxmax()])
                day_first = False
            notes["day_first"] = day_first
        d, mo = (p["a"], p["b"]) if day_first else (p["b"], p["a"])
        out[p.index] = _build(_year(p["y"]), mo, d)
    pending = [p for p in (take(_MD_CN), take(_MD_SLASH)) if len(p)]
    return out, problems, notes, pending, text.index


def file_year(*columns: Coded | None) -> int | None:
    """The most common year among the dates already read (rows, not entries) of the given
    columns: the year of the file; the earliest of equally common years."""
    ys, ws = [], []
    for col in columns:
        if col is None:
            continue
        years = col.values.dt.year.to_numpy(dtype="float64", na_value=np.nan)
        weight = (np.ones(len(years), np.int64) if col.codes is None
                  else np.bincount(col.codes, minlength=len(years)))
        ok = ~np.isnan(years) & (weight > 0)
        ys.append(years[ok].astype(np.int64))
        ws.append(weight[ok])
    if not ys or not sum(len(y) for y in ys):
        return None
    uniq, at = np.unique(np.concatenate(ys), return_inverse=True)
    total = np.bincount(at, weights=np.concatenate(ws))
    return int(uniq[total == total.max()].min())


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
    key = map_unique(text, lambda v: norm_key(v) if v is not None else None)
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
    key = map_unique(text, lambda v: norm_key(v) if v is not None else "")
    out = key.map(_bool_map())
    problems = pd.Series(None, index=s.index, dtype=object)
    problems[out.isna()] = "not yes/no"
    return out.fillna(False).astype(bool), problems


def list_column(s: pd.Series) -> pd.Series:
    """Alternates: several part numbers in one cell, separated by , ; / or line breaks."""
    text = text_column(s)
    return text.map(lambda v: tuple(p.strip() for p in re.split(r"[,;，；\n|]+", v) if p.strip())
                    if v else ())
