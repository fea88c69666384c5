//! The OCSP responder service: status from the store, signatures by the delegated OCSP
//! signers, and a cache of pre-signed responses that follows the store.
//!
//! # Why a cache, and why it is safe
//!
//! A relying party asks about the same certificate again and again, and the answer changes
//! only when the certificate's status does. So the response for a CertID is signed once and
//! served to every request for it (a hash lookup, no signature, no database read) until one
//! of two things happens:
//!
//! - **the status changes**: a background task reads the store's status changes every
//!   [`POLL_INTERVAL`] (`Store::status_changes_after`, in commit order, so none is missed,
//!   whichever process made the change) and drops the cached responses of those serials;
//!   the next request signs the new status. A change is therefore visible within about
//!   0.2 s. A request that read the old status while the change committed cannot put it
//!   back: each cache shard carries a generation, bumped on every drop, and a response is
//!   cached only if the generation it started from is unchanged.
//! - **it ages**: a response is served for at most three quarters of its validity
//!   (`nextUpdate - thisUpdate`), and the same task re-signs cached responses once half
//!   their validity has passed, so clients never receive one close to expiry.
//!
//! Responses with a nonce, with several CertIDs, or for unknown serials are signed per
//! request (a nonce makes each unique; unknown serials may be issued a moment later).

use crate::{Ca, CaError};
use bytes::Bytes;
use kyso_core::{CertStatus, RevocationReason, UnixTime};
use kyso_pki::ocsp::{
    CertId, ErrorStatus, IssuerMatcher, ResponseSigner, SingleResponse, SingleStatus,
    error_response, parse_request,
};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

/// How often the responder reads the store's status changes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Cache shards (by the last octet of the serial, like CRL shards).
const SHARDS: usize = 64;

/// Responder settings (`kyso serve --ocsp-*`).
#[derive(Debug, Clone, Copy)]
pub struct OcspConfig {
    /// `nextUpdate - thisUpdate` of every response, in seconds.
    pub validity_seconds: i64,
    /// Most responses kept pre-signed.
    pub max_cached: usize,
}

impl Default for OcspConfig {
    fn default() -> Self {
        OcspConfig {
            validity_seconds: 3600,
            max_cached: 1_000_000,
        }
    }
}

/// An issuing CA this responder answers for.
#[derive(Debug)]
struct Served {
    slug: String,
    matcher: IssuerMatcher,
    signer: ResponseSigner,
}

#[derive(Debug, Clone)]
struct Cached {
    cert_id_der: Vec<u8>,
    served: usize,
    status: SingleStatus,
    answer: OcspAnswer,
}

#[derive(Debug, Default)]
struct Shard {
    generation: u64,
    len: usize,
    by_serial: HashMap<Vec<u8>, Vec<Cached>>,
}

/// What the responder answers, with what an HTTP layer needs for caching headers.
#[derive(Debug, Clone)]
pub struct OcspAnswer {
    /// The DER OCSPResponse.
    pub body: Bytes,
    /// thisUpdate and nextUpdate of a response every client may share (no nonce).
    pub shareable: Option<(UnixTime, UnixTime)>,
    /// How the answer was produced, for metrics: `cached`, `signed`, `malformed`,
    /// `unauthorized`, `error`.
    pub outcome: &'static str,
}

impl OcspAnswer {
    fn error(status: ErrorStatus, outcome: &'static str) -> Self {
        OcspAnswer {
            body: Bytes::from(error_response(status)),
            shareable: None,
            outcome,
        }
    }
}

/// The OCSP responder.
#[derive(Debug)]
pub struct OcspResponder {
    ca: Ca,
    served: Vec<Served>,
    config: OcspConfig,
    shards: Vec<RwLock<Shard>>,
    cursor: tokio::sync::Mutex<i64>,
}

impl OcspResponder {
    /// A responder for every issuing CA of `ca` that has a delegated signer `ocsp-<ca>`.
    pub async fn new(ca: &Ca, config: OcspConfig) -> Result<Self, CaError> {
        if config.validity_seconds < 60 {
            return Err(CaError::Config(
                "OCSP response validity must be at least 60 seconds".into(),
            ));
        }
        let mut served = Vec::new();
        for slug in ca.issuing_ca_slugs() {
            let slug = slug.as_str();
            let issuer = ca
                .issuer(slug)
                .ok_or_else(|| CaError::BrokenAuthority(slug.into()))?;
            let signer_slug = format!("ocsp-{slug}");
            let signer = ca
                .signer(&signer_slug)
                .ok_or(CaError::BrokenAuthority(signer_slug))?;
            served.push(Served {
                slug: slug.to_owned(),
                matcher: IssuerMatcher::new(&issuer.cert_der)?,
                signer: ResponseSigner::new(signer.clone())?,
            });
        }
        // Changes made before now are already in the store, which is where a cache miss
        // reads: only later ones need following.
        let cursor = ca.store().last_status_change_id().await?;
        Ok(OcspResponder {
            ca: ca.clone(),
            served,
            config,
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            cursor: tokio::sync::Mutex::new(cursor),
        })
    }

