//! Long-term validation material (PAdES B-LT, CAdES B-LT): the certificates of the chains
//! a signature relies on and, for each certificate that can be revoked, kyso's own proof of
//! its status — an OCSP response for end-entity certificates, the root's CRL for the
//! issuing CAs. The OCSP responders' certificates carry id-pkix-ocsp-nocheck and need none.

use crate::{Ca, CaError, ocsp::OcspResponder};
use der::{Decode as _, Encode as _};
use kyso_pki::PkiError;
use kyso_pki::ocsp::{CertIdHash, build_request, decode_response};
use x509_cert::Certificate;

/// Certificates, OCSP responses and CRLs (all DER) to embed next to a signature.
#[derive(Debug, Clone, Default)]
pub struct ValidationMaterial {
    /// Every certificate of the chains, and the OCSP responders' certificates.
    pub certs: Vec<Vec<u8>>,
    /// OCSP responses for the end-entity certificates.
    pub ocsps: Vec<Vec<u8>>,
    /// CRLs for the issuing CAs.
    pub crls: Vec<Vec<u8>>,
}

impl ValidationMaterial {
    fn add_cert(&mut self, der: &[u8]) {
        if !self.certs.iter().any(|c| c == der) {
            self.certs.push(der.to_vec());
        }
    }
}

impl Ca {
    /// The validation material for `certs` (end-entity certificates and their chains, in
    /// any order), with status as of now from `responder` and the root's CRL.
    pub async fn validation_material(
        &self,
        responder: &OcspResponder,
        certs: &[Vec<u8>],
    ) -> Result<ValidationMaterial, CaError> {
        let mut material = ValidationMaterial::default();
        let root = self
            .issuer("root")
            .ok_or_else(|| CaError::BrokenAuthority("root".into()))?;
        let root_subject = subject_der(&root.cert_der)?;
        let mut root_crl_needed = false;
        let mut seen_serials = Vec::new();
        for der in certs {
            material.add_cert(der);
            let cert = Certificate::from_der(der).map_err(PkiError::from)?;
            let tbs = cert.tbs_certificate();
            let issuer = tbs.issuer().to_der().map_err(PkiError::from)?;
            if issuer == tbs.subject().to_der().map_err(PkiError::from)? {
                continue; // self-signed: a trust anchor, nothing to prove
            }
            if issuer == root_subject {
                root_crl_needed = true;
                material.add_cert(&root.cert_der);
                continue;
            }
            let serial = tbs.serial_number().as_bytes().to_vec();
            if seen_serials.contains(&serial) {
                continue;
            }
            seen_serials.push(serial.clone());
            let slugs = self.issuing_ca_slugs();
            let Some(ca) = slugs.iter().find_map(|slug| {
                self.issuer(slug)
                    .filter(|i| subject_der(&i.cert_der).is_ok_and(|s| s == issuer))
            }) else {
                return Err(CaError::Config(format!(
                    "certificate {} was not issued by a kyso authority; its status cannot be embedded",
                    hex::encode(&serial)
                )));
            };
            material.add_cert(&ca.cert_der);
            root_crl_needed = true;
            let request = build_request(CertIdHash::Sha1, &ca.cert_der, &[&serial], None)?;
            let answer = responder.respond(&request).await;
            let decoded = decode_response(&answer.body)?;
            if decoded.response_status != 0 {
                return Err(CaError::Config(format!(
                    "the OCSP responder answered status {} for {}",
                    decoded.response_status,
                    hex::encode(&serial)
                )));
            }
            material.ocsps.push(answer.body.to_vec());
            if let Some(signer) = self.signer(&format!("ocsp-{}", ca.slug)) {
                material.add_cert(&signer.cert_der);
            }
        }
        if root_crl_needed {
            material.crls.push(self.crl("root", None).await?);
        }
        Ok(material)
    }
}

fn subject_der(cert_der: &[u8]) -> Result<Vec<u8>, CaError> {
    let cert = Certificate::from_der(cert_der).map_err(PkiError::from)?;
    Ok(cert
        .tbs_certificate()
        .subject()
        .to_der()
        .map_err(PkiError::from)?)
}
