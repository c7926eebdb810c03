"""Root cause of late lines (SPEC section 3): taxonomy, classification, Pareto.

A late line's ``exception_type`` is looked up as a whole value among the synonyms of each cause;
failing that, keywords are searched in the exception type, then in the note; failing that the
line is ``unclassified``. The keyword lists are data (``data/rootcause.toml``) that a user
extends from the config (``[rootcause.keywords]``). Everything is vectorised: each distinct text
is classified once by one regular expression (an alternation of every keyword), so a million
late lines with a few thousand distinct notes cost one pass over the distinct notes.

Real notes (issue 12) are written in Traditional as well as Simplified Chinese and say what a
delay was *not*: texts and keywords are folded (NFKC, case) and converted to Simplified with
OpenCC's t2s tables, and the first keyword that is not negated in its clause wins ("Not a
quality issue; shortage of resin" is material; "不是设备问题，是缺料" too).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from addin.zh import simplified
from addin.errors import ConfigError

from addin.tomlcompat import tomllib

CAUSES: tuple[str, ...] = ("material", "quality", "equipment", "engineering", "capacity",
                           "customer", "logistics", "force_majeure", "other")
UNCLASSIFIED = "unclassified"
EXTERNAL: frozenset[str] = frozenset({"customer", "logistics", "force_majeure"})
INTERNAL: frozenset[str] = frozenset(CAUSES) - EXTERNAL

# Pareto ties are broken in taxonomy order, unclassified last.
_ORDER = {cause: i for i, cause in enumerate(CAUSES + (UNCLASSIFIED,))}


@lru_cache(maxsize=1)
def _data() -> dict:
    text = resources.files("addin").joinpath("data/rootcause.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


CAUSE_LABELS: dict[str, dict[str, str]] = {lang: dict(labels) for lang, labels in _data()["labels"].items()}


def cause_label(cause: str | None, lang: str = "en") -> str | None:
    """The name of a cause in ``lang`` (``zh`` or ``en``); None stays None."""
    if cause is None:
        return None
    return CAUSE_LABELS.get(lang, CAUSE_LABELS["en"]).get(cause, cause)


def cause_scope(causes: pd.Series) -> pd.Series:
    """``external`` for customer, logistics and force majeure, ``internal`` for the other causes,
    None for unclassified or missing."""
    codes = pd.Index(CAUSES).get_indexer(pd.Series(causes, dtype=object))
    table = np.array(["external" if c in EXTERNAL else "internal" for c in CAUSES] + [None], dtype=object)
    return pd.Series(table[np.where(codes < 0, len(CAUSES), codes)], index=causes.index, dtype=object)

def _fold(text: str) -> str:
    return simplified(unicodedata.normalize("NFKC", text).casefold())


_SEPARATORS = re.compile(r"[\s_\-/]+")


def _synonym_key(text: str) -> str:
    return _SEPARATORS.sub("", _fold(text))


def check_keywords(extra_keywords: Mapping[str, Iterable[str]] | None) -> dict[str, tuple[str, ...]]:
    """Validate a ``[rootcause.keywords]`` table: known causes, lists of non-empty strings."""
    if not extra_keywords:
        return {}
    checked: dict[str, tuple[str, ...]] = {}
    for cause, words in extra_keywords.items():
        if cause not in CAUSES:
            raise ConfigError(f"rootcause.keywords: unknown cause '{cause}' — use one of "
                              f"{', '.join(CAUSES)}")
        if isinstance(words, str):
            words = [words]
        words = tuple(words)
        if not all(isinstance(w, str) and w.strip() for w in words):
            raise ConfigError(f"rootcause.keywords.{cause}: every keyword must be non-empty text, "
                              f"e.g. {cause} = [\"PCB延期\"]")
        checked[cause] = tuple(w.strip() for w in words)
    return checked


@lru_cache(maxsize=16)
def _tables(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[dict[str, str], re.Pattern, dict[str, str]]:
    data = _data()
    synonyms: dict[str, str] = {}
    for cause in CAUSES:
        names = [cause, cause.replace("_", " ")] + [labels[cause] for labels in data["labels"].values()]
        for word in names + list(data["synonyms"].get(cause, [])):
            synonyms.setdefault(_synonym_key(word), cause)   # the first cause to claim a word keeps it
    keywords: dict[str, str] = {}
    for cause in CAUSES:
        for word in data["keywords"].get(cause, []):
            keywords.setdefault(_fold(word), cause)
    for cause, words in extra:
        for word in words:   # the user's own words win over the built-in lists
            keywords[_fold(word)] = cause
            synonyms[_synonym_key(word)] = cause
    # Longest first so that, at one position, "客户变更" wins over "客户". An ASCII keyword starts
    # a word (not after a letter or digit: "rain" is not in "training", "IC" is in "缺IC等料");
    # a short one (IC, QC, FAI) also ends one, a plural s aside.
    parts = []
    for word in sorted(keywords, key=len, reverse=True):
        escaped = re.escape(word)
        if word[:1].isascii() and word[:1].isalnum():
            escaped = "(?<![a-z0-9])" + escaped
            if len(word) <= 3 and word.isascii() and word[-1:].isalnum():
                escaped += "(?:s)?(?![a-z0-9])"
        parts.append(escaped)
    pattern = re.compile("(" + "|".join(parts) + ")")
    return synonyms, pattern, keywords


def _freeze(extra_keywords: Mapping[str, Iterable[str]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted(check_keywords(extra_keywords).items()))


def _blank_to_none(values: pd.Series) -> pd.Series:
    """Text trimmed; empty text and non-text missing values become None."""
    text = values.map(lambda v: None if v is None or pd.isna(v) else str(v).strip())
    return text.where(text.notna() & (text != ""), None)


# A keyword is negated when its clause says so just before it ("not a", "不是", "非", "rather
# than") or says "no … issue" / "没有…问题" around it. Clauses end at punctuation.
_CLAUSE_END = re.compile(r"[,;.!?:，；。！？：\n、]")
_NEGATED_BEFORE = re.compile(
    r"(?:(?<![a-z])(?:not|never|no longer|rather than|instead of)|n't|不是|并非|并不是|并没有|不属于|而非|非|排除|无关)"
    r"(?:\s*(?:a|an|the|due to|caused by|because of|related to|from|因为|由于|属于|是|为))*\s*$")
_NO_BEFORE = re.compile(r"(?:(?<![a-z])no|没有|无)\s*$")
_ISSUE_AFTER = re.compile(r"\s*(?:issues?|problems?|concerns?|问题|异常|原因)")


def _negated(text: str, start: int, end: int) -> bool:
    before = text[:start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    before = before[cut:][-16:]
    if _NEGATED_BEFORE.search(before):
        return True
    return bool(_NO_BEFORE.search(before) and _ISSUE_AFTER.match(text, end))


def _first_cause(text: str, pattern: re.Pattern, keywords: Mapping[str, str]) -> str | None:
    for match in pattern.finditer(text):
        if not _negated(text, match.start(), match.end()):
            word = match.group(1)
            return keywords.get(word) or keywords[word[:-1]]     # "PCBs": the keyword and a plural s
    return None


def _by_text(texts: pd.Series, synonyms: Mapping[str, str], pattern: re.Pattern,
             keywords: Mapping[str, str]) -> pd.Series:
    """Cause of each distinct text (folded once): a whole-value synonym, else its first keyword
    not negated; NaN when neither."""
    causes = []
    for text in texts.tolist():
        folded = _fold(text)
        cause = synonyms.get(_SEPARATORS.sub("", folded))
        causes.append(cause if cause is not None else _first_cause(folded, pattern, keywords))
    return pd.Series(causes, index=texts.index, dtype=object).where(lambda c: c.notna(), np.nan)


def classify_causes(exception_type: pd.Series, exception_note: pd.Series,
                    extra_keywords: Mapping[str, Sequence[str]] | None = None) -> pd.Series:
    """Cause code per line (one of :data:`CAUSES` or ``unclassified``), index of ``exception_type``."""
    synonyms, pattern, keywords = _tables(_freeze(extra_keywords))
    types = pd.Series(exception_type, dtype=object)
    notes = pd.Series(exception_note, dtype=object)
    if len(notes) != len(types):
        raise ValueError("exception_type and exception_note must have the same length")
    if len(types) == 0:
        return pd.Series([], index=types.index, dtype=object, name="root_cause")

    # Classify each distinct type and each distinct note once, then each distinct pair.
    type_codes, type_values = pd.factorize(types.to_numpy(dtype=object), use_na_sentinel=True)
    note_codes, note_values = pd.factorize(notes.to_numpy(dtype=object), use_na_sentinel=True)
    type_text = _blank_to_none(pd.Series(list(type_values) + [None], dtype=object))
    note_text = _blank_to_none(pd.Series(list(note_values) + [None], dtype=object))
    # a type names its cause as a whole value, else through a keyword inside it
    type_cause = _by_text(type_text.dropna(), synonyms, pattern, keywords).reindex(type_text.index)
    # a note that is only a cause's name ("其他", "Other") names it, as a type does
    note_cause = _by_text(note_text.dropna(), synonyms, pattern, keywords).reindex(note_text.index)
    # missing (-1) takes the last slot of each table, which is None
    type_codes = np.where(type_codes < 0, len(type_values), type_codes)
    note_codes = np.where(note_codes < 0, len(note_values), note_codes)
    type_known = type_cause.notna().to_numpy()
    type_array = type_cause.to_numpy(dtype=object)
    note_array = note_cause.fillna(UNCLASSIFIED).to_numpy(dtype=object)
    cause = np.where(type_known[type_codes], type_array[type_codes], note_array[note_codes])
    return pd.Series(cause, index=types.index, dtype=object, name="root_cause")

def pareto(classified: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Root causes of the late lines of a classified ledger (``addin.compute.otd.classify``), most
    frequent first: cause, label, count, share, cumulative_share, scope, major, general."""
    late = classified.loc[classified["outcome"] == "late", ["root_cause", "severity"]]
    columns = ["cause", "label", "count", "share", "cumulative_share", "scope", "major", "general"]
    if late.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("count", "major", "general") else
                                          "float64" if "share" in c else object) for c in columns})
    causes = late["root_cause"].fillna(UNCLASSIFIED)
    table = pd.crosstab(causes, late["severity"].fillna("general"))
    table = table.reindex(columns=["major", "general"], fill_value=0)
    table["count"] = table["major"] + table["general"]
    table = table.reset_index(names="cause")
    table["_order"] = table["cause"].map(_ORDER).fillna(len(_ORDER))
    table = table.sort_values(["count", "_order"], ascending=[False, True], kind="stable").reset_index(drop=True)
    total = table["count"].sum()
    table["share"] = table["count"] / total
    table["cumulative_share"] = table["count"].cumsum() / total
    table["scope"] = cause_scope(table["cause"])
    table["label"] = table["cause"].map(lambda c: cause_label(c, lang))
    for c in ("count", "major", "general"):
        table[c] = table[c].astype("int64")
    return table[columns]
