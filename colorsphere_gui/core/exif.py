"""EXIF and TIFF tags copied entry by entry, with the types and bytes they were stored with.

Pillow's Exif round trip re-infers the type of every tag its tables do not list (most of the EXIF
sub-IFD: a UserComment comes back BYTE instead of UNDEFINED) and writes text as ASCII with '?' for
anything else, so "Müller" becomes "M??ller". An archive's captions and names must survive, so blocks
are parsed and rebuilt here from raw entries. A rebuilt block has IFD0 and the EXIF and GPS sub-IFDs;
the thumbnail IFD is dropped (it shows the old picture) and so is the interoperability IFD.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EXIF_POINTER, GPS_POINTER, INTEROP_POINTER = 34665, 34853, 40965
ORIENTATION = 274
SOFTWARE = 305
ASCII, SHORT, LONG = 2, 3, 4
# bytes per item of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED, SSHORT,
# SLONG, SRATIONAL, FLOAT, DOUBLE, IFD); entries of other types cannot be sized and are skipped
_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
# Tags that describe a TIFF's pixel layout or that PhotoMeta keeps apart (ICC, XMP, IPTC): in the
# EXIF of another file they would describe the wrong image.
# fmt: off
TIFF_LAYOUT_TAGS = frozenset({
    254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 290, 291, 292, 293,
    297, 317, 320, 322, 323, 324, 325, 330, 338, 339, 340, 341, 347, 513, 514, 530, 531, 532, 700,
    33723, 34377, 34675, 37724, 50838, 50839,
})
# fmt: on
_MAX_ENTRIES = 4096  # a real IFD has tens; more means a damaged block
_NUMBER_FORMATS = {3: "H", 4: "I", 5: "I", 8: "h", 9: "i", 10: "i", 11: "f", 12: "d", 13: "I"}
# size of the numbers a value is made of (a RATIONAL is two LONGs); bytes, text and UNDEFINED have none
_WORD = {3: 2, 4: 4, 5: 4, 8: 2, 9: 4, 10: 4, 11: 4, 12: 8, 13: 4}


@dataclass(frozen=True)
class Entry:
    """One IFD entry; value holds count items in the byte order of the block it came from."""

    tag: int
    type: int
    count: int
    value: bytes

    def numbers(self, order: str) -> tuple:
        """Numeric items (a RATIONAL gives numerator, denominator pairs flattened)."""
        fmt = _NUMBER_FORMATS[self.type]
        n = self.count * (2 if self.type in (5, 10) else 1)
        return struct.unpack(f"{order}{n}{fmt}", self.value)


@dataclass
class ExifBlock:
    """IFD0 and the EXIF and GPS sub-IFDs of one block; order is "<" (II) or ">" (MM)."""

    order: str = "<"
    ifd0: dict[int, Entry] = field(default_factory=dict)
    exif: dict[int, Entry] = field(default_factory=dict)
    gps: dict[int, Entry] = field(default_factory=dict)


def with_order(block: ExifBlock, order: str) -> ExifBlock:
    """The same block in another byte order (numbers swapped; text and UNDEFINED blobs kept as they are)."""
    if order == block.order:
        return block

    def swap(ifd: dict[int, Entry]) -> dict[int, Entry]:
        out = {}
        for tag, e in ifd.items():
            word = _WORD.get(e.type)
            value = e.value if word is None else np.frombuffer(e.value, f"u{word}").byteswap().tobytes()
            out[tag] = Entry(tag, e.type, e.count, value)
        return out

    return ExifBlock(order, swap(block.ifd0), swap(block.exif), swap(block.gps))


def number_entry(tag: int, value: int, order: str, kind: int = SHORT) -> Entry:
    return Entry(tag, kind, 1, struct.pack(order + ("H" if kind == SHORT else "I"), value))


def text_entry(tag: int, text: str) -> Entry:
    """An ASCII entry; characters outside ASCII become '?', as the type allows nothing else."""
    value = text.encode("ascii", "replace") + b"\0"
    return Entry(tag, ASCII, len(value), value)


def parse(blob: bytes) -> ExifBlock:
    """Parse an EXIF block as stored in JPEG APP1, PNG eXIf or WebP (with or without "Exif\\0\\0")."""
    tiff = blob[6:] if blob.startswith(b"Exif\0\0") else blob
    return _parse(lambda offset, size: tiff[offset : offset + size], tiff[:8])


def read_tiff(path: Path) -> ExifBlock:
    """All of a classic TIFF file's IFD0 (layout tags included) and its EXIF and GPS sub-IFDs."""
    with path.open("rb") as f:

        def read(offset: int, size: int) -> bytes:
            f.seek(offset)
            return f.read(size)

        return _parse(read, f.read(8))