    /// Settings in force.
    pub fn config(&self) -> OcspConfig {
        self.config
    }

    fn shard(&self, serial: &[u8]) -> &RwLock<Shard> {
        &self.shards[usize::from(serial.last().copied().unwrap_or(0)) % SHARDS]
    }

    /// Answers a DER OCSPRequest. Never fails: problems become OCSP error statuses.
    pub async fn respond(&self, request: &[u8]) -> OcspAnswer {
        let req = match parse_request(request) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, "malformed OCSP request");
                return OcspAnswer::error(ErrorStatus::MalformedRequest, "malformed");
            }
        };
        let matched: Vec<Option<usize>> = req
            .cert_ids
            .iter()
            .map(|id| self.served.iter().position(|s| s.matcher.matches(id)))
            .collect();
        // The response is signed by the delegate of the first CA kyso serves; CertIDs of
        // other issuers are `unknown` to it (RFC 6960 §2.2).
        let Some(served) = matched.iter().flatten().next().copied() else {
            return OcspAnswer::error(ErrorStatus::Unauthorized, "unauthorized");
        };
        let now = self.ca.clock().now();
        let single = req.cert_ids.len() == 1 && req.nonce.is_none();
        if single && let Some(hit) = self.lookup(&req.cert_ids[0], now) {
            return hit;
        }
        match self
            .sign_fresh(
                &req.cert_ids,
                &matched,
                served,
                req.nonce.as_deref(),
                now,
                single,
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(error = %e, "OCSP response could not be produced");
                OcspAnswer::error(ErrorStatus::InternalError, "error")
            }
        }
    }

    /// A cached response for `id` young enough to serve.
    fn lookup(&self, id: &CertId, now: UnixTime) -> Option<OcspAnswer> {
        let shard = self.shard(&id.serial).read().expect("OCSP cache lock");
        let entry = shard
            .by_serial
            .get(&id.serial)?
            .iter()
            .find(|c| c.cert_id_der == id.der)?;
        let (this_update, _) = entry.answer.shareable?;
        // Served for three quarters of the validity at most; re-signed from one half.
        (now.seconds() < this_update.seconds() + self.config.validity_seconds * 3 / 4).then(|| {
            OcspAnswer {
                outcome: "cached",
                ..entry.answer.clone()
            }
        })
    }

    async fn status_of(&self, served: usize, id: &CertId) -> Result<SingleStatus, CaError> {
        let Some(serial) = id.serial_hex() else {
            return Ok(SingleStatus::Unknown);
        };
        let Some(cert) = self.ca.store().get_certificate(&serial).await? else {
            return Ok(SingleStatus::Unknown);
        };
        // A serial another CA issued is not one this CA knows.
        if cert.issuer != self.served[served].slug {
            return Ok(SingleStatus::Unknown);
        }
        let since = cert.status_changed_at.unwrap_or(cert.created_at);
        Ok(match cert.status {
            CertStatus::Valid => SingleStatus::Good,
            CertStatus::Suspended => SingleStatus::Revoked {
                since,
                reason: Some(RevocationReason::CertificateHold),
            },
            CertStatus::Revoked => SingleStatus::Revoked {
                since,
                reason: cert.status_reason,
            },
        })
    }

    async fn sign_fresh(
        &self,
        ids: &[CertId],
        matched: &[Option<usize>],
        served: usize,
        nonce: Option<&[u8]>,
        now: UnixTime,
        cacheable: bool,
    ) -> Result<OcspAnswer, CaError> {
        // Read before the status: a drop after this point forbids caching what we read.
        let generation = cacheable.then(|| {
            self.shard(&ids[0].serial)
                .read()
                .expect("OCSP cache lock")
                .generation
        });
        let mut statuses = Vec::with_capacity(ids.len());
        for (id, m) in ids.iter().zip(matched) {
            statuses.push(if *m == Some(served) {
                self.status_of(served, id).await?
            } else {
                SingleStatus::Unknown
            });
        }
        let ders: Vec<&[u8]> = ids.iter().map(|id| id.der.as_slice()).collect();
        let answer = self.sign(served, &ders, &statuses, nonce, now)?;
        if let Some(generation) = generation
            && statuses[0] != SingleStatus::Unknown
        {
            self.insert(
                generation,
                &ids[0].serial,
                Cached {
                    cert_id_der: ids[0].der.clone(),
                    served,
                    status: statuses[0],
                    answer: answer.clone(),
                },
            );
        }
        Ok(answer)
    }

    /// Signs one response answering `cert_ids` (the CertIDs as received) with `statuses`.
    fn sign(
        &self,
        served: usize,
        cert_ids: &[&[u8]],
        statuses: &[SingleStatus],
        nonce: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<OcspAnswer, CaError> {
        let next_update = now.plus_seconds(self.config.validity_seconds);
        let singles: Vec<SingleResponse<'_>> = cert_ids
            .iter()
            .zip(statuses)
            .map(|(id, status)| SingleResponse {
                cert_id_der: id,
                status: *status,
                this_update: now,
                next_update,
            })
            .collect();
        let body =
            self.served[served]
                .signer
                .sign(self.ca.keystore().as_ref(), &singles, nonce, now)?;
        Ok(OcspAnswer {
            body: Bytes::from(body),
            shareable: nonce.is_none().then_some((now, next_update)),
            outcome: "signed",
        })
    }

    fn insert(&self, generation: u64, serial: &[u8], entry: Cached) {
        let mut shard = self.shard(serial).write().expect("OCSP cache lock");
        if shard.generation != generation {
            return;
        }
        let per_shard = self.config.max_cached.div_ceil(SHARDS).max(1);
        if shard.len >= per_shard {
            // Full: make room by dropping some serial's responses (an arbitrary one; hot
            // serials come straight back).
            if let Some(victim) = shard.by_serial.keys().next().cloned()
                && let Some(gone) = shard.by_serial.remove(&victim)
            {
                shard.len -= gone.len();
            }
        }
        let list = shard.by_serial.entry(serial.to_vec()).or_default();
        match list.iter_mut().find(|c| c.cert_id_der == entry.cert_id_der) {
            Some(existing) => *existing = entry,
            None => {
                list.push(entry);
                shard.len += 1;
            }
        }
    }

    /// Drops the cached responses of every certificate whose status changed since the last
    /// call. Returns how many changes were read.
    pub async fn follow_status_changes(&self) -> Result<usize, CaError> {
        let mut cursor = self.cursor.lock().await;
        let mut seen = 0;
        loop {
            let changes = self.ca.store().status_changes_after(*cursor, 1000).await?;
            for (id, serial_hex) in &changes {
                if let Ok(serial) = hex::decode(serial_hex) {
                    // Serials are stored without the DER sign octet; CertIDs carry it.
                    let mut padded = vec![0u8];
                    padded.extend_from_slice(&serial);
                    let mut shard = self.shard(&serial).write().expect("OCSP cache lock");
                    shard.generation += 1;
                    for key in [serial.as_slice(), padded.as_slice()] {
                        if let Some(gone) = shard.by_serial.remove(key) {
                            shard.len -= gone.len();
                        }
                    }
                }
                *cursor = *id;
            }
            seen += changes.len();
            if changes.len() < 1000 {
                return Ok(seen);
            }
        }
    }

    /// Re-signs the cached responses that have passed half their validity. Returns how
    /// many were re-signed.
    pub fn refresh(&self) -> Result<usize, CaError> {
        let now = self.ca.clock().now();
        let due_after = self.config.validity_seconds / 2;
        let mut refreshed = 0;
        for shard in &self.shards {
            let (generation, due): (u64, Vec<(Vec<u8>, Cached)>) = {
                let s = shard.read().expect("OCSP cache lock");
                let due = s
                    .by_serial
                    .iter()
                    .flat_map(|(serial, list)| list.iter().map(move |c| (serial, c)))
                    .filter(|(_, c)| {
                        c.answer
                            .shareable
                            .is_some_and(|(t, _)| now.seconds() - t.seconds() >= due_after)
                    })
                    .map(|(serial, c)| (serial.clone(), c.clone()))
                    .collect();
                (s.generation, due)
            };
            for (serial, old) in due {
                let answer =
                    self.sign(old.served, &[&old.cert_id_der], &[old.status], None, now)?;
                self.insert(generation, &serial, Cached { answer, ..old });
                refreshed += 1;
            }
        }
        Ok(refreshed)
    }

    /// Number of responses held pre-signed.
    pub fn cached(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().expect("OCSP cache lock").len)
            .sum()
    }

    /// Follows status changes every [`POLL_INTERVAL`] and refreshes ageing responses, until
    /// the returned task is aborted.
    pub fn spawn_maintenance(self: std::sync::Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks: u64 = 0;
            // Refresh a few times per half-validity (at least once a minute).
            let refresh_every = ((self.config.validity_seconds as u64 * 1000 / 8)
                / POLL_INTERVAL.as_millis() as u64)
                .clamp(1, 300);
            loop {
                tokio::time::sleep(POLL_INTERVAL).await;
                if let Err(e) = self.follow_status_changes().await {
                    tracing::warn!(error = %e, "OCSP: reading status changes failed; retrying");
                }
                ticks += 1;
                if ticks.is_multiple_of(refresh_every) {
                    let me = self.clone();
                    match tokio::task::spawn_blocking(move || me.refresh()).await {
                        Ok(Ok(n)) if n > 0 => tracing::debug!(n, "OCSP: responses re-signed"),
                        Ok(Err(e)) => tracing::warn!(error = %e, "OCSP: re-signing failed"),
                        _ => {}
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InitOptions, IssueRequest, KeySource};
    use kyso_core::{Cccd, FixedClock, PersonName, SubjectIdentifier, TextField};
    use kyso_keys::KeyAlgorithm;
    use kyso_pki::ocsp::{CertIdHash, build_request};
    use std::sync::Arc;

    async fn responder() -> (OcspResponder, Ca, Vec<u8>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = kyso_store::open(&format!("sqlite:{}", dir.path().join("k.db").display()))
            .await
            .unwrap();
        let keys = Arc::new(kyso_keys::soft::SoftKeyStore::new(
            kyso_keys::kek::Kek::load_or_create(&dir.path().join("kek")).unwrap(),
        ));
        let opts = InitOptions {
            algorithm: KeyAlgorithm::P256,
            public_url: "http://ca.kyso.vn".into(),
            organisation: "kyso test".into(),
            operator_policy: None,
            crl_shards: 2,
        };
        let clock = Arc::new(FixedClock::new(UnixTime(1_795_459_507)));
        let ca = Ca::init(store, keys, clock, &opts, vec![]).await.unwrap();
        let issued = ca
            .issue(&IssueRequest {
                issuer: None,
                profile: kyso_pki::Profile::Citizen,
                subject: kyso_pki::SubjectSpec::Person {
                    name: PersonName::parse("Lê Văn Tám").unwrap(),
                    id: SubjectIdentifier::Cccd(Cccd::parse("046190000401").unwrap()),
                    province: TextField::parse("province", "Huế", 128).unwrap(),
                    locality: None,
                },
                key: KeySource::Generate(KeyAlgorithm::P256),
                validity_days: None,
            })
            .await
            .unwrap();
        let serial = hex::decode(&issued.record.serial).unwrap();
        let r = OcspResponder::new(&ca, OcspConfig::default())
            .await
            .unwrap();
        (r, ca, serial, dir)
    }

    /// A response computed from a status read before a change must not be cached after the
    /// change was followed: otherwise the old status would be served for the validity.
    #[tokio::test]
    async fn a_response_read_before_a_change_is_not_cached_after_it() {
        let (r, ca, serial, _dir) = responder().await;
        let issuer = ca.issuer("citizen-ca").unwrap().cert_der.clone();
        let req = build_request(CertIdHash::Sha1, &issuer, &[&serial], None).unwrap();
        let id = kyso_pki::ocsp::parse_request(&req)
            .unwrap()
            .cert_ids
            .remove(0);
        let now = ca.clock().now();
        // A request reads the generation and the (good) status …
        let generation = r.shard(&id.serial).read().unwrap().generation;
        let stale = r
            .sign(0, &[id.der.as_slice()], &[SingleStatus::Good], None, now)
            .unwrap();
        // … meanwhile the certificate is suspended and the responder follows the change …
        ca.suspend(&issued_hex(&serial)).await.unwrap();
        assert_eq!(r.follow_status_changes().await.unwrap(), 1);
        // … so the stale answer is dropped instead of cached.
        r.insert(
            generation,
            &id.serial,
            Cached {
                cert_id_der: id.der.clone(),
                served: 0,
                status: SingleStatus::Good,
                answer: stale,
            },
        );
        assert_eq!(r.cached(), 0);
        assert!(r.lookup(&id, now).is_none());
        // A fresh request reads the new status.
        let answer = r.respond(&req).await;
        let d = kyso_pki::ocsp::decode_response(&answer.body).unwrap();
        assert!(matches!(d.answers[0].1, SingleStatus::Revoked { .. }));
        assert_eq!(r.cached(), 1);
    }

    fn issued_hex(serial: &[u8]) -> String {
        hex::encode(serial)
    }
}
