"""The column mapping OrderDesk would use for a file, before any row is read (SPEC section 9,
``orderdesk map``): per field the column chosen, its confidence and the runner-up; the required
fields with no column, each with the closest headers; written as a TOML mapping file with
comments that the user edits and passes back with ``--map``."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from addin import schema
from addin.errors import InputError
from addin.files.text import display_width
from addin.readers import headers, table
from addin.readers.grid import load_grid, sheet_names

_KIND_WORDS = {"sales": "customer order lines", "purchases": "purchase order lines (supplier)",
               "work_orders": "work orders (production)", "shipments": "shipments / receipts"}


@dataclass
class Proposal:
    file: str
    sheet: str
    kind: str
    ledger_kind: str | None
    header_row: int
    choices: dict[str, headers.FieldChoice]
    missing: dict[str, list[str]]             # required field -> closest headers
    other_sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_fitting: dict[str, dict[str, str]] = field(default_factory=dict)   # field -> header -> why not taken

    @property
    def columns(self) -> dict[str, str]:
        return {f: c.chosen.header for f, c in self.choices.items() if c.chosen is not None}

    def as_dict(self) -> dict:
        return {"file": self.file, "sheet": self.sheet, "kind": self.kind,
                **({"ledger_kind": self.ledger_kind} if self.ledger_kind else {}),
                "header_row": self.header_row,
                "fields": [table.choice_dict(c) for c in self.choices.values() if c.chosen is not None],
                "missing": [{"field": f, "closest": near,
                             **({"not_fitting": [{"header": h, "why": why} for h, why in self.not_fitting[f].items()]}
                                if self.not_fitting.get(f) else {})} for f, near in self.missing.items()],
                "other_sheets": list(self.other_sheets), "notes": list(self.notes)}

    def lines(self) -> list[str]:
        """The proposal as a table for the terminal."""
        kind = self.kind + (f" ({self.ledger_kind})" if self.ledger_kind else "")
        out = [f"{self.file}  sheet '{self.sheet}'  kind {kind}  header row {self.header_row}",
               f"  {'field':<24}{'column':<34}{'confidence':<12}runner-up"]
        for f, c in self.choices.items():
            if c.chosen is None:
                continue
            col = f"{table.column_letter(c.chosen.column)} {c.chosen.header}"
            conf = "mapping" if c.chosen.how == "mapping" else f"{c.chosen.score:.2f}"
            runner = "-" if c.runner_up is None else f"{_one_line(c.runner_up.header)} ({c.runner_up.score:.2f})"
            out.append(f"  {f:<24}{_pad(_cut(col, 32), 34)}{conf:<12}{runner}")
        for f, near in self.missing.items():
            why = self.not_fitting.get(f, {})
            shown = ", ".join(repr(_one_line(t)) + (f" ({why[t]})" if t in why else "") for t in near) if near else "none"
            out.append(f"  missing: {f} (required) — closest headers: {shown}")
        if self.other_sheets:
            out.append(f"other sheets: {', '.join(repr(s) for s in self.other_sheets)}")
        out += [f"note: {n}" for n in self.notes]
        return out

    def toml(self) -> str:
        """A mapping file that reads back to the same columns, with a comment per line."""
        what = _KIND_WORDS.get(self.ledger_kind or "", self.kind)
        out = [f"# OrderDesk mapping for {self.file}, sheet '{self.sheet}' (header in row {self.header_row}),",
               f"# read as {what}. Each line names the header of the column that holds a field.",
               "# Correct a header text if the column is wrong, delete a line to let OrderDesk choose,",
               f"# then run: orderdesk check {self.file} --map <this file>",
               f"sheet = {_quote(self.sheet)}",
               f"header_row = {self.header_row}",
               "",
               "[columns]"]
        for f, c in self.choices.items():
            if c.chosen is None:
                continue
            line = f"{f} = {_quote(c.chosen.header)}"
            sure = "from a mapping" if c.chosen.how == "mapping" else f"confidence {c.chosen.score:.2f}"
            note = f"column {table.column_letter(c.chosen.column)}, {sure}"
            if c.runner_up is not None:
                note += f"; runner-up {_one_line(c.runner_up.header)!r} ({c.runner_up.score:.2f})"
            out.append(f"{line:<40} # {note}")
        for f, near in self.missing.items():
            hint = f"closest headers: {', '.join(repr(_one_line(t)) for t in near)}" if near else "no header is close"
            out.append(f"# {f} = \"\"   # REQUIRED, no column found — {hint}")
        return "\n".join(out) + "\n"


_width = display_width     # terminal columns: a wide (CJK, full-width) character takes two


def _cut(text: str, n: int) -> str:
    """``text`` on one line, cut to at most ``n`` terminal columns."""
    text = _one_line(text)
    if _width(text) <= n:
        return text
    while _width(text) > n - 1:
        text = text[:-1]
    return text + "…"


def _pad(text: str, n: int) -> str:
    return text + " " * max(n - _width(text), 1)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _quote(text: str) -> str:
    """A TOML basic string of ``text`` (line breaks inside a header kept as escapes)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\r", "\\r").replace("\t", "\\t") + '"'


