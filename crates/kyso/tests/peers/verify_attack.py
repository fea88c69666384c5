"""Hand-made incremental updates on signed PDFs (for `verify.rs`): the attacks a verifier
must see through. Plain Python, no PDF library: objects, an xref table and a trailer
whose /Prev is the signed file's last startxref, appended after its bytes.

usage:
    verify_attack.py update MODE IN.pdf OUT.pdf [FROM.pdf]
        MODE is one of
          replace   the page's content stream is redefined (a shadow "replace")
          dss       only a DSS dictionary is added to the catalog (validation data);
                    `update dss IN OUT FROM.pdf` fills it with the OCSP responses and
                    CRLs of FROM.pdf's DSS (old evidence, replayed)
          shared    a second signature field whose /V is the first field's signature
                    dictionary (one signature dictionary, two fields)
          garbage   bytes after %%EOF that are no PDF update at all
          page      a new page is added
    verify_attack.py prepare ALIAS OUT.pdf
        a one-page PDF (like peers/minimal.pdf, fully rewritten) in which the page's
        content stream, object 4, is ALSO reachable in another role, before anyone signs:
          info      the trailer's /Info is 4 0 R
          metadata  the catalog's /Metadata is 4 0 R
          dss       the catalog's /DSS is << /Certs 4 0 R >>
          plain     no alias (the control)

Works on files whose objects are written in the clear (kyso's, and `prepare`'s).
"""
import re
import sys

# A filled blue rectangle: visibly different from the empty page that was signed.
CONTENT = b"0 0 1 rg 100 400 395 300 re f\n"


def latest(data, num):
    """The body of the last definition of object `num` (between `N 0 obj` and `endobj`)."""
    found = None
    for m in re.finditer(rb"(?<![0-9])%d 0 obj" % num, data):
        found = m
    if found is None:
        sys.exit(f"object {num} not found")
    end = data.index(b"endobj", found.end())
    return data[found.end() : end].strip()


def trailer(data):
    t = data[data.rindex(b"trailer") :]
    get = lambda key: re.search(rb"/" + key + rb"\s+(\d+)(?:\s+0\s+R)?", t)
    info = re.search(rb"/Info\s+(\d+\s+0\s+R)", t)
    ident = re.search(rb"/ID\s*(\[[^\]]*\])", t)
    return {
        "root": int(get(b"Root").group(1)),
        "size": int(get(b"Size").group(1)),
        "info": info.group(1) if info else None,
        "id": ident.group(1) if ident else None,
        "startxref": int(re.findall(rb"startxref\s+(\d+)", data)[-1]),
    }


def ref_of(body, key):
    m = re.search(rb"/" + key + rb"\s+(\d+)\s+0\s+R", body)
    return int(m.group(1)) if m else None


def add_key(body, entry):
    """Adds `/Key value` to a dictionary body (before its final `>>`)."""
    i = body.rindex(b">>")
    return body[:i] + entry + body[i:]


def append_to_array(body, key, item):
    m = re.search(rb"/" + key + rb"\s*\[([^\]]*)\]", body)
    if not m:
        return add_key(body, b"/" + key + b" [" + item + b"]")
    inner = m.group(1).strip()
    new = b"/" + key + b" [" + (inner + b" " if inner else b"") + item + b"]"
    return body[: m.start()] + new + body[m.end() :]


def stream(content):
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def first_page(data, root):
    pages = ref_of(latest(data, root), b"Pages")
    kids = re.search(rb"/Kids\s*\[\s*(\d+)\s+0\s+R", latest(data, pages))
    return pages, int(kids.group(1))


def write_update(data, objects, out):
    """Appends `objects` ({num: body}) as one incremental update."""
    t = trailer(data)
    buf = bytearray(data)
    if not buf.endswith(b"\n"):
        buf += b"\n"
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(buf)
        buf += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(buf)
    buf += b"xref\n"
    for num in sorted(objects):
        buf += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    size = max([t["size"]] + [n + 1 for n in objects])
    buf += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d" % (size, t["root"], t["startxref"])
    if t["info"]:
        buf += b" /Info " + t["info"]
    if t["id"]:
        buf += b" /ID " + t["id"]
    buf += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    with open(out, "wb") as f:
        f.write(buf)


