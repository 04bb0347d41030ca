"""Small files the demo attaches (a round's briefing and chart), made byte by byte so the
demo needs no PDF or image library."""

from __future__ import annotations

import struct
import zlib


def briefing_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and lines of text (Helvetica), valid and tiny."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = ["BT", "/F1 18 Tf", "56 780 Td", f"({esc(title)}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        content += [f"({esc(line)}) Tj", "0 -16 Td"]
    content.append("ET")
    stream = "\n".join(content).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def bar_chart_png(values: list[int], width: int = 480, height: int = 200) -> bytes:
    """A PNG bar chart (one bar per value, scaled to the largest), made with zlib only."""
    top = max(values) or 1
    bar = width // max(len(values), 1)
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            index = min(x // bar, len(values) - 1)
            filled = (height - y) <= values[index] * (height - 10) / top
            gap = x % bar < 4
            if filled and not gap:
                row += bytes((0x1D, 0x4F, 0x91))
            elif y == height - 1:
                row += bytes((0x1B, 0x1F, 0x24))
            else:
                row += bytes((0xFF, 0xFF, 0xFF))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
