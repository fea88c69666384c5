"""Small pyHanko helpers for the PAdES tests.

usage:
    pades_pyhanko.py docmdp FILE
        one line per signature: FIELD docmdp=<MDPPerm or None> certified=<bool>
    pades_pyhanko.py certify P IN OUT
        certifies IN into OUT with DocMDP permission level P (1, 2 or 3), signed by a
        throw-away self-signed P-256 key (a document certified by someone other than kyso)
"""
import datetime
import sys

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader


def docmdp(path):
    with open(path, "rb") as f:
        reader = PdfFileReader(f)
        for sig in reader.embedded_regular_signatures:
            level = sig.docmdp_level
            print(f"{sig.field_name} docmdp={level} certified={level is not None}")


def certify(level, src, dst):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Người chứng thực thử")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=None,
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Certification",
        certify=True,
        docmdp_permissions=MDPPerm(int(level)),
    )
    with open(src, "rb") as f, open(dst, "wb") as out:
        signers.sign_pdf(IncrementalPdfFileWriter(f), meta, signer=signer, output=out)


if sys.argv[1] == "docmdp":
    docmdp(sys.argv[2])
elif sys.argv[1] == "certify":
    certify(sys.argv[2], sys.argv[3], sys.argv[4])
else:
    sys.exit(__doc__)
