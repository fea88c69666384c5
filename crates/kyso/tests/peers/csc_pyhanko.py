"""pyHanko's CSC client against `kyso serve`: sign a PDF with a remote credential, PIN + OTP.

usage: csc_pyhanko.py BASE_URL API_VER CLIENT_ID CLIENT_SECRET CREDENTIAL_ID PIN TOTP_SECRET IN.pdf OUT.pdf
"""
import asyncio
import base64
import hashlib
import hmac
import struct
import sys
import time

import aiohttp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationManager,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)


def totp(secret_b32: str, at: float) -> str:
    """RFC 6238, SHA-1, 6 digits, 30 s (written here, independently of kyso)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10**6
    return f"{code:06d}"


class PinOtpAuthorization(CSCAuthorizationManager):
    def __init__(self, session_info, credential_info, http, pin, totp_secret):
        super().__init__(session_info, credential_info)
        self.http = http
        self.pin = pin
        self.totp_secret = totp_secret

    async def authorize_signature(self, hash_b64s):
        request = self.format_csc_auth_request(
            num_signatures=len(hash_b64s),
            hash_b64s=hash_b64s,
            pin=self.pin,
            otp=totp(self.totp_secret, time.time()),
        )
        url = self.csc_session_info.endpoint_url("credentials/authorize")
        async with self.http.post(url, json=request, headers=self.auth_headers) as r:
            body = await r.json()
            if r.status != 200:
                raise SystemExit(f"authorize failed: {r.status} {body}")
            return self.parse_csc_auth_response(body)


async def main():
    base, ver, client_id, secret, credential_id, pin, totp_secret, src, dst = sys.argv[1:]
    async with aiohttp.ClientSession() as http:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        async with http.post(f"{base}/csc/{ver}/oauth2/token", data=form) as r:
            token = (await r.json())["access_token"]
        session_info = CSCServiceSessionInfo(base, credential_id, oauth_token=token, api_ver=ver)
        credential_info = await fetch_certs_in_csc_credential(http, session_info)
        auth = PinOtpAuthorization(session_info, credential_info, http, pin, totp_secret)
        signer = CSCSigner(http, auth)
        with open(src, "rb") as f:
            writer = IncrementalPdfFileWriter(f)
            meta = signers.PdfSignatureMetadata(field_name="KySo", reason="Ký số từ xa (kyso)")
            with open(dst, "wb") as out:
                await signers.async_sign_pdf(writer, meta, signer=signer, output=out)
    print("signed", dst)


asyncio.run(main())
