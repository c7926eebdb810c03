"""``--no-cache``: read the input file again instead of taking it from the cache of parsed inputs."""
from __future__ import annotations

import click


def _apply(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    from addin.jobs.inputs import set_caching
    set_caching(not value)     # set on every run: an earlier run in the same process does not carry over
    return value


no_cache_option = click.option(
    "--no-cache", is_flag=True, expose_value=False, callback=_apply,
    help="Read the file again, not from OrderDesk's cache of files already read (the user's cache "
         "folder; an unchanged file with the same options is otherwise not parsed twice).")
