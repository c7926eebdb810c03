"""Chinese text: Traditional to Simplified (OpenCC's t2s), shared by header recognition and the
root-cause classifier. A text without a Traditional character skips the (pure-Python, slow)
conversion; callers convert each distinct text once."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

__all__ = ["simplified"]


@lru_cache(maxsize=1)
def _converter():
    import opencc   # opencc-python-reimplemented: the maintained t2s tables
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """The characters OpenCC's t2s changes (a set: testing a text against it is ~20 times faster
    than a character-class regular expression of 2,700 characters)."""
    import opencc
    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    try:
        return frozenset(line.split("\t", 1)[0] for line in table.read_text(encoding="utf-8").splitlines()
                         if line and len(line.split("\t", 1)[0]) == 1)
    except OSError:  # another OpenCC build: convert every text holding a CJK character
        return frozenset()


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=65536)
def simplified(text: str) -> str:
    """``text`` in Simplified Chinese; other text unchanged."""
    if text.isascii():
        return text
    chars = _traditional_chars()
    if (chars.isdisjoint(text)) if chars else not _CJK.search(text):
        return text
    return _converter().convert(text)
