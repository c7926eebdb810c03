"""Inside Excel: the workbook interface (``book``), the button actions (``actions``), the
worksheet functions (``udfs``) and the add-in build (``build``, ``ovba``, ``cfb``).

Nothing here imports xlwings' Windows/macOS machinery at import time; ``XlwingsBook`` and the
UDF decorators only matter when Excel calls in."""
