"""The parsed-input cache: what ``read`` returned for a file (the canonical frame and the row
accounting: rows, issues, notes, kind, sheet, header row, column letters, placeholders, the
column proposal) kept in the user's cache folder, so that every later run on the unchanged file
skips the parse.

An entry is found by the file's path, the read's options (kind, sheet, mapping) and the code that
reads (OrderDesk's version, a fingerprint of the installed package's files, pandas and pyarrow);
it answers only when the file has the size, modification time and content hash (BLAKE2b over
every byte) recorded in it. Each entry is one file::

    MAGIC | header length (8 bytes, little-endian) | header (JSON) | frame (Arrow IPC) | issues (Arrow IPC)

The header holds the key, the file's identity, the result's plain fields and a CRC-32 of
everything after it: an entry with another magic, another key, a short or altered body is ignored
and replaced, never trusted; nothing in it is unpickled or evaluated. Entries are written to a
temporary file and renamed into place (concurrent runs on one file leave one whole entry), the
folder is bounded in size (least recently used dropped first), and a folder that cannot be written
means no cache, silently. The cache never writes beside the user's file.

Folder: ``ORDERDESK_CACHE_DIR`` when set; else ``%LOCALAPPDATA%\\OrderDesk\\Cache`` (Windows),
``~/Library/Caches/OrderDesk`` (macOS), ``$XDG_CACHE_HOME/orderdesk`` or ``~/.cache/orderdesk``."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import json
import os
import struct
import sys
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Any, Callable, Collection

import numpy as np
import pandas as pd

from addin.version import __version__

MAGIC = b"ORDERDESK-CACHE\x01"     # 16 bytes; the last one is the entry format
SUFFIX = ".odcache"
DEFAULT_MAX_BYTES = 1 << 30          # 1 GiB; ORDERDESK_CACHE_MAX_MB overrides
FORK_ROWS = 50_000                   # larger results are written by a forked child, in parallel


# --- where ------------------------------------------------------------------------------------

def cache_dir() -> Path:
    """The user's cache folder for OrderDesk (platform conventions, ``ORDERDESK_CACHE_DIR`` first)."""
    env = os.environ.get("ORDERDESK_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "OrderDesk" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "OrderDesk"
    base = os.environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "orderdesk"


def max_bytes() -> int:
    text = os.environ.get("ORDERDESK_CACHE_MAX_MB", "")
    try:
        return max(0, int(float(text) * (1 << 20))) if text else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


# the package's files a read depends on (readers, file safety, vocabularies, and what they import)
READ_CODE = ("readers", "files", "data", "compute/calendar.py", "schema.py", "zh.py", "errors.py", "defaults.py",
             "tomlcompat.py", "version.py",
             # a purchase ledger read as open purchase lines (readers/purchases.py): open quantity, due date
             "compute/backlog.py", "compute/otd.py", "compute/columns.py")


@functools.cache
def code_fingerprint() -> str:
    """OrderDesk's version and the size and time of every package file a read depends on
    (``READ_CODE``: a reader fixed without a version bump, a vocabulary edited in addin/data),
    with pandas' and pyarrow's versions: what decides the result besides the file."""
    import pyarrow
    root = Path(__file__).resolve().parent.parent
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{__version__}|{pd.__version__}|{pyarrow.__version__}|{sys.version_info[:2]}".encode())
    for part in READ_CODE:
        top = root / part
        walk = [(str(top.parent), [], [top.name])] if top.is_file() else sorted(os.walk(top))
        for dirpath, dirnames, filenames in walk:
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".toml")):
                    full = os.path.join(dirpath, name)
                    st = os.stat(full)
                    h.update(f"{os.path.relpath(full, root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """BLAKE2b of every byte of the file (about 0.1 s per 100 MB; hashlib releases the GIL)."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def _identity(st: os.stat_result) -> dict:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def options_key(path: Path, kind: str | None, sheet: str | None, mapping: Any) -> dict:
    """What, besides the file's bytes, decides the result: the path as given and resolved (the
    result names it), the kind, the sheet, the mapping (every field), the code."""
    return {"path": str(path), "resolved": str(Path(os.path.abspath(path))), "kind": kind, "sheet": sheet,
            "mapping": _plain(mapping), "code": code_fingerprint(), "version": __version__}


def _plain(value: Any) -> Any:
    """A mapping (dataclasses, dicts, tuples, paths) as JSON-able data, order kept."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"@": type(value).__name__, **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return [[_plain(k), _plain(v)] for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return f"{type(value).__name__}:{value}"


def entry_path(folder: Path, key: dict) -> Path:
    name = hashlib.blake2b(json.dumps(key, sort_keys=True, ensure_ascii=False).encode(), digest_size=20).hexdigest()
    return folder / f"{name}{SUFFIX}"


# --- the result as data -------------------------------------------------------------------------

class NotCacheable(Exception):
    """The result holds something the entry format does not carry exactly: it is not cached."""


_VALUE_TAGS = ("none", "str", "float", "int", "bool", "timestamp", "date", "datetime")


def _issue_value(v: Any) -> tuple[int, str | None, float | None, int | None]:
    if v is None:
        return 0, None, None, None
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return 4, None, None, int(bool(v))
    if isinstance(v, str):
        return 1, v, None, None
    if isinstance(v, (float, np.floating)):
        return 2, None, float(v), None
    if isinstance(v, (int, np.integer)):
        return 3, str(int(v)), None, None        # as text: no overflow
    if isinstance(v, pd.Timestamp):
        if v is pd.NaT or v.tzinfo is not None:
            raise NotCacheable("issue value")
        return 5, None, None, int(v.value)
    if isinstance(v, _dt.datetime):
        if v.tzinfo is not None:
            raise NotCacheable("issue value")
        return 7, v.isoformat(), None, None
    if isinstance(v, _dt.date):
        return 6, v.isoformat(), None, None
    raise NotCacheable(f"issue value of type {type(v).__name__}")


def _issue_value_back(tag: int, text: str | None, number: float | None, integer: int | None) -> Any:
    if tag == 0:
        return None
    if tag == 1:
        return text
    if tag == 2:
        return number
    if tag == 3:
        return int(text)
    if tag == 4:
        return bool(integer)
    if tag == 5:
        return pd.Timestamp(integer)
    if tag == 6:
        return _dt.date.fromisoformat(text)
    if tag == 7:
        return _dt.datetime.fromisoformat(text)
    raise ValueError("unknown issue value tag")


def _issues_table(issues: list):
    import pyarrow as pa
    cols: dict[str, list] = {n: [] for n in ("cell", "field", "message", "severity", "tag", "text", "number", "integer")}
    for i in issues:
        tag, text, number, integer = _issue_value(i.value)
        cols["cell"].append(i.cell)
        cols["field"].append(i.field)
        cols["message"].append(i.message)
        cols["severity"].append(i.severity)
        cols["tag"].append(tag)
        cols["text"].append(text)
        cols["number"].append(number)
        cols["integer"].append(integer)
    types = {"cell": pa.string(), "field": pa.string(), "message": pa.string(), "severity": pa.string(),
             "tag": pa.int8(), "text": pa.string(), "number": pa.float64(), "integer": pa.int64()}
    try:
        arrays = [pa.array(cols[n], type=t, from_pandas=False) for n, t in types.items()]
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise NotCacheable(str(exc)) from None
    for name in ("message", "severity", "field"):
        i = list(types).index(name)
        arrays[i] = arrays[i].dictionary_encode()
    return pa.Table.from_arrays(arrays, names=list(types))


def _issues_back(table) -> list:
    from addin.readers.table import Issue
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    return [Issue(c, f, _issue_value_back(t, x, n, g), m, s) for c, f, m, s, t, x, n, g in
            zip(cols["cell"], cols["field"], cols["message"], cols["severity"], cols["tag"], cols["text"],
                cols["number"], cols["integer"])]


_PLAIN_DTYPES = ("float64", "int64", "bool", "int32", "float32")


def _frame_table(data: pd.DataFrame):
    """The frame as an Arrow table and each column's dtype: text columns dictionary-encoded,
    columns without a value stored as nulls (no bytes), the rest as they are."""
    import pyarrow as pa
    if not isinstance(data.index, pd.RangeIndex) or data.index.start != 0 or data.index.step != 1:
        raise NotCacheable("index")
    if data.attrs or not all(isinstance(c, str) for c in data.columns) or data.columns.has_duplicates:
        raise NotCacheable("columns")
    arrays, dtypes = [], []
    n = len(data)
    for name in data.columns:
        col = data[name]
        dtype = str(col.dtype)
        values = col.to_numpy()
        if dtype == "object":
            try:
                arr = pa.array(values, type=pa.string(), from_pandas=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                raise NotCacheable(f"column {name}") from None
            arr = pa.nulls(n) if arr.null_count == n else arr.dictionary_encode()
        elif dtype.startswith("datetime64[") and dtype.endswith("]") and "," not in dtype:
            arr = pa.array(values, from_pandas=True)          # NaT -> null
            if arr.null_count == n:
                arr = pa.nulls(n)
        elif dtype in _PLAIN_DTYPES:
            if dtype.startswith("float") and n and np.isnan(values).all():
                arr = pa.nulls(n)
            else:
                arr = pa.array(values, from_pandas=False)      # NaN stays NaN
        else:
            raise NotCacheable(f"column {name} of dtype {dtype}")
        arrays.append(arr)
        dtypes.append(dtype)
    return pa.Table.from_arrays(arrays, names=list(data.columns)), dtypes


def _null_column(n: int, dtype: str) -> np.ndarray:
    if dtype == "object":
        return np.full(n, None, dtype=object)
    if dtype.startswith("datetime64"):
        return np.full(n, np.datetime64("NaT"), dtype=dtype)
    if dtype.startswith("float"):
        return np.full(n, np.nan, dtype=dtype)
    raise ValueError("null column of a type that has no null")


def _frame_back(table, dtypes: list[str]) -> pd.DataFrame:
    import pyarrow as pa

    from addin.readers.values import Filled
    n = table.num_rows
    out: dict[str, Any] = {}
    empty = Filled(n)      # the columns the file does not fill (19 of 43 on the bench ledger) share memory
    for name, dtype, chunked in zip(table.column_names, dtypes, table.columns):
        arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
        if pa.types.is_null(arr.type):
            out[name] = empty.column(dtype, functools.partial(_null_column, dtype=dtype))
            continue
        if dtype == "object":
            words = np.empty(len(arr.dictionary) + 1, dtype=object)
            words[:-1] = arr.dictionary.to_numpy(zero_copy_only=False)
            words[-1] = None
            codes = arr.indices.fill_null(len(arr.dictionary)).to_numpy()
            values = words[codes]
        elif dtype.startswith("datetime64"):
            values = arr.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
        else:
            values = arr.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
        if len(values) != n or str(values.dtype) != dtype:
            raise ValueError(f"column {name} came back as {values.dtype}")
        out[name] = pd.Series(values, dtype=values.dtype, copy=False)   # object stays object (no str inference)
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)


def _candidate(c) -> Any:
    return None if c is None else [c.column, c.header, c.score, c.how]


def _candidate_back(c) -> Any:
    from addin.readers.headers import Candidate
    return None if c is None else Candidate(int(c[0]), str(c[1]), float(c[2]), str(c[3]))


def _proposal(proposal: dict) -> list:
    from addin.readers.headers import Candidate, FieldChoice
    out = []
    for key, choice in proposal.items():
        if type(choice) is not FieldChoice or any(type(c) is not Candidate for c in (choice.chosen, choice.runner_up)
                                                  if c is not None):
            raise NotCacheable("proposal")
        out.append([key, choice.field, _candidate(choice.chosen), _candidate(choice.runner_up),
                    [[_candidate(c), why] for c, why in choice.rejected]])
    return out


def _proposal_back(items: list) -> dict:
    from addin.readers.headers import FieldChoice
    return {key: FieldChoice(fld, _candidate_back(chosen), _candidate_back(runner),
                             [(_candidate_back(c), why) for c, why in rejected])
            for key, fld, chosen, runner, rejected in items}


_SIMPLE_FIELDS = ("kind", "sheet", "header_row", "columns", "notes", "placeholders", "ledger_kind",
                  "other_sheets", "column_letters")


def _result_meta(result, path: Path) -> dict:
    from addin.readers.table import ReadResult, RowCount
    if type(result) is not ReadResult or type(result.rows) is not RowCount:
        raise NotCacheable("result type")
    known = {f.name for f in dataclasses.fields(ReadResult)}
    if set(vars(result)) - known:            # something set on it the entry would not carry
        raise NotCacheable("extra attributes")
    meta = {name: getattr(result, name) for name in _SIMPLE_FIELDS}
    meta["rows"] = result.rows.as_dict()
    meta["proposal"] = _proposal(result.proposal)
    meta["file_is_path"] = result.file == str(path)
    meta["file"] = None if meta["file_is_path"] else result.file
    meta["path_is_path"] = result.path == path
    if not meta["path_is_path"] and result.path is not None:
        raise NotCacheable("result path")
    try:
        json.dumps(meta, ensure_ascii=False)
    except (TypeError, ValueError):
        raise NotCacheable("metadata") from None
    return meta


def _result_back(meta: dict, data: pd.DataFrame, issues: list, path: Path):
    from addin.readers.table import ReadResult, RowCount
    out = ReadResult(kind=meta["kind"], file=str(path) if meta["file_is_path"] else meta["file"], sheet=meta["sheet"],
                     header_row=meta["header_row"], columns=dict(meta["columns"]), data=data, issues=issues,
                     rows=RowCount(**meta["rows"]), notes=list(meta["notes"]),
                     path=path if meta["path_is_path"] else None)
    out.placeholders = dict(meta["placeholders"])
    out.ledger_kind = meta["ledger_kind"]
    out.other_sheets = list(meta["other_sheets"])
    out.proposal = _proposal_back(meta["proposal"])
    out.column_letters = dict(meta["column_letters"])
    return out


# --- entries ----------------------------------------------------------------------------------

def _ipc_bytes(table) -> bytes:
    import pyarrow as pa
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


class _Checksum:
    """A write-only sink that keeps nothing: the length and CRC-32 of what went through."""
    closed = False

    def __init__(self) -> None:
        self.length, self.crc = 0, 0

    def write(self, data) -> int:
        view = memoryview(data)
        self.length += view.nbytes
        self.crc = zlib.crc32(view, self.crc)
        return view.nbytes

    def tell(self) -> int:
        return self.length

    def flush(self) -> None:
        pass


class _Streamed:
    """An Arrow table's IPC stream, made twice: once to learn its length and checksum (nothing
    kept), then into the entry's file. The frame's stream is never whole in memory beside the
    table (a million lines: 76 MB less at the cache writer's peak)."""

    def __init__(self, table) -> None:
        self.table = table
        sink = _Checksum()
        self.write_to(sink)
        self.length, self.crc = sink.length, sink.crc

    def write_to(self, fh) -> None:
        import pyarrow as pa
        with pa.ipc.new_stream(pa.PythonFile(fh, mode="w"), self.table.schema) as writer:
            writer.write_table(self.table)

    def __len__(self) -> int:
        return self.length


def encode(result, path: Path, key: dict, source: dict) -> list:
    """The entry for ``result`` read from ``path`` as a list of buffers (bytes, or the frame as a
    ``_Streamed`` table that :func:`store` writes out)."""
    meta = _result_meta(result, path)
    frame, dtypes = _frame_table(result.data)
    streamed = _Streamed(frame)
    del frame
    issues_bytes = _ipc_bytes(_issues_table(result.issues))
    crc = zlib.crc32(issues_bytes, streamed.crc)
    header = {"key": key, "source": source, "meta": meta, "dtypes": dtypes, "frame_len": len(streamed),
              "issues_len": len(issues_bytes), "crc32": crc}
    head = json.dumps(header, ensure_ascii=False).encode()      # dict order kept: columns are shown in it
    return [MAGIC, struct.pack("<Q", len(head)), head, streamed, issues_bytes]


def decode(raw, path: Path, key: dict, source: dict):
    """The result an entry holds, or None when it is not whole, not this key's, not this file's
    (``source``: size, mtime_ns and blake2b, the digest or a callable that returns it)."""
    import pyarrow as pa
    view = memoryview(raw)
    if len(view) < 24 or bytes(view[:16]) != MAGIC:
        return None
    (head_len,) = struct.unpack("<Q", view[16:24])
    if head_len > len(view) - 24:
        return None
    try:
        header = json.loads(bytes(view[24:24 + head_len]).decode())
    except (UnicodeDecodeError, ValueError):
        return None
    identity = {k: v for k, v in source.items() if k != "blake2b"}
    recorded = header.get("source") if isinstance(header, dict) else None
    if not isinstance(recorded, dict) or header.get("key") != key or \
            {k: v for k, v in recorded.items() if k != "blake2b"} != identity:
        return None
    start = 24 + head_len
    frame_len, issues_len = header.get("frame_len"), header.get("issues_len")
    if not isinstance(frame_len, int) or not isinstance(issues_len, int) or start + frame_len + issues_len != len(view):
        return None
    frame_view, issues_view = view[start:start + frame_len], view[start + frame_len:]
    if zlib.crc32(issues_view, zlib.crc32(frame_view)) != header.get("crc32"):
        return None
    try:
        frame = pa.ipc.open_stream(pa.py_buffer(frame_view)).read_all()
        issues = pa.ipc.open_stream(pa.py_buffer(issues_view)).read_all()
        data = _frame_back(frame, header["dtypes"])
        result = _result_back(header["meta"], data, _issues_back(issues), path)
    except Exception:  # noqa: BLE001 - a whole entry that still does not decode is ignored
        return None
    digest = source.get("blake2b")
    digest = digest() if callable(digest) else digest        # computed meanwhile, in a thread
    return result if recorded.get("blake2b") == digest else None


def _entry_bytes(entry: Path):
    """The entry's bytes: on POSIX mapped from the page cache (no copy of a file of hundreds of MB;
    the numeric columns are views of it, and an entry replaced or dropped meanwhile stays whole
    for this process), elsewhere read (a mapped file could not be replaced or dropped there)."""
    with open(entry, "rb") as fh:
        if os.name == "posix":
            import mmap
            try:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):        # an empty file cannot be mapped
                return fh.read()
            if hasattr(mapped, "madvise"):
                mapped.madvise(mmap.MADV_WILLNEED)
            return mapped
        return fh.read()


