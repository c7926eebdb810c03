"""Write a VBA project (``xl/vbaProject.bin``) from module source text, per [MS-OVBA].

The project carries source only: ``_VBA_PROJECT`` has version 0xFFFF (no performance cache) and
every module's text offset is 0, so Excel compiles the modules from source when it opens the
file (xlwings ships its own templates the same way). Deterministic: the project id, the
encryption seed and the filler bytes of the protection records are fixed.
"""
from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from addin.xlam.cfb import write_cfb

CODEPAGE = 1252  # module text must be encodable in it; our macros are ASCII (tested)

# Base class GUIDs of document modules ([MS-OVBA] leaves them to the host; these are Excel's).
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"

# Registered type libraries every Excel project references (paths are hints; Excel resolves by GUID).
REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files\\Microsoft Shared\\"
               "OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library"),
)


@dataclass(frozen=True)
class Module:
    """One VBA module: ``kind`` is ``module`` (standard), ``class`` or ``document``."""
    name: str
    source: str
    kind: str = "module"


# ---------------------------------------------------------------- compression ([MS-OVBA] 2.4.1)

def _copy_token_split(position: int) -> tuple[int, int]:
    """Bit count of the offset part and maximum match length at ``position`` in a chunk."""
    bit_count = max((position - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    index: dict[bytes, list[int]] = {}
    pos = 0
    n = len(chunk)
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos > 0 and pos + 3 <= n:
                _, max_len = _copy_token_split(pos)
                limit = min(max_len, n - pos)
                for start in reversed(index.get(chunk[pos:pos + 3], ())):
                    length = 3
                    while length < limit and chunk[start + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - start
                        if length == limit:
                            break
            if best_len >= 3:
                bit_count, _ = _copy_token_split(pos)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, pos + step):
                if p + 3 <= n:
                    index.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """MS-OVBA compressed container: signature byte, then chunks of at most 4096 source bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        packed = _compress_chunk(chunk)
        if len(packed) > 4096 - 2 and len(chunk) == 4096:
            out += struct.pack("<H", 0x3000 | (4096 + 2 - 3)) + chunk  # stored uncompressed
        else:
            out += struct.pack("<H", 0xB000 | (len(packed) + 2 - 3)) + packed
    return bytes(out)


# ---------------------------------------------------------------- data encryption ([MS-OVBA] 2.4.3)

def encrypt(data: bytes, project_id: str, seed: int = 0x5D) -> str:
    """Encrypt a PROJECT-stream protection value (CMG, DPB, GC); returns uppercase hex."""
    version = 2
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ proj_key])
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, seed ^ proj_key, seed ^ version
    ignored = (seed & 6) // 2
    payload = bytes(ignored) + struct.pack("<I", len(data)) + data  # fixed zero filler: reproducible
    for byte in payload:
        enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte
    return out.hex().upper()


def decrypt(text: str) -> tuple[int, bytes]:
    """Inverse of :func:`encrypt`: returns (project key, data). Used by the tests."""
    raw = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    proj_key = seed ^ proj_key_enc
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for enc in raw[3:]:
        byte = enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    return proj_key, bytes(plain[ignored + 4:ignored + 4 + length])


# ---------------------------------------------------------------- streams

def _rec(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _mbcs(text: str) -> bytes:
    return text.encode(f"cp{CODEPAGE}")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _dir_stream(project_name: str, modules: list[Module]) -> bytes:
    d = bytearray()
    d += _rec(0x0001, struct.pack("<I", 1))              # SYSKIND: Win32 (no compiled code, so any host)
    d += _rec(0x0002, struct.pack("<I", 0x409))          # LCID
    d += _rec(0x0014, struct.pack("<I", 0x409))          # LCIDINVOKE
    d += _rec(0x0003, struct.pack("<H", CODEPAGE))
    d += _rec(0x0004, _mbcs(project_name))
    d += _rec(0x0005, b"") + _rec(0x0040, b"")           # DOCSTRING + unicode
    d += _rec(0x0006, b"") + _rec(0x003D, b"")           # HELPFILEPATH 1 and 2
    d += _rec(0x0007, struct.pack("<I", 0))              # HELPCONTEXT
    d += _rec(0x0008, struct.pack("<I", 0))              # LIBFLAGS
    d += struct.pack("<HIIH", 0x0009, 4, 1, 0)           # VERSION: reserved size 4, major, minor
    d += _rec(0x000C, b"") + _rec(0x003C, b"")           # CONSTANTS + unicode
    for name, libid in REFERENCES:
        d += _rec(0x0016, _mbcs(name)) + _rec(0x003E, _utf16(name))
        lib = _mbcs(libid)
        d += _rec(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    d += _rec(0x000F, struct.pack("<H", len(modules)))
    d += _rec(0x0013, struct.pack("<H", 0xFFFF))         # PROJECTCOOKIE
    for m in modules:
        d += _rec(0x0019, _mbcs(m.name)) + _rec(0x0047, _utf16(m.name))
        d += _rec(0x001A, _mbcs(m.name)) + _rec(0x0032, _utf16(m.name))
        d += _rec(0x001C, b"") + _rec(0x0048, b"")
        d += _rec(0x0031, struct.pack("<I", 0))          # MODULEOFFSET: source starts at 0 (no p-code)
        d += _rec(0x001E, struct.pack("<I", 0))
        d += _rec(0x002C, struct.pack("<H", 0xFFFF))
        d += _rec(0x0021 if m.kind == "module" else 0x0022, b"")
        d += _rec(0x002B, b"")
    d += _rec(0x0010, b"")
    return bytes(d)


def project_id(project_name: str) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"orderdesk:vba:{project_name}")).upper() + "}"


def _project_stream(project_name: str, modules: list[Module]) -> bytes:
    pid = project_id(project_name)
    lines = [f'ID="{pid}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(bytes(4), pid)}"',    # protection state: nothing protected
        f'DPB="{encrypt(bytes(1), pid)}"',    # no password
        f'GC="{encrypt(bytes([0xFF]), pid)}"',  # project visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def _projectwm(modules: list[Module]) -> bytes:
    return b"".join(_mbcs(m.name) + b"\0" + _utf16(m.name) + b"\0\0" for m in modules) + b"\0\0"


def normalise_source(text: str) -> str:
    """Module text as VBA stores it: CRLF line ends, ending with one line break."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"
    return text.replace("\n", "\r\n")


def build_vba_project(project_name: str, modules: list[Module]) -> bytes:
    """The bytes of ``vbaProject.bin`` holding ``modules`` as source."""
    names = [m.name for m in modules]
    if len(set(n.lower() for n in names)) != len(names):
        raise ValueError(f"duplicate VBA module names: {names}")
    streams = {
        "PROJECT": _project_stream(project_name, modules),
        "PROJECTwm": _projectwm(modules),
        "VBA/_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000),
        "VBA/dir": compress(_dir_stream(project_name, modules)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(_mbcs(normalise_source(m.source)))
    return write_cfb(streams)


def document_module(name: str, base: str) -> Module:
    """An empty document module (ThisWorkbook or a worksheet) with Excel's standard attributes."""
    source = "\n".join([
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ])
    return Module(name, source, "document")


def class_from_cls(text: str) -> Module:
    """A class module from an exported ``.cls`` file: drop the export header, add the attributes
    the VBA editor adds on import (as in xlwings' own templates)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("VERSION"):
        end = lines.index("END")
        lines = lines[end + 1:]
    out: list[str] = []
    name = None
    for line in lines:
        out.append(line)
        if line.startswith("Attribute VB_Name = "):
            name = line.split("=", 1)[1].strip().strip('"')
            out.append('Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"')
        elif line.startswith("Attribute VB_Exposed = "):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    if name is None:
        raise ValueError("class module without Attribute VB_Name")
    return Module(name, "\n".join(out), "class")


# ---------------------------------------------------------------- reading back ([MS-OVBA] 2.4.1, 2.3.4.2)

def decompress(data: bytes) -> bytes:
    """The bytes of a compressed container (the inverse of :func:`compress`)."""
    if not data or data[0] != 0x01:
        raise ValueError("not a compressed VBA container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("truncated chunk header")
        header = int.from_bytes(data[pos:pos + 2], "little")
        if (header >> 12) & 0x7 != 0b011:
            raise ValueError(f"bad chunk signature at byte {pos}")
        end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        if not header & 0x8000:                         # raw chunk: 4096 bytes as they are
            out += data[pos:pos + 4096]
            pos += 4096
            continue
        start = len(out)
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > end:
                    raise ValueError("truncated copy token")
                token = int.from_bytes(data[pos:pos + 2], "little")
                pos += 2
                bit_count, _ = _copy_token_split(len(out) - start)
                offset = (token >> (16 - bit_count)) + 1
                length = (token & (0xFFFF >> bit_count)) + 3
                if offset > len(out) - start:
                    raise ValueError("copy token points before its chunk")
                for _ in range(length):
                    out.append(out[-offset])
        pos = end
    return bytes(out)


@dataclass(frozen=True)
class ProjectSource:
    """What a ``vbaProject.bin`` holds, read without Excel: its name and each module's source."""
    name: str
    codepage: int
    modules: dict[str, str]


def read_dir_stream(data: bytes) -> tuple[str, int, list[tuple[str, str, int]]]:
    """Project name, code page and (module name, stream name, text offset) from a decompressed
    ``VBA/dir`` stream."""
    pos, codepage, name = 0, 1252, ""
    modules: list[list] = []
    while pos + 6 <= len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if record_id == 0x0009:          # PROJECTVERSION: the size field is a reserved 4; 6 bytes follow
            pos += 6
            continue
        payload = data[pos:pos + size]
        if len(payload) != size:
            raise ValueError(f"dir record 0x{record_id:04X} runs past the end of the stream")
        pos += size
        if record_id == 0x0003:
            codepage = struct.unpack("<H", payload)[0]
        elif record_id == 0x0004:
            name = payload.decode(f"cp{codepage}")
        elif record_id == 0x0019:
            modules.append([payload.decode(f"cp{codepage}"), None, 0])
        elif record_id == 0x001A and modules:
            modules[-1][1] = payload.decode(f"cp{codepage}")
        elif record_id == 0x0031 and modules:
            modules[-1][2] = struct.unpack("<I", payload)[0]
        elif record_id == 0x0010:
            break
    else:
        raise ValueError("the dir stream has no terminator record")
    return name, codepage, [(m, s or m, off) for m, s, off in modules]


def read_vba_project(data: bytes) -> ProjectSource:
    """Read ``vbaProject.bin`` (an OLE compound file) back to module source (olefile reads the
    container; raises ``ValueError`` on anything that is not a readable VBA project)."""
    import io
    import olefile
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except OSError as exc:
        raise ValueError(f"not an OLE compound file ({exc})") from exc
    try:
        if not ole.exists("VBA/dir"):
            raise ValueError("no VBA/dir stream")
        name, codepage, entries = read_dir_stream(decompress(ole.openstream("VBA/dir").read()))
        modules = {}
        for module, stream, offset in entries:
            if not ole.exists(f"VBA/{stream}"):
                raise ValueError(f"module {module}: stream VBA/{stream} is missing")
            raw = ole.openstream(f"VBA/{stream}").read()
            modules[module] = decompress(raw[offset:]).decode(f"cp{codepage}").replace("\r\n", "\n")
        return ProjectSource(name, codepage, modules)
    finally:
        ole.close()
