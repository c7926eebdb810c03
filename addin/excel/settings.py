"""What the buttons measure with and in which language, from the open workbook itself.

* **Config sheet** (``Config``, ``配置`` or ``设置``): one setting per row, the key in column A
  as ``orderdesk.toml`` writes it with its section (``otd.late_tolerance``,
  ``otd.customers.ACME.late_tolerance``, ``otd.risk_horizon``, ``rootcause.keywords.material``,
  ``report.lang``, the line filters ``filter.customer``, ``filter.part``, ``filter.owner``,
  ``filter.supplier`` (several names one per line or separated by ``;``: every button then
  measures those lines only, as ``--customer`` … does) …), the value in column B, anything in column C (a note). A header row (Key /
  Value, 键 / 值, 设置 / 值) and rows whose key starts with ``#`` are skipped; an empty value keeps
  the default. Checked as the file is, each error naming its cell
  (``book.xlsx, Config!B3: [otd] late_tolerance must be a whole number, not a string ('abc')``).
  Without the sheet: the SPEC defaults (``addin.defaults``), as ``orderdesk`` without --config.
* **Calendar sheet** (``Calendar`` or ``日历``): the working calendar, as a ``--calendar`` file
  over ``otd.calendar`` (cn unless the Config sheet says mon-fri).
* **Language**: ``report.lang`` of the Config sheet when set; else the messages speak the user's
  language (Excel's interface language, else the system locale) and what is written into the
  workbook's cells (risk reasons, review reasons, cause labels, calendar notes) follows the
  workbook: zh when its sheet names or the table's headers hold Chinese, else en.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from addin.config import SettingRow, Settings, replace_source, settings_from_pairs
from addin.errors import InputError
from addin.excel.book import Book, column_letter, read_table, sheet_named

CONFIG_SHEETS = ("Config", "配置", "设置")
CALENDAR_SHEETS = ("Calendar", "日历")
# Config sheet keys that select lines (SPEC 13; checked by addin.config with the file's [filter])
FILTER_KEYS = ("filter.customer", "filter.part", "filter.owner", "filter.supplier")
_HEADER_KEYS = {"key", "setting", "name", "键", "设置", "参数", "名称", "项目"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def book_settings(book: Book, *, with_calendar: bool = True) -> Settings:
    """The settings of the workbook: its Config sheet (else the SPEC defaults) with the working
    calendar of its Calendar sheet over ``otd.calendar`` (``with_calendar`` False: the calendar
    left unread, for a job that counts no working days)."""
    sheet = sheet_named(book, CONFIG_SHEETS)
    settings = Settings() if sheet is None else replace_source(
        settings_from_pairs(config_rows(book, sheet)), f"{book.name}, {sheet} sheet")
    if not with_calendar:
        return settings
    from dataclasses import replace
    return replace(settings, calendar=calendar(book, base=str(settings.calendar)))


def config_rows(book: Book, sheet: str) -> list[SettingRow]:
    """The key/value rows of a Config sheet (header, comment and empty rows left out)."""
    rows = []
    for r, row in enumerate(book.read_rows(sheet), start=1):
        key = row[0] if row else None
        if key is None or not str(key).strip() or str(key).strip().startswith("#"):
            continue
        key = str(key).strip()
        if not rows and "." not in key and key.lower() in _HEADER_KEYS:
            continue   # the header row
        value = row[1] if len(row) > 1 else None
        where = f"{book.name}, {sheet}!{column_letter(2)}{r}"
        rows.append(SettingRow(key=key, value=value, where=where, key_where=f"{book.name}, {sheet}!A{r}"))
    return rows


def calendar(book: Book | None = None, base: str = "cn"):
    """The working calendar of the buttons: ``base`` (cn, or mon-fri) with the rows of the
    workbook's Calendar (日历) sheet when ``book`` has one (how an Excel user adds holidays
    chinesecalendar does not publish yet), else ``base`` alone. The sheet is the calendar workbook
    of ``--calendar FILE``: columns Date and Working (日期, 是否上班), optional Name; each row forces
    its date to working or not. A bad row raises InputError naming the cell, as a calendar file does."""
    from addin.readers.calendar import load_calendar
    sheet = sheet_named(book, CALENDAR_SHEETS) if book is not None else None
    if sheet is None:
        return load_calendar(base)
    return _sheet_calendar(book, sheet, base)


def _sheet_calendar(book: Book, sheet: str, base: str):
    # addin.readers.calendar.load_calendar reads a file; here the rows come through the Book, with the
    # same checks and the same messages (file name, then the cell)
    from addin.compute.calendar import WorkingCalendar
    from addin.readers.calendar import overrides_from
    from addin.readers.grid import Grid
    from addin.readers.table import Mapping, cell_name, find_header

    def working_cell(row: int) -> str:   # error path only: find the header again for the column
        match = find_header(Grid(Path(book.name), sheet, book.read_rows(sheet), book.sheet_names()),
                            "calendar", Mapping())
        return cell_name(sheet, match.columns["working"], row) if match is not None else f"{sheet} row {row}"

    result = read_table(book, sheet, "calendar")
    overrides = overrides_from(result, label=book.name, file=book.name, working_cell=working_cell)
    try:
        return WorkingCalendar.from_frame(overrides, base=base, name=f"{base}+{sheet}")
    except InputError as exc:   # rows that disagree: from_frame knows rows, not the workbook
        raise InputError(f"{book.name}, {sheet} sheet: {exc}", file=book.name, sheet=sheet, value=exc.value,
                         expected=exc.expected) from None


def message_lang(book: Book, settings: Settings) -> str:
    """The language of the message box: the Config sheet's ``report.lang``, else the user's."""
    if settings.lang:
        return settings.lang
    ui = getattr(book, "ui_lang", None)
    if ui is not None:
        return ui()
    from addin.i18n import system_lang
    return system_lang()


def content_lang(settings: Settings, *results: Any) -> str:
    """The language of what is written into the workbook: the Config sheet's ``report.lang``,
    else zh when a table's sheet name or headers hold Chinese, else en."""
    if settings.lang:
        return settings.lang
    texts = []
    for result in results:
        texts.append(getattr(result, "sheet", None) or "")
        texts += [str(v) for v in (getattr(result, "columns", None) or {}).values()]
    return "zh" if any(_CJK.search(t) for t in texts) else "en"
