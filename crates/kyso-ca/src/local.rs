//! The deployment's own revocation URLs answered in process: a validator running inside
//! kyso (the officer's check of a dossier, tests) asks the OCSP responder and builds the
//! CRL itself instead of making an HTTP request to its own server.

use crate::Ca;
use crate::ocsp::OcspResponder;
use std::sync::Arc;

/// A [`kyso_verify::Fetcher`] for this deployment's OCSP and CRL URLs. Called on a
/// blocking thread (validation is synchronous), it waits on the runtime it was made on.
#[derive(Debug, Clone)]
pub struct LocalFetcher {
    ca: Arc<Ca>,
    responder: Arc<OcspResponder>,
    runtime: tokio::runtime::Handle,
}

impl LocalFetcher {
    /// A fetcher over `ca` and its `responder`, on the current Tokio runtime.
    pub fn new(ca: Arc<Ca>, responder: Arc<OcspResponder>) -> Self {
        LocalFetcher {
            ca,
            responder,
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

impl kyso_verify::Fetcher for LocalFetcher {
    /// Any OCSP URL: the request names the issuer, and the responder answers only for
    /// this deployment's authorities.
    fn ocsp(&self, _url: &str, request: &[u8]) -> Option<Vec<u8>> {
        Some(
            self.runtime
                .block_on(self.responder.respond(request))
                .body
                .to_vec(),
        )
    }

    /// `…/crl/<ca>.crl` or `…/crl/<ca>/<shard>.crl`, as the CA writes them (the issuing
    /// CAs' own certificates have no OCSP: their status is the root's CRL).
    fn crl(&self, url: &str) -> Option<Vec<u8>> {
        let (slug, shard) = kyso_pki::urls::crl_scope(url)?;
        self.runtime.block_on(self.ca.crl(slug, shard)).ok()
    }
}
