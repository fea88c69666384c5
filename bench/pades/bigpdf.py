"""Writes a valid one-page PDF of about SIZE MB: the page, plus an embedded file (an
attachment, /EmbeddedFiles in the catalog's name tree) of SIZE MB of random bytes in an
uncompressed stream, with a correct cross-reference table. Memory stays small: the random
bytes are written in 1 MiB pieces.

usage: bigpdf.py OUT.pdf [SIZE_MB]      (default 100)
"""
import os
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_path = sys.argv[1]
    size = int(float(sys.argv[2] if len(sys.argv) > 2 else 100) * 1_000_000)
    offsets = {}
    with open(out_path, "wb") as out:

        def obj(num, body):
            offsets[num] = out.tell()
            out.write(f"{num} 0 obj\n".encode() + body + b"\nendobj\n")

        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(data.bin) 6 0 R] >> >> >>")
        obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 7 0 R >> >> >>")
        text = b"BT /F1 24 Tf 72 770 Td (Kyso bench: 100 MB attachment) Tj ET"
        obj(4, b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
        # The big stream, written in pieces.
        offsets[5] = out.tell()
        out.write(b"5 0 obj\n<< /Type /EmbeddedFile /Length %d /Params << /Size %d >> >>\nstream\n" % (size, size))
        left = size
        while left:
            n = min(left, 1 << 20)
            out.write(os.urandom(n))
            left -= n
        out.write(b"\nendstream\nendobj\n")
        obj(6, b"<< /Type /Filespec /F (data.bin) /UF (data.bin) /EF << /F 5 0 R >> >>")
        obj(7, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        xref = out.tell()
        n = max(offsets) + 1
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % n)
        for i in range(1, n):
            out.write(b"%010d 00000 n \n" % offsets[i])
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xref))


if __name__ == "__main__":
    main()