def dss_evidence(path):
    """The OCSP responses and CRLs (DER) of a PDF's DSS, decoded by pyHanko."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as f:
        dss = PdfFileReader(f).root["/DSS"]
        return {
            key: [s.get_object().data for s in dss.get(key, [])]
            for key in ("/OCSPs", "/CRLs")
        }


def update(mode, src, out, evidence_from=None):
    data = open(src, "rb").read()
    t = trailer(data)
    root = t["root"]
    fresh = t["size"]
    pages, page = first_page(data, root)
    page_body = latest(data, page)
    if mode == "replace":
        contents = ref_of(page_body, b"Contents")
        objs = {contents: stream(CONTENT)}
    elif mode == "dss":
        objs = {}
        arrays = {b"OCSPs": [], b"CRLs": []}
        if evidence_from:
            n = fresh + 1
            for key, ders in dss_evidence(evidence_from).items():
                for der in ders:
                    objs[n] = stream(der)
                    arrays[key[1:].encode()].append(b"%d 0 R" % n)
                    n += 1
        objs[fresh] = b"<< /Type /DSS /Certs [] /OCSPs [%s] /CRLs [%s] >>" % (
            b" ".join(arrays[b"OCSPs"]),
            b" ".join(arrays[b"CRLs"]),
        )
        objs[root] = add_key(latest(data, root), b"/DSS %d 0 R" % fresh)
    elif mode == "shared":
        catalog = latest(data, root)
        form = ref_of(catalog, b"AcroForm")
        form_body = latest(data, form)
        first = int(re.search(rb"/Fields\s*\[\s*(\d+)\s+0\s+R", form_body).group(1))
        sig = ref_of(latest(data, first), b"V")
        widget = fresh
        objs = {
            widget: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature2) /V %d 0 R "
            b"/F 132 /P %d 0 R /Rect [0 0 0 0] >>" % (sig, page),
            form: append_to_array(form_body, b"Fields", b"%d 0 R" % widget),
            page: append_to_array(page_body, b"Annots", b"%d 0 R" % widget),
        }
    elif mode == "page":
        pages_body = latest(data, pages)
        new_page, content = fresh, fresh + 1
        count = int(re.search(rb"/Count\s+(\d+)", pages_body).group(1))
        pages_body = append_to_array(pages_body, b"Kids", b"%d 0 R" % new_page)
        pages_body = re.sub(rb"/Count\s+\d+", b"/Count %d" % (count + 1), pages_body)
        objs = {
            new_page: b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
            b"/Contents %d 0 R /Resources << >> >>" % (pages, content),
            content: stream(CONTENT),
            pages: pages_body,
        }
    elif mode == "garbage":
        with open(out, "wb") as f:
            f.write(data + b"\n% not an update\n1 0 obj\n<< /Type /Catalog >>\nendobj\ngarbage \x00\xff\n")
        return
    else:
        sys.exit(f"unknown mode {mode}")
    write_update(data, objs, out)


def prepare(alias, out):
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    extra_trailer = b""
    if alias == "metadata":
        catalog += b" /Metadata 4 0 R"
    elif alias == "dss":
        catalog += b" /DSS << /Certs 4 0 R >>"
    elif alias == "info":
        extra_trailer = b" /Info 4 0 R"
    elif alias != "plain":
        sys.exit(f"unknown alias {alias}")
    objects = [
        catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << >> >>",
        stream(b""),
    ]
    buf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(buf))
        buf += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(buf)
    buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        buf += b"%010d 00000 n \n" % o
    buf += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        extra_trailer,
        xref,
    )
    with open(out, "wb") as f:
        f.write(buf)


if len(sys.argv) in (5, 6) and sys.argv[1] == "update":
    update(*sys.argv[2:])
elif len(sys.argv) == 4 and sys.argv[1] == "prepare":
    prepare(sys.argv[2], sys.argv[3])
else:
    sys.exit(__doc__)