def load(entry: Path, path: Path, key: dict, source: dict):
    """The cached result, or None (absent, damaged, foreign, stale)."""
    try:
        raw = _entry_bytes(entry)
    except OSError:
        return None
    result = decode(raw, path, key, source)
    if result is not None:
        try:
            os.utime(entry)       # recently used: dropped last
        except OSError:
            pass
    return result


def store(entry: Path, buffers: list, limit: int) -> bool:
    """Write the entry atomically (temporary file, then rename) and drop the least recently
    used entries past ``limit`` bytes. False when the folder cannot be written."""
    size = sum(len(b) for b in buffers)
    if size > limit:
        return False
    folder = entry.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=folder)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            for b in buffers:
                if isinstance(b, _Streamed):
                    b.write_to(fh)
                else:
                    fh.write(b)
        os.replace(tmp, entry)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    trim(folder, limit, keep=entry)
    return True


def trim(folder: Path, limit: int, keep: Path | None = None) -> None:
    """Drop the least recently used entries until the folder's entries fit in ``limit`` bytes
    (and temporary files a killed run left behind over an hour ago)."""
    import time
    entries = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                if not e.name.endswith(SUFFIX) or not e.is_file(follow_symlinks=False):
                    continue
                st = e.stat(follow_symlinks=False)
                if e.name.startswith(".tmp-"):
                    if st.st_mtime < time.time() - 3600:
                        _unlink(Path(e.path))
                    continue
                entries.append((st.st_mtime_ns, st.st_size, Path(e.path)))
    except OSError:
        return
    total = sum(s for _, s, _ in entries)
    for _, s, p in sorted(entries):
        if total <= limit:
            break
        if keep is not None and p == keep:
            continue
        if _unlink(p):
            total -= s


