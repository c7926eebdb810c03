"""One module per output workbook, plus shared XlsxWriter helpers in xlsx.py."""
