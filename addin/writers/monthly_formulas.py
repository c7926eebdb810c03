"""Formula text for the live pivots of the monthly workbook: COUNTIFS over the OrderData table.

A condition is ``(column, op, ref)``: ``ref`` is a formula expression (a cell reference or a
quoted literal). COUNTIFS reads wildcards and leading operators in a criterion and compares
case-insensitively, so a group label that could be misread (``A*``, ``<10``, ``00123``, or two
customers differing only in case) is counted with SUMPRODUCT(EXACT(...)) instead: ``exact``.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

TABLE = "OrderData"

Cond = tuple[str, str, str]   # (column, op, ref)


def col(name: str) -> str:
    return f"{TABLE}[{name}]"


def lit(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


_RISKY = re.compile(r"[*?~]")


def needs_exact(label: Any, labels_casefolded: dict[str, int]) -> bool:
    """Whether COUNTIFS could match more than this exact label."""
    if label is None:
        return False
    text = str(label)
    if _RISKY.search(text) or text[:1] in "=<>" or len(text) > 250:
        return True
    if labels_casefolded.get(text.casefold(), 0) > 1:
        return True
    try:
        float(text.replace(",", ""))
        return True      # COUNTIFS reads "00123" as the number 123
    except ValueError:
        pass
    return text != text.strip()


def casefold_counts(labels: Iterable[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:
        if label is not None:
            key = str(label).casefold()
            counts[key] = counts.get(key, 0) + 1
    return counts


def _criterion(op: str, ref: str) -> str:
    return ref if op == "=" else f'"{op}"&{ref}'


def _product_terms(conds: Sequence[Cond], exact_cols: set[str]) -> str:
    terms = []
    for name, op, ref in conds:
        if name in exact_cols and op == "=":
            terms.append(f"EXACT({col(name)},{ref})")
        else:
            terms.append(f"({col(name)}{op}{ref})")
    return "*".join(f"({t})" if t.startswith("EXACT") else t for t in terms)


def count(conds: Sequence[Cond], exact_cols: set[str] = frozenset()) -> str:
    """Number of OrderData rows meeting every condition."""
    if exact_cols:
        return f"SUMPRODUCT({_product_terms(conds, exact_cols)}*1)"
    args = ",".join(f"{col(name)},{_criterion(op, ref)}" for name, op, ref in conds)
    return f"COUNTIFS({args})"


def average(value_col: str, conds: Sequence[Cond], exact_cols: set[str] = frozenset()) -> str:
    """Mean of ``value_col`` over the rows meeting every condition ("" when none)."""
    if exact_cols:
        terms = _product_terms(conds, exact_cols)
        return f'IFERROR(SUMPRODUCT({terms}*{col(value_col)})/SUMPRODUCT({terms}*1),"")'
    args = ",".join(f"{col(name)},{_criterion(op, ref)}" for name, op, ref in conds)
    return f'IFERROR(AVERAGEIFS({col(value_col)},{args}),"")'


def outcome_count(base: Sequence[Cond], outcome: str, exact_cols: set[str] = frozenset(),
                  outcome_col: str = "outcome") -> str:
    return count([*base, (outcome_col, "=", lit(outcome))], exact_cols)


def otd(base: Sequence[Cond], exact_cols: set[str] = frozenset(), outcome_col: str = "outcome") -> str:
    """OTD % = on time / (on time + late + early); "" without measured lines (SPEC section 3)."""
    on, late, early = (outcome_count(base, o, exact_cols, outcome_col) for o in ("on_time", "late", "early"))
    return f'IFERROR({on}/({on}+{late}+{early}),"")'


def lines(base: Sequence[Cond], exact_cols: set[str] = frozenset(), outcome_col: str = "outcome") -> str:
    """Lines of the cohort: on time + late + early + pending."""
    return "+".join(outcome_count(base, o, exact_cols, outcome_col) for o in ("on_time", "late", "early", "pending"))


def otif(base: Sequence[Cond], exact_cols: set[str] = frozenset()) -> str:
    """OTIF % = on time and in full / measured lines; "" when an on-time line's in-full is
    unknown (in_full blank) or nothing was measured — as addin.compute.otd.summarise decides."""
    on_base = [*base, ("outcome", "=", lit("on_time"))]
    on = count(on_base, exact_cols)
    known = count([*on_base, ("in_full", ">=", "0")], exact_cols) if not exact_cols else \
        f"SUMPRODUCT({_product_terms(on_base, exact_cols)}*ISNUMBER({col('in_full')}))"
    full = count([*on_base, ("in_full", "=", "1")], exact_cols)
    late, early = (outcome_count(base, o, exact_cols) for o in ("late", "early"))
    measured = f"({on}+{late}+{early})"
    return f'IF({measured}=0,"",IF({on}>{known},"",{full}/{measured}))'


def cost_terms(formula: str) -> int:
    """How many whole-column passes a formula makes (a proxy for recalculation time)."""
    return formula.count("COUNTIFS(") + formula.count("AVERAGEIFS(") + 2 * formula.count("SUMPRODUCT(")
