"""Writes the hand-made seeds of the `pdf` fuzz corpus (fuzz/corpus/pdf/): small PDFs that
reach each part of kyso's reader — classic and stream cross-references, object streams,
hybrid files, incremental updates — and the hostile shapes it must refuse in bounded time
and memory (deflate bomb, reference loop, /Prev loop, page-tree loop, deep nesting,
/Length past the end). Signed seeds (kyso's own B-B and B-LTA output) are added by hand.
usage: python3 fuzz/make_pdf_seeds.py"""
import os
import zlib

OUT = os.path.join(os.path.dirname(__file__), "corpus", "pdf")


def build(objects, trailer_extra="", root=1, xref_stream=False, header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
          compressed=None):
    """objects: {num: bytes body (between 'obj' and 'endobj')}; compressed: {num: (objstm, index)}
    for objects that live in an object stream (xref streams only)."""
    compressed = compressed or {}
    out = bytearray(header)
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(list(objects) + list(compressed)) + 1
    if not xref_stream:
        xref_at = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f\r\n" % size
        for n in range(1, size):
            if n in offsets:
                out += b"%010d 00000 n\r\n" % offsets[n]
            else:
                out += b"0000000000 65535 f\r\n"
        out += b"trailer\n<</Size %d/Root %d 0 R%s>>\nstartxref\n%d\n%%%%EOF\n" % (
            size, root, trailer_extra.encode(), xref_at)
    else:
        num = size
        xref_at = len(out)
        rows = bytearray()
        for n in range(0, size + 1):
            if n == num:
                rows += bytes([1]) + xref_at.to_bytes(4, "big") + bytes([0])
            elif n in offsets:
                rows += bytes([1]) + offsets[n].to_bytes(4, "big") + bytes([0])
            elif n in compressed:
                stm, idx = compressed[n]
                rows += bytes([2]) + stm.to_bytes(4, "big") + bytes([idx])
            else:
                rows += bytes([0, 0, 0, 0, 0, 0])
        data = zlib.compress(bytes(rows))
        out += b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 1]/Root %d 0 R/Filter/FlateDecode/Length %d%s>>\nstream\n" % (
            num, size + 1, root, len(data), trailer_extra.encode()) + data + b"\nendstream\nendobj\n"
        out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def page_doc(extra=None, content=b"BT /F1 12 Tf 72 720 Td (Xin chao) Tj ET"):
    objs = {
        1: b"<</Type/Catalog/Pages 2 0 R>>",
        2: b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        3: b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        4: b"<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream",
        5: b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    }
    objs.update(extra or {})
    return objs


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


os.makedirs(OUT, exist_ok=True)
write("classic.pdf", build(page_doc()))
write("xref-stream.pdf", build(page_doc(), xref_stream=True))

# Objects 3 and 5 inside an object stream (6), cross-referenced by an xref stream.
inner = [b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
         b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
head = b"3 0 5 %d " % (len(inner[0]) + 1)
body = inner[0] + b" " + inner[1]
objstm = zlib.compress(head + body)
doc = page_doc()
del doc[3], doc[5]
doc[6] = b"<</Type/ObjStm/N 2/First %d/Filter/FlateDecode/Length %d>>\nstream\n" % (len(head), len(objstm)) + objstm + b"\nendstream"
write("object-stream.pdf", build(doc, xref_stream=True, compressed={3: (6, 0), 5: (6, 1)}))

# An incremental update that adds an annotation.
base = build(page_doc())
prev = int(base.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
upd = bytearray(base)
o3 = len(upd)
upd += b"3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Annots[6 0 R]>>\nendobj\n"
o6 = len(upd)
upd += b"6 0 obj\n<</Type/Annot/Subtype/Text/Rect[10 10 20 20]/Contents(ghi chu)>>\nendobj\n"
x = len(upd)
upd += b"xref\n3 1\n%010d 00000 n\r\n6 1\n%010d 00000 n\r\ntrailer\n<</Size 7/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (o3, o6, prev, x)
write("incremental.pdf", bytes(upd))

# Hostile shapes.
bomb = zlib.compress(b"\0" * (80 << 20), 9)
write("deflate-bomb.pdf", build(page_doc({
    6: b"<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>\nstream\n" % len(bomb) + bomb + b"\nendstream"})))
write("reference-loop.pdf", build(page_doc({6: b"7 0 R", 7: b"6 0 R"}), trailer_extra="/Info 6 0 R"))
write("page-tree-loop.pdf", build(page_doc({2: b"<</Type/Pages/Kids[2 0 R 3 0 R]/Count 1>>"})))
write("deep-nesting.pdf", build(page_doc({6: b"[" * 5000 + b"]" * 5000}), trailer_extra="/Info 6 0 R"))
write("length-past-end.pdf", build(page_doc({4: b"<</Length 999999999>>\nstream\nBT ET\nendstream"})))
loop = bytearray(build(page_doc()))
# /Prev pointing at its own section.
at = int(loop.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
loop = loop.replace(b"/Root 1 0 R>>", b"/Root 1 0 R/Prev %d>>" % at)
write("prev-loop.pdf", bytes(loop))
print("seeds in", OUT)
