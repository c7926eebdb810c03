"""Canonical fields per input kind: their type and whether they are required (SPEC section 2).

Header aliases live in ``data/aliases.toml``; this module says what each field *is*."""
from __future__ import annotations

from dataclasses import dataclass

# field types
TEXT, NUMBER, DATE, STATUS, BOOL, LIST = "text", "number", "date", "status", "bool", "list"

MILESTONES = ("scheduled", "material", "first_article", "qc", "warehouse")

LEDGER = {
    "order_no": TEXT, "line_no": TEXT, "customer": TEXT, "part_no": TEXT, "revision": TEXT,
    "description": TEXT, "qty": NUMBER, "unit_price": NUMBER, "currency": TEXT,
    "order_date": DATE, "requested_date": DATE, "first_promised_date": DATE,
    "promised_date": DATE, "agreed_date": DATE, "ship_date": DATE, "shipped_qty": NUMBER, "status": STATUS,
    "owner": TEXT, "priority": TEXT, "exception_type": TEXT, "exception_note": TEXT,
    "action": TEXT, "action_deadline": DATE,
    **{f"{kind}_{m}_date": DATE for m in MILESTONES for kind in ("planned", "actual")},
    "tooling_charge": NUMBER, "moq_charge": NUMBER,
    # the counterparty of a purchase line, the production order and line of a work order
    # (SPEC section 9)
    "supplier": TEXT, "work_order_no": TEXT, "line": TEXT, "warehouse": TEXT,
    "open_qty": NUMBER, "amount": NUMBER,
}

KINDS: dict[str, dict[str, str]] = {
    "ledger": LEDGER,
    "quotes": {
        "quote_no": TEXT, "customer": TEXT, "part_no": TEXT, "revision": TEXT, "min_qty": NUMBER,
        "unit_price": NUMBER, "currency": TEXT, "lead_time_days": NUMBER, "moq": NUMBER,
        "moq_charge": NUMBER, "tooling_charge": NUMBER, "valid_from": DATE, "valid_until": DATE,
        "charge_type": TEXT,
    },
    "bom": {
        "parent": TEXT, "component": TEXT, "qty_per": NUMBER, "revision": TEXT, "description": TEXT,
        "designators": TEXT, "alternates": LIST, "dnp": BOOL, "lead_time_days": NUMBER,
        "moq": NUMBER, "scrap_pct": NUMBER, "part_type": TEXT,
    },
    "stock": {
        "part_no": TEXT, "on_hand": NUMBER, "safety_stock": NUMBER, "allocated": NUMBER,
        "purchase_lead_time_days": NUMBER, "inspection_days": NUMBER, "moq": NUMBER,
    },
    "purchases": {"po_no": TEXT, "supplier": TEXT, "part_no": TEXT, "qty": NUMBER, "due_date": DATE},
    "capacity": {"line": TEXT, "hours_per_day": NUMBER, "shifts": NUMBER, "hours_per_shift": NUMBER},
    "routing": {"part_no": TEXT, "line": TEXT, "hours_per_unit": NUMBER},
    "calendar": {"date": DATE, "working": TEXT, "name": TEXT},
    # a delivery or receipt export: one row per delivery against an order line (SPEC section 13)
    "deliveries": {"order_no": TEXT, "line_no": TEXT, "ship_date": DATE, "shipped_qty": NUMBER,
                   "delivery_no": TEXT, "part_no": TEXT, "customer": TEXT, "supplier": TEXT},
}


@dataclass(frozen=True)
class Requirement:
    fields: tuple[str, ...]      # every one of these
    any_of: tuple[str, ...] = ()  # at least one of these, when given


REQUIRED: dict[str, Requirement] = {
    "ledger": Requirement(("order_no", "customer", "part_no", "qty"),
                          ("requested_date", "promised_date", "first_promised_date")),
    "quotes": Requirement(("customer", "part_no", "unit_price")),
    "bom": Requirement(("component",), ("qty_per", "designators")),
    "stock": Requirement(("part_no", "on_hand")),
    "purchases": Requirement(("part_no", "qty", "due_date")),
    "capacity": Requirement(("line",), ("hours_per_day", "hours_per_shift")),
    "routing": Requirement(("part_no", "line", "hours_per_unit")),
    "calendar": Requirement(("date", "working")),
    "deliveries": Requirement(("order_no", "ship_date", "shipped_qty")),
}

# Kinds of order-line ledger (SPEC section 9): all read as ``ledger`` lines; the counterparty
# is the customer, the supplier or the production line.
LEDGER_KINDS = ("sales", "purchases", "work_orders", "shipments")
COUNTERPARTY = {"sales": "customer", "purchases": "supplier", "work_orders": "line", "shipments": "customer"}

# Numbers that must not be negative, per kind (a negative order quantity is a typo, not a return).
NON_NEGATIVE = {
    "ledger": {"qty", "shipped_qty", "open_qty", "unit_price", "tooling_charge", "moq_charge"},
    "quotes": {"min_qty", "unit_price", "lead_time_days", "moq", "moq_charge", "tooling_charge"},
    "bom": {"qty_per", "lead_time_days", "moq", "scrap_pct"},
    "stock": {"on_hand", "safety_stock", "allocated", "purchase_lead_time_days", "inspection_days", "moq"},
    "purchases": {"qty"},
    "capacity": {"hours_per_day", "shifts", "hours_per_shift"},
    "routing": {"hours_per_unit"},
    "calendar": set(),
    "deliveries": {"shipped_qty"},
}
POSITIVE = {"ledger": {"qty"}, "purchases": {"qty"}}

# Fields whose unreadable value does not reject the row: free text stays as found.
STATUS_WORDS = ("open", "in_progress", "shipped", "closed", "cancelled")
