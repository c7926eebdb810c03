"""Excel's sizes and the file kinds the guards know (the numbers, once)."""
from __future__ import annotations





EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
EXCEL_MAX_TEXT = 32_767
MB = 1024 * 1024

OOXML_EXT = {".xlsx", ".xlsm", ".xltx", ".xltm"}
XLS_EXT = {".xls", ".xlt"}
TEXT_EXT = {".csv", ".txt", ".tsv"}
KIND_WORDS = {"xlsx": "an Excel workbook (.xlsx)", "xls": "an Excel 97-2003 workbook (.xls)",
              "csv": "CSV text"}
CHUNK = 1 << 20

# Dates and day counts an option or a setting may give: Excel's dates start in 1900, and pandas
# (nanosecond timestamps) ends in 2262; a day count beyond ten years is a typo, and 10**12 days
# would overflow every date sum.
FIRST_DATE = (1900, 1, 1)
LAST_DATE = (2199, 12, 31)
MAX_DAY_COUNT = 3650
