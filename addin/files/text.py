"""Text Excel can hold: cell names, sheet names, cell text (once, for readers and writers)."""
from __future__ import annotations

import re
import unicodedata


from addin.files.limits import EXCEL_MAX_TEXT



def col_letters(col: int) -> str:
    """1 -> 'A', 16384 -> 'XFD'."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_ref(sheet: str) -> str:
    """A sheet name as a cell reference starts: quoted when it holds anything but letters,
    digits, '_' or Chinese characters ('Sheet 1'!A1, 订单!A1)."""
    return f"'{sheet}'" if re.search(r"[^\w\u4e00-\u9fff]", sheet) else sheet


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


# ---------------------------------------------------------------------------------------------
# text safety
# ---------------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_sheet_name(name: str, existing: set[str]) -> str:
    """A sheet name Excel accepts, unique (case-insensitively) among ``existing``: no
    ``[]:*?/\\``, no leading/trailing apostrophe or space, at most 31 characters, ' (2)',
    ' (3)'... on a clash. Pure: the caller adds the result to ``existing``."""
    base = _SHEET_FORBIDDEN.sub("", str(name)).strip(" '")
    base = _truncate_utf16(base, 31).strip(" '") or "Sheet"
    taken = {e.casefold() for e in existing} | {"history"}  # Excel reserves 'History'
    if base.casefold() not in taken:
        return base
    for n in range(2, 10_000):
        suffix = f" ({n})"
        candidate = _truncate_utf16(base, 31 - len(suffix)).rstrip(" '") + suffix
        if candidate.casefold() not in taken:
            return candidate
    raise ValueError("too many sheets with the same name")


def clean_cell_text(s: str) -> tuple[str, bool]:
    """Text Excel can store: XML-illegal control characters removed (tab, CR, LF kept), at
    most 32,767 characters. Returns (text, truncated)."""
    s = _XML_ILLEGAL.sub("", s)
    if len(s) <= EXCEL_MAX_TEXT // 2 + 1:  # fast path: cannot exceed the limit in UTF-16 units
        return s, False
    cut = _truncate_utf16(s, EXCEL_MAX_TEXT)
    return cut, len(cut) < len(s)


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _truncate_utf16(s: str, units: int) -> str:
    """Excel counts UTF-16 code units; cut without splitting a surrogate pair."""
    head = s[:units]
    if not _ASTRAL.search(head):
        return head
    out, used = [], 0
    for ch in head:
        cost = 2 if ord(ch) > 0xFFFF else 1
        if used + cost > units:
            break
        out.append(ch)
        used += cost
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# what is printed (SPEC 12): terminal-safe text and CSV cells a spreadsheet will not run
# ---------------------------------------------------------------------------------------------

# C0 controls but tab and line feed, DEL, C1 controls (8-bit CSI/OSC), and the bidirectional
# overrides and isolates that make a terminal show text in another order than it is
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal would act on (ESC and so every CSI/OSC sequence,
    other C0 and C1 controls, CR, DEL, bidi overrides) shown as ``\\uXXXX``; tab and line feed
    kept. The escape is JSON's, so JSON text stays valid JSON with the same values. Every line
    a command prints goes through here."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One CSV cell a spreadsheet will not run (OWASP): text starting with ``= + - @``, tab or CR
    gets a leading ``'``; numbers stay numbers (-3 is written -3); None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_text(rows) -> str:
    """Rows (lists of values) as CSV text, every cell through ``csv_cell``; ``\\n`` line ends.
    Every CSV output is written with this."""
    import csv
    import io
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal or an Excel column: a wide (CJK, full-width) character
    takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
