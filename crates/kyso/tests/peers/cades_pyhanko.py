"""pyHanko validates a detached CMS (CAdES) signature: prints the verdict and, for B-T,
the signature time-stamp's.

usage: cades_pyhanko.py DATA SIGNATURE.p7s ROOT.pem
"""
import asyncio
import sys

from asn1crypto import cms
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

data = open(sys.argv[1], "rb").read()
signed = cms.ContentInfo.load(open(sys.argv[2], "rb").read())["content"]
root = load_cert_from_pemder(sys.argv[3])
# Offline: revocation is soft-fail here (the OCSP/CRL tests cover status online).
vc = ValidationContext(trust_roots=[root], revocation_mode="soft-fail")
status = asyncio.run(
    async_validate_detached_cms(data, signed, signer_validation_context=vc, ts_validation_context=vc)
)
print(f"signature intact={status.intact} valid={status.valid} trusted={status.trusted}")
ts = status.timestamp_validity
if ts is not None:
    print(f"timestamp intact={ts.intact} valid={ts.valid} trusted={ts.trust_problem_indic is None}")