def _unlink(p: Path) -> bool:
    try:
        p.unlink()
        return True
    except OSError:
        return False


# --- the cached read -----------------------------------------------------------------------------

_pending: dict[Path, Any] = {}      # entry -> a writer still running (thread or child pid)
_lock = threading.Lock()


def wait() -> None:
    """Wait for the entries this process is still writing (before exit, or a test's next read)."""
    with _lock:
        items = list(_pending.items())
        _pending.clear()
    for _, job in items:
        _join(job)


def _join(job) -> None:
    job.join()


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def cached_read(path: Path, kind: str | None, sheet: str | None, mapping: Any,
                read: Callable[[], Any], *, enabled: bool = True, fields: Collection[str] | None = None):
    """``read()``'s result for ``path``, from the cache when an entry for this file, these
    options and this code exists and is whole; else read, returned, and stored (in a forked
    child where there is fork, so the caller's work goes on while it is written).

    ``fields``: ``read()`` frames only these fields (``addin.readers.read``). A whole entry of the
    file answers too; a read of some fields is stored under its own key, never taken for whole."""
    if not enabled:
        return read()
    path = Path(path)
    try:
        before = os.stat(path)
    except OSError:
        return read()          # the reader says what is wrong with the path
    folder = cache_dir()
    key = options_key(path, kind, sheet, mapping)
    keys = [key] if fields is None else [key, {**key, "fields": sorted(set(fields))}]
    hashing = _Digest(path)        # in a thread: hashlib and file reads release the GIL
    for key in keys:               # the whole entry first: it answers any fields
        entry = entry_path(folder, key)
        with _lock:
            job = _pending.pop(entry, None)
        if job is not None:
            _join(job)
        hit = load(entry, path, key, {**_identity(before), "blake2b": hashing.result}) if entry.exists() else None
        if hit is not None:
            return hit
    result = read()                # stored under the last key: this read's own
    digest = hashing.result()
    try:
        after = os.stat(path)
    except OSError:
        return result
    if digest is None or _identity(after) != _identity(before):
        return result           # changed while it was read: keep nothing
    _store_later(entry, result, path, key, {**_identity(before), "blake2b": digest})
    return result


