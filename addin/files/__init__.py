"""File safety, split by concern: ``guard`` (input inspection), ``isolate`` (a parser in a
child process), ``atomic`` (atomic output, openpyxl load/save), ``text`` (cell, sheet and text
rules Excel imposes), ``limits`` (Excel's sizes and the reading limits)."""
