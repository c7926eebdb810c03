"""One exception tree. The library raises; only the front ends format (CONVENTIONS 5-7)."""
from __future__ import annotations


class OrderDeskError(Exception):
    """Base of every error OrderDesk raises on purpose. ``str(err)`` is the user-facing text."""


class InputError(OrderDeskError, ValueError):
    """The data cannot be used: names the file, sheet, cell, value found and what was expected."""

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 cell: str | None = None, value: object = None, expected: str | None = None):
        super().__init__(message)
        self.file, self.sheet, self.cell, self.value, self.expected = file, sheet, cell, value, expected


class FileError(OrderDeskError, OSError):
    """A file cannot be opened, written, is locked by Excel, or is unsafe to read."""

    def __init__(self, message: str, *, file: str | None = None):
        OrderDeskError.__init__(self, message)
        self.file = file

    def __str__(self) -> str:  # OSError.__str__ would reformat the args
        return self.args[0] if self.args else ""


class ConfigError(OrderDeskError, ValueError):
    """A configuration file (orderdesk.toml, mapping TOML) is wrong: names the key."""


class DeliveryError(OrderDeskError):
    """Some e-mail deliveries failed (the scheduled job exits with status 3)."""
