"""TOML reading on every Python the package claims (requires-python >= 3.10): the standard
library's ``tomllib`` from 3.11, the ``tomli`` package (its origin, same API) on 3.10.

Every module imports ``tomllib`` from here, never directly: ``from addin.tomlcompat import tomllib``.
"""
from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: pyproject.toml depends on ``tomli; python_version < "3.11"``
    import tomli as tomllib

__all__ = ["tomllib"]
