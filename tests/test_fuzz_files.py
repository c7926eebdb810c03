"""Mutated workbooks through `check` (issue 14): seeded mutations of real .xlsx, .xls and .csv files
at the zip, XML, BIFF-record and byte level. Each file is checked in a forked child (so an abort
is counted, not fatal): the command must exit 0, or 1 with one `Error:` line — no signal, no
traceback, no internal error, no hang, no runaway memory.

CI runs 500 files with a fixed seed; `python bench/fuzz.py --files 10000` runs many more."""
from __future__ import annotations

import collections
import contextlib
import io
import random
import struct
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests import hostile

HUGE = ["-1000000000000", "-INF", "INF", "NaN", "1e308", "-1e308", "99999999999999", "2958466", "-1", "0",
        "1E+400", "0x10", "", " ", "1.7976931348623157e308", "4294967296", "-693594"]
REFS = ["XFD1048576", "A1048576", "XFD1", "XFE1", "A1048577", "ZZZZ1", "A0", "A99999999999", "IV65536", "B2",
        "$A$1", "a1", "&#88;FD1048576", "A-1", "AAA1000000", ""]
NAMESPACES = [("http://schemas.openxmlformats.org/spreadsheetml/2006/main", hostile.STRICT_MAIN),
              ("http://schemas.openxmlformats.org/officeDocument/2006/relationships", hostile.STRICT_REL),
              ("http://schemas.openxmlformats.org/package/2006/relationships", hostile.STRICT_PKG),
              ("http://schemas.openxmlformats.org/officeDocument/2006/relationships", "urn:x"),
              ("http://schemas.openxmlformats.org/package/2006/relationships", "urn:y")]


@dataclass
class Seed:
    name: str
    data: bytes


def seeds(folder: Path) -> list[Seed]:
    """Ordinary ledgers as Excel-like tools write them: XlsxWriter, openpyxl, xlwt (.xls), CSV."""
    import datetime as dt
    import openpyxl
    import xlsxwriter
    head = ["Order No", "Customer", "Part No", "Qty", "Requested Date", "Promised Date", "Ship Date", "Status"]
    rows = [[f"PO-{i}", ["ACME", "深圳市某某电子", "Müller"][i % 3], f"P-{i % 7}", i * 3 % 50 + 1,
             dt.datetime(2026, 1 + i % 12, 1 + i % 27), dt.datetime(2026, 1 + i % 12, 2 + i % 26),
             dt.datetime(2026, 1 + i % 12, 3 + i % 25) if i % 2 else None, ["open", "shipped", "已出货"][i % 3]]
            for i in range(1, 31)]
    out = []
    p = folder / "seed-xw.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("Orders")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, head)
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    out.append(Seed("xlsxwriter.xlsx", p.read_bytes()))
    p = folder / "seed-op.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(head)
    for row in rows:
        ws.append(row)
    wb.save(p)
    out.append(Seed("openpyxl.xlsx", p.read_bytes()))
    out.append(Seed("xlwt.xls", hostile.save_xls(folder / "seed.xls", hostile.xls_biff(30)).read_bytes()))
    text = ",".join(head) + "\n" + "".join(
        ",".join("" if v is None else v.date().isoformat() if isinstance(v, dt.datetime) else str(v) for v in row) + "\n"
        for row in rows)
    out.append(Seed("utf8.csv", text.encode("utf-8")))
    out.append(Seed("gb18030.csv", text.replace("Müller", "客户乙").encode("gb18030")))
    return out


# --------------------------------------------------------------------------- mutations

def _mutate_bytes(data: bytes, rng: random.Random, times: int = 3) -> bytes:
    b = bytearray(data)
    for _ in range(times):
        if not b:
            break
        at = rng.randrange(len(b))
        op = rng.random()
        if op < 0.4:
            b[at] = rng.randrange(256)
        elif op < 0.6:
            del b[at:at + rng.randint(1, 64)]
        elif op < 0.8:
            b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            chunk = b[at:at + rng.randint(1, 256)]
            b[rng.randrange(len(b)):0] = chunk * rng.randint(1, 4)
    return bytes(b)


