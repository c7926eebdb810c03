"""Process isolation: a native parser run in a child, so that its crash is a FileError."""
from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable


from addin.errors import FileError
from addin.files.limits import CHUNK, MB


# ---------------------------------------------------------------------------------------------
# run_isolated
# ---------------------------------------------------------------------------------------------

def run_isolated(func: Callable[..., Any], *args: Any, memory_mb: int = 3000, timeout: float = 600,
                 file: str | os.PathLike | None = None, **kwargs: Any) -> Any:
    """Run ``func(*args, **kwargs)`` in a forked child limited to ``memory_mb`` MB of new
    address space and ``timeout`` seconds; return its result. A native crash (SIGABRT,
    SIGSEGV), a kill, running out of memory or time becomes ``FileError`` naming ``file``
    (default: the first path argument). Exceptions raised by ``func`` are re-raised as they
    were. On Windows ``func`` runs in-process (no fork there)."""
    if not hasattr(os, "fork"):
        return func(*args, **kwargs)
    label = file if file is not None else next((a for a in args if isinstance(a, (os.PathLike, str))), None)
    prefix = f"{Path(label).name}: could not be read safely" if label is not None else "the file could not be read safely"

    child_stderr = ""

    def unsafe(reason: str) -> FileError:
        err = FileError(f"{prefix} — {reason}; open it in Excel, save a fresh copy and try again",
                        file=str(label) if label is not None else None)
        err.detail = child_stderr  # what the child printed (for logs, not for the user)
        return err

    sys.stdout.flush()
    sys.stderr.flush()
    # the child's stderr (a Rust panic prints a page of backtrace) goes to a file, kept on the error
    import tempfile
    stderr_file = tempfile.TemporaryFile()
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork in threaded processes
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack
        os.close(read_fd)
        code = 0
        try:
            os.dup2(stderr_file.fileno(), 2)
            import faulthandler  # it writes to its own copy of stderr: keep a crash quiet
            faulthandler.disable()
            _limit_memory(memory_mb)
            try:
                payload = pickle.dumps(("ok", func(*args, **kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                payload = pickle.dumps(("memory", None))
            except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
                try:
                    payload = pickle.dumps(("raise", exc), protocol=pickle.HIGHEST_PROTOCOL)
                    pickle.loads(payload)
                except Exception:
                    payload = pickle.dumps(("text", "".join(traceback.format_exception(exc))))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pid = 0
                raise unsafe(f"reading it took longer than {timeout:g} seconds")
            ready, _, _ = select.select([read_fd], [], [], min(left, 1.0))
            if ready:
                data = os.read(read_fd, CHUNK)
                if not data:
                    break
                chunks.append(data)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        os.close(read_fd)
        if pid:  # interrupted (Ctrl-C): do not leave the child running
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        stderr_file.seek(0)
        child_stderr = stderr_file.read(4000).decode("utf-8", "replace")
        stderr_file.close()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        raise unsafe(f"the reader crashed ({name}), out of memory (limit {memory_mb:,} MB) or on damaged data")
    if not chunks:
        raise unsafe(f"the reader stopped without a result (exit status {os.WEXITSTATUS(status)})")
    outcome, value = pickle.loads(b"".join(chunks))
    if outcome == "ok":
        return value
    if outcome == "memory":
        raise unsafe(f"reading it needed more than {memory_mb:,} MB of memory")
    if outcome == "raise":
        if not isinstance(value, (Exception, KeyboardInterrupt, SystemExit)):
            # a BaseException of a native library (a Rust panic is pyo3's PanicException)
            child_stderr = f"{type(value).__name__}: {value}\n{child_stderr}"
            raise unsafe("the reader failed on damaged or out-of-range data")
        raise value
    raise RuntimeError(f"the isolated reader failed:\n{value}")


def _limit_memory(memory_mb: int) -> None:
    """Cap the child's address space at what it already maps plus ``memory_mb``: a forked
    child starts with the parent's mappings (libraries, thread arenas)."""
    import resource
    current = 0
    try:
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # macOS: no /proc; RLIMIT_AS is not enforced there anyway
        pass
    limit = current + memory_mb * MB
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass


