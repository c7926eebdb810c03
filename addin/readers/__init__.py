"""Readers: one entry point for every input kind (SPEC section 2)."""
from __future__ import annotations

from addin.readers.table import Issue, Mapping, ReadResult, RowCount, read

__all__ = ["read", "ReadResult", "Issue", "RowCount", "Mapping"]