def _mutate_xml(text: str, rng: random.Random) -> str | bytes:
    import re
    op = rng.randrange(12)
    if op == 0:      # a number to an extreme
        nums = list(re.finditer(r"<v>([^<]*)</v>", text))
        if nums:
            m = rng.choice(nums)
            return text[:m.start(1)] + rng.choice(HUGE) + text[m.end(1):]
    if op == 1:      # a cell reference anywhere
        refs = list(re.finditer(r' r="([A-Z]+[0-9]+)"', text))
        if refs:
            m = rng.choice(refs)
            return text[:m.start(1)] + rng.choice(REFS) + text[m.end(1):]
    if op == 2:      # cells lose their r
        return re.sub(r'(<c) r="[A-Z]+[0-9]+"', lambda m: m.group(1) if rng.random() < 0.3 else m.group(0), text)
    if op == 3:      # a row number
        rows = list(re.finditer(r'<row r="([0-9]+)"', text))
        if rows:
            m = rng.choice(rows)
            return text[:m.start(1)] + rng.choice(["1048576", "1048577", "0", "65536", "99999999", "-5", ""]) + text[m.end(1):]
    if op == 4:      # namespaces
        old, new = rng.choice(NAMESPACES)
        return text.replace(old, new)
    if op == 5:      # letter case of names and targets
        return re.sub(r'Target="([^"]+)"', lambda m: f'Target="{m.group(1).upper() if rng.random() < 0.5 else m.group(1).title()}"', text)
    if op == 6:      # another encoding
        enc = rng.choice(["utf-16", "utf-16-be", "utf-32", "gb18030", "latin-1"])
        return text.replace('encoding="UTF-8"', f'encoding="{enc.upper()}"').encode(enc, "replace")
    if op == 7:      # a DTD
        return text.replace("?>", '?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', 1)
    if op == 8:      # cut the part short
        return text[:rng.randrange(max(len(text), 1))]
    if op == 9:      # a cell type that does not fit the value
        return re.sub(r'<c r="([A-Z]+[0-9]+)"', lambda m: m.group(0) + (f' t="{rng.choice(["s", "b", "e", "d", "str", "inlineStr", "n"])}"'
                                                                          if rng.random() < 0.2 else ""), text)
    if op == 10:     # a shared-string index past the table, or a date style on anything
        return re.sub(r"<v>([0-9]+)</v>", lambda m: f"<v>{rng.choice([m.group(1), '999999', '-1', '4294967296'])}</v>", text)
    return text.replace('s="1"', 's="99"') if rng.random() < 0.5 else text.replace("<c ", '<c s="1" ', rng.randint(1, 40))