def _parse(read: Callable[[int, int], bytes], header: bytes) -> ExifBlock:
    order = {b"II": "<", b"MM": ">"}.get(header[:2])
    if order is None or struct.unpack(order + "H", header[2:4])[0] != 42:
        raise ValueError("not a classic TIFF/EXIF structure")
    (first,) = struct.unpack(order + "I", header[4:8])
    ifd0 = _read_ifd(read, first, order)
    exif = _sub_ifd(read, ifd0.pop(EXIF_POINTER, None), order)
    gps = _sub_ifd(read, ifd0.pop(GPS_POINTER, None), order)
    exif.pop(INTEROP_POINTER, None)
    return ExifBlock(order, ifd0, exif, gps)


def _sub_ifd(read: Callable[[int, int], bytes], pointer: Entry | None, order: str) -> dict[int, Entry]:
    if pointer is None or pointer.type not in (LONG, 13) or pointer.count != 1:
        return {}
    return _read_ifd(read, pointer.numbers(order)[0], order)


def _read_ifd(read: Callable[[int, int], bytes], offset: int, order: str) -> dict[int, Entry]:
    (n,) = struct.unpack(order + "H", read(offset, 2))
    if n > _MAX_ENTRIES:
        raise ValueError(f"IFD with {n} entries")
    table = read(offset + 2, 12 * n)
    if len(table) != 12 * n:
        raise ValueError("IFD runs past the end of the block")
    entries = {}
    for i in range(n):
        tag, kind, count = struct.unpack_from(order + "HHI", table, 12 * i)
        if kind not in _SIZES:
            continue
        size = _SIZES[kind] * count
        slot = table[12 * i + 8 : 12 * i + 12]
        value = slot[:size] if size <= 4 else read(struct.unpack(order + "I", slot)[0], size)
        if len(value) == size:  # an entry pointing past the end is dropped, not the whole block
            entries[tag] = Entry(tag, kind, count, value)
    return entries


def ifd_bytes(entries: dict[int, Entry], offset: int, order: str) -> bytes:
    """One IFD to be placed at `offset`: sorted table, next-IFD link 0, out-of-line values after it."""
    items = [entries[tag] for tag in sorted(entries)]
    data_at = offset + 2 + 12 * len(items) + 4
    table, data = [], bytearray()
    for e in items:
        if len(e.value) <= 4:
            slot = e.value.ljust(4, b"\0")
        else:
            data += b"\0" * ((data_at + len(data)) % 2)  # values start on a word boundary
            slot = struct.pack(order + "I", data_at + len(data))
            data += e.value
        table.append(struct.pack(order + "HHI", e.tag, e.type, e.count) + slot)
    return struct.pack(order + "H", len(items)) + b"".join(table) + b"\0\0\0\0" + bytes(data)


def build(block: ExifBlock) -> bytes:
    """The block as "Exif\\0\\0" + TIFF header + IFD0 + EXIF IFD + GPS IFD, ready for JPEG/PNG/WebP."""
    o = block.order
    ifd0 = dict(block.ifd0)
    subs = [(p, ifd) for p, ifd in ((EXIF_POINTER, block.exif), (GPS_POINTER, block.gps)) if ifd]
    for pointer, _ in subs:  # placeholders first: IFD0's size does not depend on their values
        ifd0[pointer] = number_entry(pointer, 0, o, LONG)
    ifd0_end = 8 + len(ifd_bytes(ifd0, 8, o))
    tail = b""
    for pointer, ifd in subs:
        pad = (ifd0_end + len(tail)) % 2
        at = ifd0_end + len(tail) + pad
        ifd0[pointer] = number_entry(pointer, at, o, LONG)
        tail += b"\0" * pad + ifd_bytes(ifd, at, o)
    header = (b"II" if o == "<" else b"MM") + struct.pack(o + "HI", 42, 8)
    return b"Exif\0\0" + header + ifd_bytes(ifd0, 8, o) + tail
