"""Contract-review checks (SPEC section 4), one module per check, in the order the review shows
them. Each module's ``run(ctx)`` takes the prepared PO lines (:class:`base.ReviewContext`) and
returns an :class:`base.Outcome`: per line a result (``pass``/``warn``/``fail``, None where the
check does not apply) and a one-line reason in the user's language. ``addin.compute.review``
prepares the lines, runs the registry below and assembles the review.
"""
from __future__ import annotations

from addin.compute.checks import lead_time, moq, price, quote, revision, tooling

# the registry: check name -> module, in the order of the review workbook
CONTRACT: dict[str, object] = {"quote": quote, "revision": revision, "price": price, "lead_time": lead_time,
                               "moq": moq, "tooling": tooling}

__all__ = ["CONTRACT"]
