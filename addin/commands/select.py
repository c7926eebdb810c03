"""``--customer``, ``--part``, ``--owner``, ``--supplier`` (each repeatable): the lines a command
measures (SPEC section 13), defined once for ``otd``, ``report``, ``risk`` and ``backlog``."""
from __future__ import annotations

from dataclasses import replace

import click

from addin.commands.common import apply

filter_options = apply(
    click.option("--customer", "customers", multiple=True, metavar="NAME",
                 help="Only this customer's lines (repeat for several; case aside)."),
    click.option("--part", "parts", multiple=True, metavar="PART", help="Only the lines of this part number (repeatable)."),
    click.option("--owner", "owners", multiple=True, metavar="NAME", help="Only this owner's lines (repeatable)."),
    click.option("--supplier", "suppliers", multiple=True, metavar="NAME",
                 help="Only this supplier's lines (a purchase ledger; repeatable)."),
)


def with_filters(settings, customers=(), parts=(), owners=(), suppliers=()):
    """The settings with the filters given on the command line; a filter not given keeps the
    configuration's ([filter] in orderdesk.toml)."""
    from addin.compute.filters import LineFilter
    base = settings.filters
    given = LineFilter(customer=customers or base.customer, part=parts or base.part,
                       owner=owners or base.owner, supplier=suppliers or base.supplier)
    return replace(settings, filters=given)