def _mutate_xlsx(data: bytes, rng: random.Random) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(members))
        name, body = members[k]
        op = rng.random()
        if op < 0.7 and name.endswith((".xml", ".rels")):
            body = _mutate_xml(body.decode("utf-8", "replace"), rng)
            members[k] = (name, body.encode("utf-8") if isinstance(body, str) else body)
        elif op < 0.8:
            members[k] = (name, _mutate_bytes(body, rng))
        elif op < 0.87:
            members.pop(k)
        elif op < 0.94:
            members[k] = (rng.choice([name.upper(), name.replace("sheet1", "Sheet1"), "xl/worksheets/sheet9.xml"]), body)
        else:
            members.append((name, body))              # the same name twice
        if not members:
            break
    method = rng.choice([zipfile.ZIP_DEFLATED] * 8 + [zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", method) as zf:
        warnings.simplefilter("ignore")           # "Duplicate name": on purpose
        for name, body in members:
            with contextlib.suppress(ValueError):
                zf.writestr(name, body)
    out = buf.getvalue()
    return _mutate_bytes(out, rng, 1) if rng.random() < 0.1 else out


def _mutate_xls(data: bytes, rng: random.Random) -> bytes:
    """A BIFF record of the Workbook stream changed (row, column, length, offset), then the file
    rebuilt; sometimes bytes of the container itself."""
    if rng.random() < 0.25:
        return _mutate_bytes(data, rng)
    biff = bytearray(hostile.xls_biff(30))
    records = []
    pos = 0
    while pos + 4 <= len(biff):
        rtype, length = struct.unpack_from("<HH", biff, pos)
        records.append((pos, rtype, length))
        pos += 4 + length
    for _ in range(rng.randint(1, 3)):
        pos, rtype, length = rng.choice(records)
        if pos + 4 + length > len(biff):          # cut off by an earlier mutation
            continue
        field = rng.choice(["row", "col", "len", "body", "offset", "cut"])
        if field == "row" and length >= 4:
            struct.pack_into("<H", biff, pos + 4, rng.choice([65535, 65534, 0, 1000, rng.randrange(65536)]))
        elif field == "col" and length >= 4:
            struct.pack_into("<H", biff, pos + 6, rng.choice([255, 256, 16383, 65535, rng.randrange(65536)]))
        elif field == "len":
            struct.pack_into("<H", biff, pos + 2, rng.choice([0, 1, 8224, 65535, length + 1, max(length - 1, 0)]))
        elif field == "offset" and rtype == 0x0085:
            struct.pack_into("<I", biff, pos + 4, rng.choice([0, 0xFFFFFFF0, len(biff), len(biff) - 2, rng.randrange(len(biff))]))
        elif field == "cut":
            del biff[rng.randrange(len(biff)):]
        elif length:
            at = pos + 4 + rng.randrange(length)
            biff[at] = rng.randrange(256)
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        try:
            return hostile.save_xls(Path(folder) / "m.xls", bytes(biff)).read_bytes()
        except Exception:   # noqa: BLE001 - xlwt refuses some streams: mutate the bytes instead
            return _mutate_bytes(data, rng)


def _mutate_csv(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(b) + 1)
        piece = rng.choice([b'"', b'""', b'","', b"\n", b"\r", b"\x00", b";", b"\t", b"\xff\xfe", b"\xef\xbb\xbf",
                            "Müller".encode("latin-1"), "客户".encode("gb18030"), "客户".encode("big5", "replace"),
                            b"\x80\x81", b"," * rng.randint(1, 20000), b"=1+1", b"\xe2\x80", bytes([rng.randrange(256)])])
        b[at:at] = piece
    return bytes(b)


def mutate(seed: Seed, rng: random.Random) -> tuple[str, bytes]:
    """(file name, bytes): one mutant of ``seed``; now and then it keeps another kind's name."""
    kind = seed.name.rsplit(".", 1)[1]
    data = {"xlsx": _mutate_xlsx, "xls": _mutate_xls, "csv": _mutate_csv}[kind](seed.data, rng)
    if rng.random() < 0.05:
        kind = rng.choice(["xlsx", "xls", "csv"])
    return f"fuzz.{kind}", data


# --------------------------------------------------------------------------- the check

def _check_in_child(path: str) -> tuple[int, str, str]:
    from tests.test_fuzz import run_command
    return run_command(["check", path, "--format", "json"])


def _load_in_child(path: str) -> tuple[int, str, str]:
    """The file layer only (guard, parser, every sheet's grid), as `check` would end: 0, or 1 with
    the Error line; anything else escaping is what the command would call an internal error."""
    import traceback
    from addin.errors import OrderDeskError
    from addin.readers.grid import load_grid, sheet_names
    try:
        for name in sheet_names(Path(path)):
            load_grid(Path(path), name)
    except OrderDeskError as exc:
        return 1, "", f"Error: {exc}\n"
    except Exception:   # noqa: BLE001 - reported as the command would: internal error + details
        return 1, "", "Error: internal error\n" + traceback.format_exc()
    return 0, "", ""


def classify(path: Path, timeout: float = 60, memory_mb: int = 1500, command: bool = True) -> tuple[str, str]:
    """('ok' | 'error' | 'signal' | 'hang' | 'memory' | 'traceback' | 'internal' | 'exit', detail).
    ``command``: the whole `check` command; else the file layer only (guard, parse, grid)."""
    from addin.errors import FileError
    from addin.files.isolate import run_isolated
    child = _check_in_child if command else _load_in_child
    try:
        code, out, err = run_isolated(child, str(path), memory_mb=memory_mb, timeout=timeout, file=path)
    except FileError as exc:
        text = str(exc)
        kind = "hang" if "took longer" in text else "memory" if "memory" in text and "crashed" not in text else "signal"
        return kind, f"{text}\n{getattr(exc, 'detail', '')[-1500:]}"
    if "internal error" in err:
        return "internal", err[-3000:]
    if "Traceback" in out + err:
        return "traceback", err[-3000:]
    if code == 0 and not err:
        return "ok", ""
    if code == 1 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1:
        return "error", err.strip()
    return "exit", f"exit {code}: {err[-2000:]}"


BAD = ("signal", "hang", "memory", "traceback", "internal", "exit")


def run_fuzz(n: int, seed: int, folder: Path, progress=None, command_every: int = 1,
             ) -> tuple[collections.Counter, list[tuple[str, str, str]]]:
    """Check ``n`` mutants (seeded); returns the outcome counts and the failures (file, kind, detail).
    Every ``command_every``-th goes through the whole `check` command, the others through the
    file layer (guard, parser, grid) only. Failing files are kept in ``folder``."""
    import addin.cli  # noqa: F401 - imported once here, not in every child
    import addin.commands.check  # noqa: F401
    import addin.readers  # noqa: F401
    rng = random.Random(seed)
    bases = seeds(folder)
    counts: collections.Counter = collections.Counter()
    failures = []
    for i in range(n):
        base = bases[i % len(bases)]
        name, data = mutate(base, rng)
        path = folder / f"{i:05d}-{name}"
        path.write_bytes(data)
        kind, detail = classify(path, command=i % command_every == 0)
        counts[kind] += 1
        counts[f"{base.name} {kind}"] += 1
        if kind in BAD:
            failures.append((path.name, kind, detail))
        else:
            path.unlink()
        if progress is not None:
            progress(i + 1, counts)
    return counts, failures


def test_mutated_workbooks_never_crash_the_commands(tmp_path):
    import time
    started = time.monotonic()
    counts, failures = run_fuzz(500, seed=20261202, folder=tmp_path, command_every=10)
    assert sum(counts[k] for k in ("ok", "error", *BAD)) == 500
    assert not failures, "\n\n".join(f"{f} [{k}]\n{d}" for f, k, d in failures[:5])
    assert counts["error"] > 100 and counts["ok"] > 20      # the mutants reach both the guard and the reader
    assert time.monotonic() - started < 900
