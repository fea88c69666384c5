"""PDFs signed by pyHanko with a CA that has nothing to do with kyso (for `verify.rs`).

usage:
    verify_pyhanko_sign.py IN.pdf OUTDIR

writes into OUTDIR:
    pyroot.pem        a self-signed root CA (P-256), made here with `cryptography`
    approval.pdf      IN signed once (PAdES, ETSI.CAdES.detached, B-B), field Signature1
    certified.pdf     IN certified (DocMDP P=2), field Certification
    countersigned.pdf certified.pdf plus an approval signature, field Approval

The signer's certificate is issued by that root and names no OCSP responder and no CRL,
so no revocation check applies to it. Prints one line per file written.
"""
import datetime
import os
import sys

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm


def name(cn):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Peer CA (pyHanko test)"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_pki():
    now = datetime.datetime.now(datetime.timezone.utc)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name("Peer Root CA")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("Trần Văn Peer"))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=30))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, leaf, key


def der(cert):
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign(signer, src, dst, meta):
    with open(src, "rb") as f, open(dst, "wb") as out:
        signers.sign_pdf(IncrementalPdfFileWriter(f), meta, signer=signer, output=out)
    print(dst)


def main(src, outdir):
    os.makedirs(outdir, exist_ok=True)
    root, leaf, key = make_pki()
    root_pem = os.path.join(outdir, "pyroot.pem")
    with open(root_pem, "wb") as f:
        f.write(root.public_bytes(serialization.Encoding.PEM))
    print(root_pem)
    signer = signers.SimpleSigner(
        signing_cert=der(leaf),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=None,
    )
    pades = fields.SigSeedSubFilter.PADES
    sign(
        signer,
        src,
        os.path.join(outdir, "approval.pdf"),
        signers.PdfSignatureMetadata(field_name="Signature1", subfilter=pades),
    )
    certified = os.path.join(outdir, "certified.pdf")
    sign(
        signer,
        src,
        certified,
        signers.PdfSignatureMetadata(
            field_name="Certification",
            subfilter=pades,
            certify=True,
            docmdp_permissions=MDPPerm.FILL_FORMS,
        ),
    )
    sign(
        signer,
        certified,
        os.path.join(outdir, "countersigned.pdf"),
        signers.PdfSignatureMetadata(field_name="Approval", subfilter=pades),
    )


if len(sys.argv) != 3:
    sys.exit(__doc__)
main(sys.argv[1], sys.argv[2])
