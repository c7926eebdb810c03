"""addin/files/allocator.py: the command line and the forked parser keep freed memory for reuse
(glibc's mallopt); the Excel add-in's long-lived Python is left as it is."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

linux_glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@linux_glibc
def test_settings_taken_once():
    out = _run("""
        from addin.files import allocator
        print(allocator.keep_freed_memory(), allocator.keep_freed_memory())
    """)
    assert out == "True True"


@linux_glibc
def test_freed_arrays_reuse_memory_instead_of_faulting_pages_again():
    """Forty 64 MB buffers made, written and dropped one after another (a block of a frame's
    columns of one type is that size at 1M lines): with the settings their pages are faulted in
    about once; without, every buffer maps fresh pages (a minor fault per 4 KiB page)."""
    code = """
        import resource, sys
        from addin.files import allocator
        if sys.argv[1] == "keep":
            assert allocator.keep_freed_memory()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(40):
            a = bytearray(64 << 20)
            a[::4096] = b"x" * (16 << 10)       # one byte written per page
            del a
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
    def faults(mode: str) -> int:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), mode], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return int(proc.stdout.strip())
    kept, default = faults("keep"), faults("default")
    pages = (64 << 20) // 4096
    assert default > 20 * pages          # the default: fresh pages for (nearly) every array
    assert kept < 3 * pages              # kept: the first array's pages, reused


def test_the_command_line_keeps_freed_memory_and_the_addin_does_not():
    import inspect
    from addin import cli
    assert "keep_freed_memory()" in inspect.getsource(cli.main)
    from pathlib import Path
    excel = Path(cli.__file__).parent / "excel"
    assert not [p for p in excel.rglob("*.py") if "keep_freed_memory" in p.read_text(encoding="utf-8")]


@linux_glibc
def test_arrow_allocates_from_jemalloc_without_importing_pyarrow_and_the_users_choice_wins():
    """The command line's Arrow allocations go to jemalloc where pyarrow has it (memory given back
    sooner than mimalloc: 1M-line risk 615 -> 559 MiB); pyarrow is not imported for that
    (``--help`` stays fast); ARROW_DEFAULT_MEMORY_POOL set by the user is kept."""
    from addin.files import allocator
    if not allocator._arrow_has_jemalloc():
        pytest.skip("this pyarrow was built without jemalloc")
    out = _run("""
        import os, sys
        os.environ.pop("ARROW_DEFAULT_MEMORY_POOL", None)
        from addin.files import allocator
        allocator.keep_freed_memory()
        print("pyarrow" in sys.modules)
        import pyarrow as pa
        print(pa.default_memory_pool().backend_name)
    """)
    assert out.split() == ["False", "jemalloc"]
    out = _run("""
        import os
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
        from addin.files import allocator
        allocator.keep_freed_memory()
        import pyarrow as pa
        print(pa.default_memory_pool().backend_name)
    """)
    assert out == "system"
    out = _run("""
        import os
        os.environ.pop("ARROW_DEFAULT_MEMORY_POOL", None)
        import pyarrow as pa
        from addin.files import allocator
        allocator.keep_freed_memory()           # pyarrow already in use: its pool is set
        print(pa.default_memory_pool().backend_name)
    """)
    assert out == "jemalloc"
