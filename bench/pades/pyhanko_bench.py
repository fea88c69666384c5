"""pyHanko's side of bench/pades: the same operations as `kyso bench pades`, in ONE Python
process per call (imports, key loading and warm-up are not counted), one after another.

usage:
    pyhanko_bench.py sign --level B-B|B-T --count N --input IN.pdf --key KEY.pem
                     --cert CERT.pem --chain CA.pem --out-dir DIR [--tsa URL]
        signs IN.pdf N times (PAdES, subfilter ETSI.CAdES.detached), each into its own
        file in DIR (B-T: signature time-stamp from the RFC 3161 TSA at URL)
    pyhanko_bench.py validate --count N --root ROOT.pem SIGNED.pdf
        validates the (first) signature of SIGNED.pdf N times, reading the file each time,
        with a fresh ValidationContext each time (trusting ROOT.pem only; no fetching;
        revocation soft-fail): the same offline validation as `kyso verify --offline`

    pyhanko_bench.py tsa --count N --tsa URL
        what a B-T time-stamp costs pyHanko's side: N tokens through HTTPTimeStamper, each
        in its own event loop as in sign_pdf (the rate is the "rate" field), beside N bare
        HTTP round trips to the same URL with http.client ("bare_rate")

The last line is JSON: {"op": ..., "count": N, "seconds": s, "rate": N/s}.
"""
import argparse
import json
import os
import sys
import time


def sign(args):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    signer = signers.SimpleSigner.load(args.key, args.cert, ca_chain_files=(args.chain,))
    if signer is None:
        sys.exit("pyHanko could not load the key or certificate")
    timestamper = None
    if args.level == "B-T":
        if not args.tsa:
            sys.exit("B-T needs --tsa URL")
        timestamper = timestamps.HTTPTimeStamper(args.tsa)
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )

    def once(out_path):
        with open(args.input, "rb") as f, open(out_path, "wb") as out:
            signers.sign_pdf(
                IncrementalPdfFileWriter(f),
                meta,
                signer=signer,
                timestamper=timestamper,
                output=out,
            )

    os.makedirs(args.out_dir, exist_ok=True)
    for i in range(3):  # warm-up
        once(os.path.join(args.out_dir, f"py-warm-{args.level}-{i}.pdf"))
    started = time.perf_counter()
    for i in range(args.count):
        once(os.path.join(args.out_dir, f"py-{args.level}-{i}.pdf"))
    return time.perf_counter() - started


def validate(args):
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with open(args.root, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    root = x509.Certificate.load(data)

    def once():
        with open(args.signed, "rb") as f:
            sig = PdfFileReader(f).embedded_signatures[0]
            vc = ValidationContext(
                trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail"
            )
            return validate_pdf_signature(
                sig, signer_validation_context=vc, ts_validation_context=vc
            )

    status = once()
    if not (status.intact and status.valid and status.trusted):
        sys.exit(f"pyHanko does not accept {args.signed}:\n{status.pretty_print_details()}")
    if status.timestamp_validity is not None and not (
        status.timestamp_validity.intact
        and status.timestamp_validity.valid
        and status.timestamp_validity.trusted
    ):
        sys.exit(f"pyHanko does not accept the time-stamp of {args.signed}")
    for _ in range(2):  # warm-up
        once()
    started = time.perf_counter()
    for _ in range(args.count):
        s = once()
        if not (s.intact and s.valid and s.trusted):
            sys.exit(f"validation of {args.signed} changed its verdict")
    return time.perf_counter() - started


def tsa(args):
    import asyncio
    import hashlib
    import http.client
    import urllib.parse

    from asn1crypto import algos, tsp
    from pyhanko.sign import timestamps

    url = urllib.parse.urlparse(args.tsa)
    stamper = timestamps.HTTPTimeStamper(args.tsa)
    digest = hashlib.sha256(b"kyso bench").digest()
    query = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": digest,
            },
            "cert_req": True,
        }
    ).dump()

    def stamped():
        asyncio.run(stamper.async_timestamp(digest, "sha256"))

    def bare():
        conn = http.client.HTTPConnection(url.hostname, url.port or 80)
        conn.request("POST", url.path, query, {"Content-Type": "application/timestamp-query"})
        body = conn.getresponse().read()
        conn.close()
        return body

    for _ in range(3):
        stamped()
        bare()
    started = time.perf_counter()
    for _ in range(args.count):
        bare()
    bare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(args.count):
        stamped()
    return time.perf_counter() - started, {"bare_rate": args.count / bare_seconds}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="op", required=True)
    s = sub.add_parser("sign")
    s.add_argument("--level", choices=["B-B", "B-T"], required=True)
    s.add_argument("--count", type=int, default=100)
    s.add_argument("--input", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--chain", required=True)
    s.add_argument("--out-dir", required=True)
    s.add_argument("--tsa")
    v = sub.add_parser("validate")
    v.add_argument("--count", type=int, default=100)
    v.add_argument("--root", required=True)
    v.add_argument("signed")
    t = sub.add_parser("tsa")
    t.add_argument("--count", type=int, default=100)
    t.add_argument("--tsa", required=True)
    args = p.parse_args()
    extra = {}
    if args.op == "sign":
        seconds, op = sign(args), f"sign {args.level}"
    elif args.op == "validate":
        seconds, op = validate(args), "validate"
    else:
        (seconds, extra), op = tsa(args), "tsa"
    print(json.dumps({"op": op, "count": args.count, "seconds": seconds, "rate": args.count / seconds, **extra}))


if __name__ == "__main__":
    main()
