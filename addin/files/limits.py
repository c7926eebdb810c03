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