def propose(path: Path | str, kind: str | None = None, *, sheet: str | None = None,
            mapping: table.Mapping | Path | str | None = None) -> Proposal:
    """The columns OrderDesk would read from ``path`` (every sheet scored when none is named).
    Never raises for a missing column: that is what the proposal reports."""
    path = Path(path)
    if not isinstance(mapping, table.Mapping):
        mapping = table.Mapping.load(mapping)
    kind, forced = table.ledger_alias(kind)
    if kind is not None and kind not in schema.KINDS:
        raise InputError(f"unknown kind '{kind}' (expected one of: "
                         f"{', '.join([*schema.KINDS, *table.LEDGER_ALIASES])})")
    sheet = sheet or mapping.sheet
    names = sheet_names(path) if sheet in (None, table.ALL_SHEETS) else [sheet]
    best = None
    for i, name in enumerate(names):
        grid = table.unpasted(load_grid(path, name))
        k = kind
        if k is None:
            try:
                k = table.detect_kind(grid, mapping)
            except InputError:
                k = "ledger"      # not sure: propose the order-ledger columns and say what is missing
        match = table.find_header(grid, k, mapping, ledger_kind=forced)
        if match is None:
            continue
        met = table.requirement_met(k, match.columns, mapping, match.ledger_kind)
        fit = table.header_fit(match) + (100 if met else 0)
        if best is None or fit > best[0]:
            best = (fit, grid, k, match)
    if best is None:
        raise InputError(f"{path.name}: no sheet has a header row", file=str(path))
    _, grid, k, match = best
    req = schema.REQUIRED[k]
    missing: dict[str, list[str]] = {}
    not_fitting: dict[str, dict[str, str]] = {}
    aliases = table.alias_lists()[k]
    needed = list(table.required_fields(k, match.ledger_kind))
    if req.any_of and not any(f in match.columns for f in req.any_of):
        needed.append(req.any_of[0])
    for f in needed:
        if f in match.columns or f in mapping.defaults or f in mapping.derived:
            continue
        near = []
        choice = match.proposal.get(f)
        if choice is not None and choice.runner_up is not None:
            near.append(choice.runner_up.header)
        near += [t for t in headers.closest(match.row_texts, aliases.get(f, [f])) if t not in near]
        missing[f] = near[:3]
        # a header that named the field but whose values did not fit (a 交期 of day counts)
        why = {c.header: reason for c, reason in (choice.rejected if choice is not None else [])}
        if why:
            not_fitting[f] = {t: why[t] for t in missing[f] if t in why}
    # what will be read: the chosen columns, and the stand-ins (a work order's planned finish
    # as its due date) under the field they stand for
    choices: dict[str, headers.FieldChoice] = {}
    for f, col in match.columns.items():
        c = match.proposal.get(f)
        if c is None or c.chosen is None or c.chosen.column != col:
            source = next((x for x in match.proposal.values() if x.chosen is not None and x.chosen.column == col), None)
            c = headers.FieldChoice(f, source.chosen if source else headers.Candidate(col, match.texts[f], 1.0))
        choices[f] = c
    ordered = {f: choices[f] for f in schema.KINDS[k] if f in choices}
    return Proposal(path.name, grid.sheet, k, match.ledger_kind if k == "ledger" else None,
                    match.header_index + 1, ordered, missing, [n for n in names if n != grid.sheet]
                    if sheet is None else [n for n in grid.sheet_names if n != grid.sheet], list(match.notes),
                    not_fitting)