class _Digest:
    """``file_digest(path)`` computed in a thread; ``result()`` waits for it (None: unreadable)."""

    def __init__(self, path: Path) -> None:
        self.value: str | None = None
        self.thread = threading.Thread(target=self._run, args=(path,), name="orderdesk-cache-digest", daemon=True)
        self.thread.start()

    def _run(self, path: Path) -> None:
        try:
            self.value = file_digest(path)
        except OSError:
            self.value = None

    def result(self) -> str | None:
        self.thread.join()
        return self.value


def _store_later(entry: Path, result, path: Path, key: dict, source: dict) -> None:
    limit = max_bytes()
    if limit <= 0:
        return

    def write() -> None:
        try:
            buffers = encode(result, path, key, source)
        except NotCacheable:
            return
        store(entry, buffers, limit)

    big = len(getattr(result, "data", ())) >= FORK_ROWS
    if big and hasattr(os, "fork") and os.environ.get("ORDERDESK_CACHE_INLINE") != "1":
        import warnings
        sys.stdout.flush()
        sys.stderr.flush()
        with warnings.catch_warnings():   # Python 3.12+ warns about fork in threaded processes
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:      # child: write the entry and leave, never returning into the caller
            code = 0
            try:
                # the parent's freed memory, kept for its reuse, is the child's too: given back
                # first, the child holds the result and its encoding, not the parent's peak
                from addin.files.allocator import give_back_freed_memory
                give_back_freed_memory()
                write()
            except BaseException:  # noqa: BLE001 - a cache that cannot be written is no cache
                code = 1
            finally:
                os._exit(code)
        reaper = threading.Thread(target=_reap, args=(pid,), name="orderdesk-cache-writer", daemon=True)
        reaper.start()
        with _lock:
            _pending[entry] = reaper
        _at_exit()
        return
    try:
        write()
    except Exception:  # noqa: BLE001
        pass


@functools.cache
def _at_exit() -> None:
    import atexit
    atexit.register(wait)
