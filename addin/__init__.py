"""OrderDesk: live order ledgers, contract review and on-time delivery for factory order desks."""
from __future__ import annotations

from addin.version import __version__  # noqa: E402

from addin.errors import ConfigError, FileError, InputError, OrderDeskError  # noqa: E402

__all__ = ["__version__", "OrderDeskError", "InputError", "FileError", "ConfigError", "read"]


def read(path, kind: str | None = None, **options):
    """Read an input workbook of any kind (ledger, bom, quotes, stock, capacity)."""
    from addin.readers import read as _read
    return _read(path, kind=kind, **options)
