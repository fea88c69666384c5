//! CAdES-B-B detached signatures (`.p7s`) made with a citizen's credential: the content's
//! digest is computed by the caller (streaming), the signed attributes here, and only the
//! hash of the signed attributes goes through the same authorise → signHash path as any
//! relying party's request (PIN [+ OTP], SAD, transparency log).

use crate::{RemoteError, RemoteSigning, random_token, transactions};
use base64::Engine as _;
use kyso_pki::cms::{DetachedSignature, SignerParts};
use kyso_store::credentials::ClientRecord;

/// The relying party under which kyso's own command line signs (shown in the log).
pub const CLI_CLIENT: &str = "kyso-cli";

impl RemoteSigning {
    async fn cli_client(&self) -> Result<(), RemoteError> {
        if self.ca.store().get_client(CLI_CLIENT).await?.is_some() {
            return Ok(());
        }
        let record = ClientRecord {
            client_id: CLI_CLIENT.into(),
            name: "kyso (dòng lệnh)".into(),
            // No secret opens it: it is used only in-process.
            secret_hash: random_token().into_bytes(),
            callback_url: None,
            purpose: "other".into(),
            created_at: self.now(),
        };
        match self.ca.store().insert_client(&record).await {
            Ok(()) | Err(kyso_store::StoreError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A CAdES detached signature over content with SHA-256 `content_digest`, made with
    /// `credential_id` under the citizen's PIN [+ OTP]: B-B; B-T adds a token from kyso's
    /// TSA over the signature value; B-LT also the certificates, OCSP responses and CRLs
    /// validation needs (certificate-values, revocation-values). B-LTA is for PDFs (a
    /// document time-stamp) and is refused here. Returns the DER `.p7s`.
    pub async fn sign_detached(
        &self,
        credential_id: &str,
        content_digest: &[u8],
        pin: &str,
        otp: Option<&str>,
        level: crate::documents::Level,
    ) -> Result<Vec<u8>, RemoteError> {
        use crate::documents::Level;
        if level == Level::BLTA {
            return Err(RemoteError::InvalidRequest(
                "detached signatures are made at B-B, B-T or B-LT (B-LTA's archive time-stamp is for PDFs)".into(),
            ));
        }
        let time_stamp = level >= Level::BT;
        self.cli_client().await?;
        let info = self.info(credential_id).await?;
        let scheme = info.algorithm.default_scheme();
        let parts = SignerParts::new(&info.chain_der[0], &info.chain_der[1..], scheme)
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        let pending = DetachedSignature::prepare(parts, content_digest, self.now())
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        let signature = self
            .credential_signature(credential_id, &pending.to_be_signed_digest(), pin, otp)
            .await?;
        let token = if time_stamp {
            Some(
                self.time_stamp(&kyso_pki::tsp::ImprintHash::Sha256.digest(&signature))
                    .await?,
            )
        } else {
            None
        };
        let validation = if level >= Level::BLT {
            let mut certs = info.chain_der.clone();
            certs.extend(self.tsa_chain()?);
            let responder =
                kyso_ca::ocsp::OcspResponder::new(&self.ca, kyso_ca::ocsp::OcspConfig::default())
                    .await?;
            let material = self.ca.validation_material(&responder, &certs).await?;
            Some(kyso_pki::cms::ValidationValues {
                certificates: material.certs,
                crls: material.crls,
                ocsp_responses: material.ocsps,
            })
        } else {
            None
        };
        pending
            .finish_with(&signature, token.as_deref(), validation.as_ref())
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))
    }
}

impl RemoteSigning {
    /// Signs `tbs_digest` (the hash of signed attributes) with a citizen's credential: the
    /// same authorise → signHash path a relying party takes, under client `kyso-cli`.
    pub(crate) async fn credential_signature(
        &self,
        credential_id: &str,
        tbs_digest: &[u8],
        pin: &str,
        otp: Option<&str>,
    ) -> Result<Vec<u8>, RemoteError> {
        self.cli_client().await?;
        let info = self.info(credential_id).await?;
        let tbs = base64::engine::general_purpose::STANDARD.encode(tbs_digest);
        let auth = self
            .authorize(
                CLI_CLIENT,
                credential_id,
                1,
                std::slice::from_ref(&tbs),
                Some(pin),
                otp,
            )
            .await?;
        let algo = transactions::default_sign_algo(info.algorithm);
        let signature = self
            .sign_hash(
                CLI_CLIENT,
                credential_id,
                &auth.sad,
                &[tbs],
                algo,
                None,
                None,
            )
            .await?;
        base64::engine::general_purpose::STANDARD
            .decode(&signature[0])
            .map_err(|_| RemoteError::Storage("signature is not base64".into()))
    }

    /// A time-stamp token from kyso's TSA over a SHA-256 `digest`.
    pub(crate) async fn time_stamp(&self, digest: &[u8]) -> Result<Vec<u8>, RemoteError> {
        let tsa = self
            .tsa
            .get_or_try_init(|| kyso_ca::tsa::TimeStampAuthority::new(&self.ca))
            .await?;
        let query = kyso_pki::tsp::request_for_digest(
            kyso_pki::tsp::ImprintHash::Sha256,
            digest,
            None,
            true,
        )
        .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        let answer = tsa.respond(&query).await;
        kyso_pki::tsp::token_of(&answer.body)
            .ok_or_else(|| RemoteError::Storage(format!("the TSA refused: {}", answer.outcome)))
    }
}
