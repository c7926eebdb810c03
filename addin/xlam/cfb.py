"""A minimal writer of compound files ([MS-CFB] version 3), enough for ``vbaProject.bin``.

Why our own: the maintained Python packages read compound files (olefile, compoundfiles) but
cannot create one from scratch. This writer is deterministic (no timestamps, zero CLSIDs), so
the same streams always give the same bytes.
"""
from __future__ import annotations

import struct

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data  # kind: 1 storage, 2 stream, 5 root
        self.children: list[_Entry] = []
        self.sid = 0
        self.left = self.right = self.child = NOSTREAM
        self.start, self.size = ENDOFCHAIN, 0


def _key(name: str) -> tuple[int, str]:
    # [MS-CFB] 2.6.4: shorter names sort first, then by upper-cased UTF-16 code units
    return (len(name), name.upper())


def _balanced(entries: list[_Entry]) -> int:
    """Link sorted siblings into a balanced binary search tree; return the root's id."""
    if not entries:
        return NOSTREAM
    mid = len(entries) // 2
    node = entries[mid]
    node.left = _balanced(entries[:mid])
    node.right = _balanced(entries[mid + 1:])
    return node.sid


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i < count - 1 else ENDOFCHAIN


def _pad(data: bytes, size: int) -> bytes:
    return data + b"\0" * (-len(data) % size)


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """Build a compound file from ``{"dir/sub/name": data}`` (storages are made as needed)."""
    root = _Entry("Root Entry", 5)
    entries = [root]
    storages: dict[str, _Entry] = {"": root}
    for path in sorted(streams):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in storages:
                storage = _Entry(parts[depth - 1], 1)
                storages["/".join(parts[:depth - 1])].children.append(storage)
                storages[key] = storage
                entries.append(storage)
        stream = _Entry(parts[-1], 2, streams[path])
        storages["/".join(parts[:-1])].children.append(stream)
        entries.append(stream)
    for sid, entry in enumerate(entries):
        if len(entry.name) > 31:
            raise ValueError(f"compound file name too long: {entry.name}")
        entry.sid = sid
    for entry in entries:
        if entry.children:
            entry.child = _balanced(sorted(entry.children, key=lambda e: _key(e.name)))

    # Small streams go to the mini stream (held in the root entry's chain), large ones to sectors.
    mini_stream = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != 2:
            continue
        entry.size = len(entry.data)
        if entry.size == 0:
            entry.start = ENDOFCHAIN
        elif entry.size < MINI_CUTOFF:
            first = len(minifat)
            count = -(-entry.size // MINI_SECTOR)
            minifat.extend([0] * count)
            _chain(minifat, first, count)
            entry.start = first
            mini_stream += _pad(entry.data, MINI_SECTOR)
        else:
            big.append(entry)

    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes, marker: int | None = None) -> int:
        first = len(sectors)
        count = max(1, -(-len(data) // SECTOR)) if data else 0
        padded = _pad(data, SECTOR)
        for i in range(count):
            sectors.append(padded[i * SECTOR:(i + 1) * SECTOR])
            fat.append(0)
        if marker is None:
            _chain(fat, first, count)
        return first if count else ENDOFCHAIN

    root.size = len(mini_stream)
    root.start = place(bytes(mini_stream)) if mini_stream else ENDOFCHAIN
    for entry in big:
        entry.start = place(entry.data)
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    if minifat:
        minifat_bytes += struct.pack("<I", FREESECT) * (-len(minifat) % (SECTOR // 4))
    minifat_start = place(minifat_bytes) if minifat else ENDOFCHAIN
    minifat_count = -(-len(minifat_bytes) // SECTOR)

    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-16-le") + b"\0\0"
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ", name, len(name), entry.kind, 1,  # colour: all black
            entry.left, entry.right, entry.child, b"\0" * 16, 0, 0, 0,
            entry.start if entry.kind != 1 else 0, entry.size)
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0)
    while len(directory) % SECTOR:
        directory += empty
    dir_start = place(bytes(directory))

    # The FAT describes itself too: grow it until it covers every sector including its own.
    fat_count = 0
    while True:
        total = len(sectors) + fat_count
        needed = -(-total // (SECTOR // 4))
        if needed == fat_count:
            break
        fat_count = needed
    if fat_count > 109:
        raise ValueError("compound file too large for this writer (no DIFAT sectors)")
    fat_start = len(sectors)
    fat.extend([FATSECT] * fat_count)
    fat.extend([FREESECT] * (fat_count * (SECTOR // 4) - len(fat)))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)

    difat = [fat_start + i for i in range(fat_count)] + [FREESECT] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6,
        b"\0" * 6, 0, fat_count, dir_start, 0, MINI_CUTOFF, minifat_start, minifat_count, ENDOFCHAIN, 0)
    header += b"".join(struct.pack("<I", v) for v in difat)
    assert len(header) == SECTOR
    return header + b"".join(sectors) + fat_bytes
