"""AdES long-term validation of every signature in a PDF, offline: pyHanko's
`ades_lta_validation` with revocation information required and taken only from the file
(the DSS and the CMS), never fetched. Prints one line per signature:
    FIELD ades=<AdES sub-indication> poe=<time of the oldest document time-stamp> summary=...
usage: pades_ades.py FILE ROOT.pem"""
import asyncio
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

path, root_pem = sys.argv[1], sys.argv[2]
policy = CertValidationPolicySpec(
    trust_manager=SimpleTrustManager.build(trust_roots=[load_cert_from_pemder(root_pem)]),
    revinfo_policy=CertRevTrustPolicy(
        REQUIRE_REVINFO,
        freshness=None,
        freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
    ),
)
spec = PdfSignatureValidationSpec(
    signature_validation_spec=SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
        ),
    ),
    diff_policy=DEFAULT_DIFF_POLICY,
)
with open(path, "rb") as f:
    reader = PdfFileReader(f)
    for sig in reader.embedded_regular_signatures:
        result = asyncio.run(
            ades_lta_validation(sig, spec, timing_info=ValidationTimingInfo.now())
        )
        summary = result.api_status.summary() if result.api_status else None
        print(
            f"{sig.field_name} ades={result.ades_subindic} "
            f"poe={result.oldest_evidence_record_timestamp} summary={summary} "
            f"failure={result.failure_msg}"
        )
