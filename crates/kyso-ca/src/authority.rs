use crate::settings as keys;
use crate::{CaError, pem};
use kyso_core::{Clock, RevocationReason, StatusChange, TextField, UnixTime};
use kyso_keys::{KeyAlgorithm, KeyRecord, KeyRole, KeyStore, SignatureAlgorithm};
use kyso_pki::crl::{CrlEntry, CrlScope, build_crl};
use kyso_pki::issue::SignedBy;
use kyso_pki::{
    CertTemplate, Issuer, Profile, SubjectSpec, Urls, csr, issue_certificate, random_serial,
};
use kyso_store::{AuthorityRecord, CertificateRecord, NewAuthority, NewIssuance, Store};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The authorities `kyso ca init` creates: (slug, role, profile, issuer slug, common name).
const AUTHORITIES: [(&str, &str, Profile, &str, &str); 6] = [
    ("root", "root", Profile::Root, "root", "kyso Root CA"),
    (
        "citizen-ca",
        "issuing-ca",
        Profile::IssuingCa,
        "root",
        "kyso Citizen CA",
    ),
    (
        "seal-ca",
        "issuing-ca",
        Profile::IssuingCa,
        "root",
        "kyso Organisation Seal CA",
    ),
    (
        "ocsp-citizen-ca",
        "ocsp",
        Profile::OcspSigner,
        "citizen-ca",
        "kyso OCSP Responder (Citizen CA)",
    ),
    (
        "ocsp-seal-ca",
        "ocsp",
        Profile::OcspSigner,
        "seal-ca",
        "kyso OCSP Responder (Seal CA)",
    ),
    (
        "tsa",
        "tsa",
        Profile::Tsa,
        "seal-ca",
        "kyso Time-Stamping Authority",
    ),
];

/// Slugs of the authorities created by [`Ca::init`], in creation order.
pub fn authority_slugs() -> Vec<&'static str> {
    AUTHORITIES.iter().map(|a| a.0).collect()
}

/// Options of `kyso ca init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Algorithm of every authority key.
    pub algorithm: KeyAlgorithm,
    /// Public base URL for AIA and CRL distribution points.
    pub public_url: String,
    /// Operator organisation written in authority subjects.
    pub organisation: String,
    /// The operator's own certificate policy OID, if any.
    pub operator_policy: Option<String>,
    /// CRL shards per issuing CA.
    pub crl_shards: u16,
}

/// Where the subscriber's key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// The subscriber holds the key and sent a PKCS#10 request (PEM or DER).
    Csr(Vec<u8>),
    /// Generate the key in custody.
    Generate(KeyAlgorithm),
}

/// A request to issue a subscriber certificate.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// `citizen` or `seal`.
    pub profile: Profile,
    /// Verified subject.
    pub subject: SubjectSpec,
    /// Key source.
    pub key: KeySource,
    /// Validity in days (profile default if None).
    pub validity_days: Option<u32>,
    /// The issuing CA: a provider's (its id) for a citizen certificate; `None` for kyso's
    /// own CA of the profile.
    pub issuer: Option<String>,
}

/// The result of an issuance.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The stored certificate.
    pub record: CertificateRecord,
    /// The key generated in custody (the credential), if any.
    pub key: Option<KeyRecord>,
}

/// A loaded certificate authority.
#[derive(Debug, Clone)]
pub struct Ca {
    store: Arc<dyn Store>,
    keystore: Arc<dyn KeyStore>,
    clock: Arc<dyn Clock>,
    urls: Urls,
    crl_shards: u16,
    issuers: HashMap<String, Issuer>,
    /// The OCSP signers and the TSA: certificates and keys that sign, but issue nothing.
    signers: HashMap<String, Issuer>,
    authorities: Vec<AuthorityRecord>,
}

fn parse_policy(s: &str) -> Result<const_oid::ObjectIdentifier, CaError> {
    const_oid::ObjectIdentifier::new(s)
        .map_err(|e| CaError::Config(format!("policy OID {s:?}: {e}")))
}

impl Ca {
    /// Creates the root, the issuing CAs (citizens, organisation seals), their delegated
    /// OCSP signers and the TSA, and records the deployment settings. Refuses to run twice.
    ///
    /// Everything is built first and recorded in one transaction together with the
    /// deployment settings (`extra_settings` carries the keystore's), so a failure at any
    /// step leaves the store as it was.
    pub async fn init(
        store: Arc<dyn Store>,
        keystore: Arc<dyn KeyStore>,
        clock: Arc<dyn Clock>,
        opts: &InitOptions,
        extra_settings: Vec<(&'static str, String)>,
    ) -> Result<Ca, CaError> {
        ensure_not_initialised(store.as_ref()).await?;
        if !(1..=MAX_CRL_SHARDS).contains(&opts.crl_shards) {
            return Err(CaError::Config(format!(
                "--crl-shards must be between 1 and {MAX_CRL_SHARDS}"
            )));
        }
        check_public_url(&opts.public_url)?;
        let mut urls = Urls::new(&opts.public_url);
        urls.operator_policy = opts
            .operator_policy
            .as_deref()
            .map(parse_policy)
            .transpose()?;
        let organisation = TextField::parse("organisation", &opts.organisation, 64)?;
        let now = clock.now();
        let mut issuers: HashMap<String, Issuer> = HashMap::new();
        let mut records = Vec::new();
        for (slug, role, profile, issuer_slug, cn) in AUTHORITIES {
            let signed_by = if slug == "root" {
                None
            } else {
                Some(
                    issuers
                        .get(issuer_slug)
                        .ok_or_else(|| CaError::BrokenAuthority(issuer_slug.into()))?,
                )
            };
            let spec = AuthoritySpec {
                slug,
                role,
                profile,
                issuer_slug,
                organisation: &organisation,
                common_name: cn,
            };
            let (record, issuer) = new_authority(
                keystore.as_ref(),
                &urls,
                opts.algorithm,
                opts.crl_shards,
                &spec,
                signed_by,
                now,
            )?;
            if let Some(issuer) = issuer {
                issuers.insert(slug.to_owned(), issuer);
            }
            records.push(record);
        }
        let mut settings = vec![
            (keys::PUBLIC_URL, urls.base().to_owned()),
            (keys::CRL_SHARDS, opts.crl_shards.to_string()),
        ];
        if let Some(p) = &opts.operator_policy {
            settings.push((keys::OPERATOR_POLICY, p.clone()));
        }
        settings.extend(extra_settings);
        store
            .initialise(&records, &settings)
            .await
            .map_err(|e| match e {
                kyso_store::StoreError::Duplicate(what) => CaError::AlreadyInitialised(what),
                other => other.into(),
            })?;
        Self::load(store, keystore, clock).await
    }

    /// Loads the CA recorded in `store`.
    pub async fn load(
        store: Arc<dyn Store>,
        keystore: Arc<dyn KeyStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Ca, CaError> {
        let authorities = store.authorities().await?;
        if authorities.is_empty() {
            return Err(CaError::NotInitialised);
        }
        let mut urls = Urls::new(
            &store
                .get_setting(keys::PUBLIC_URL)
                .await?
                .unwrap_or_else(|| keys::DEFAULT_PUBLIC_URL.into()),
        );
        urls.operator_policy = store
            .get_setting(keys::OPERATOR_POLICY)
            .await?
            .as_deref()
            .map(parse_policy)
            .transpose()?;
        let crl_shards = match store.get_setting(keys::CRL_SHARDS).await? {
            Some(s) => s
                .parse()
                .ok()
                .filter(|n| (1..=MAX_CRL_SHARDS).contains(n))
                .ok_or_else(|| {
                    CaError::Config(format!(
                        "stored CRL shard count {s:?} is not between 1 and {MAX_CRL_SHARDS}"
                    ))
                })?,
            None => keys::DEFAULT_CRL_SHARDS,
        };
        let mut issuers = HashMap::new();
        let mut signers = HashMap::new();
        for a in &authorities {
            let broken = || CaError::BrokenAuthority(a.slug.clone());
            let cert = store.get_certificate(&a.serial).await?.ok_or_else(broken)?;
            let key = store.get_key(&a.key_id).await?.ok_or_else(broken)?;
            let scheme = SignatureAlgorithm::from_name(&a.scheme).ok_or_else(broken)?;
            keystore.preload(&key)?;
            let loaded = Issuer::new(&a.slug, cert.der, key, Some(scheme))?;
            if a.role == "root" || a.role == "issuing-ca" {
                issuers.insert(a.slug.clone(), loaded);
            } else {
                signers.insert(a.slug.clone(), loaded);
            }
        }
        Ok(Ca {
            store,
            keystore,
            clock,
            urls,
            crl_shards,
            issuers,
            signers,
            authorities,
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The key custodian.
    pub fn keystore(&self) -> &Arc<dyn KeyStore> {
        &self.keystore
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// URLs written into certificates.
    pub fn urls(&self) -> &Urls {
        &self.urls
    }

    /// The authorities of this deployment.
    pub fn authorities(&self) -> &[AuthorityRecord] {
        &self.authorities
    }

    /// An issuing CA (or the root) by slug.
    pub fn issuer(&self, slug: &str) -> Option<&Issuer> {
        self.issuers.get(slug)
    }

    /// The issuing CAs (not the root): kyso's own citizen and seal CAs and every
    /// provider's, in creation order.
    pub fn issuing_ca_slugs(&self) -> Vec<String> {
        self.authorities
            .iter()
            .filter(|a| a.role == "issuing-ca")
            .map(|a| a.slug.clone())
            .collect()
    }

    /// Adds a participating trust-service provider with its own issuing CA (under the
    /// root, `O=<name>`) and the CA's delegated OCSP signer (`ocsp-<id>`), all recorded in
    /// one transaction. `id` is a short lowercase slug (`vnpt-demo`), used in URLs.
    /// Processes started before see the new CA after a restart.
    pub async fn add_provider(
        &self,
        id: &str,
        name: &str,
    ) -> Result<kyso_store::enrolment::ProviderRecord, CaError> {
        let valid_slug = (2..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !id.starts_with('-')
            && !id.starts_with("ocsp-");
        if !valid_slug {
            return Err(CaError::Config(format!(
                "provider id {id:?} must be 2–32 characters of a-z, 0-9 and '-' (not starting with '-' or 'ocsp-')"
            )));
        }
        let taken = |slug: &str| self.authorities.iter().any(|a| a.slug == slug);
        if taken(id) || taken(&format!("ocsp-{id}")) || id == "root" {
            return Err(CaError::Config(format!(
                "{id:?} is already the name of an authority of this deployment"
            )));
        }
        let organisation = TextField::parse("provider name", name, 64)?;
        let root = self
            .issuer("root")
            .ok_or_else(|| CaError::BrokenAuthority("root".into()))?;
        let algorithm = root.key.algorithm;
        let now = self.clock.now();
        let ca_cn = format!("{name} CA");
        let spec = AuthoritySpec {
            slug: id,
            role: "issuing-ca",
            profile: Profile::IssuingCa,
            issuer_slug: "root",
            organisation: &organisation,
            common_name: &ca_cn,
        };
        let (ca_record, ca) = new_authority(
            self.keystore.as_ref(),
            &self.urls,
            algorithm,
            self.crl_shards,
            &spec,
            Some(root),
            now,
        )?;
        let ca = ca.ok_or_else(|| CaError::BrokenAuthority(id.into()))?;
        let ocsp_slug = format!("ocsp-{id}");
        let ocsp_cn = format!("{name} OCSP Responder");
        let spec = AuthoritySpec {
            slug: &ocsp_slug,
            role: "ocsp",
            profile: Profile::OcspSigner,
            issuer_slug: id,
            organisation: &organisation,
            common_name: &ocsp_cn,
        };
        let (ocsp_record, _) = new_authority(
            self.keystore.as_ref(),
            &self.urls,
            algorithm,
            self.crl_shards,
            &spec,
            Some(&ca),
            now,
        )?;
        let provider = kyso_store::enrolment::ProviderRecord {
            id: id.to_owned(),
            name: organisation.as_str().to_owned(),
            issuer: id.to_owned(),
            created_at: now,
        };
        self.store
            .insert_provider(&provider, &[ca_record, ocsp_record])
            .await
            .map_err(|e| match e {
                kyso_store::StoreError::Duplicate(what) => {
                    CaError::Config(format!("{what}: the provider exists already"))
                }
                other => other.into(),
            })?;
        Ok(provider)
    }

    /// An OCSP signer (`ocsp-<ca>`) or the TSA (`tsa`) by slug.
    pub fn signer(&self, slug: &str) -> Option<&Issuer> {
        self.signers.get(slug)
    }

    fn issuer_for(&self, profile: Profile, chosen: Option<&str>) -> Result<&Issuer, CaError> {
        if let Some(slug) = chosen {
            let is_issuing_ca = self
                .authorities
                .iter()
                .any(|a| a.slug == slug && a.role == "issuing-ca");
            if !is_issuing_ca || slug == "seal-ca" || profile != Profile::Citizen {
                return Err(CaError::Config(format!(
                    "{slug:?} is not a provider's issuing CA for citizen certificates"
                )));
            }
            return self
                .issuers
                .get(slug)
                .ok_or_else(|| CaError::BrokenAuthority(slug.into()));
        }
        let slug = match profile {
            Profile::Citizen => "citizen-ca",
            Profile::Seal => "seal-ca",
            other => {
                return Err(CaError::Config(format!(
                    "subscribers cannot be issued {other} certificates"
                )));
            }
        };
        self.issuers
            .get(slug)
            .ok_or_else(|| CaError::BrokenAuthority(slug.into()))
    }

    /// Generates the key (if asked), builds, lints and signs the certificate — everything
    /// but storing it. CPU-bound and synchronous, so bulk issuance can run it on every core.
    pub fn prepare(&self, req: &IssueRequest, now: UnixTime) -> Result<NewIssuance, CaError> {
        let issuer = self.issuer_for(req.profile, req.issuer.as_deref())?;
        let (public_key_der, key) = match &req.key {
            KeySource::Csr(bytes) => (csr::parse_and_verify(bytes)?.public_key_der, None),
            KeySource::Generate(alg) => {
                let k = self.keystore.generate(*alg, KeyRole::Subscriber)?;
                (k.public_key_der.clone(), Some(k))
            }
        };
        let serial = random_serial();
        // The shard is a pure function of the serial: anyone can find a certificate's CRL.
        let crl_shard = shard_of(&serial, self.crl_shards);
        let days = req
            .validity_days
            .unwrap_or_else(|| req.profile.default_validity_days());
        if days == 0 || days > req.profile.max_validity_days() {
            return Err(CaError::Config(format!(
                "validity must be between 1 and {} days for a {} certificate",
                req.profile.max_validity_days(),
                req.profile
            )));
        }
        let template = CertTemplate {
            profile: req.profile,
            subject: req.subject.clone(),
            public_key_der,
            serial,
            not_before: now,
            not_after: now.plus_days(days),
            crl_shard,
        };
        let cert = issue_certificate(
            self.keystore.as_ref(),
            SignedBy::Ca(issuer),
            &template,
            &self.urls,
        )?;
        let record = CertificateRecord {
            serial: cert.serial_hex,
            issuer: issuer.slug.clone(),
            profile: req.profile.as_str().to_owned(),
            subject: cert.subject_text,
            subject_id: req.subject.identifier().map(|i| i.to_string()),
            not_before: template.not_before,
            not_after: template.not_after,
            der: cert.der,
            key_id: key.as_ref().map(|k| k.id.clone()),
            crl_shard,
            status: kyso_core::CertStatus::Valid,
            status_reason: None,
            status_changed_at: None,
            created_at: now,
        };
        Ok(NewIssuance { key, cert: record })
    }

    /// Issues one certificate and stores it (with its key) before returning.
    pub async fn issue(&self, req: &IssueRequest) -> Result<Issued, CaError> {
        let item = self.prepare(req, self.clock.now())?;
        self.store
            .insert_certificates(std::slice::from_ref(&item))
            .await?;
        Ok(Issued {
            record: item.cert,
            key: item.key,
        })
    }

    /// Revokes a certificate.
    pub async fn revoke(
        &self,
        serial: &str,
        reason: RevocationReason,
    ) -> Result<CertificateRecord, CaError> {
        if reason == RevocationReason::CertificateHold {
            return Err(CaError::Config(
                "certificateHold is a suspension: use `kyso cert suspend`".into(),
            ));
        }
        self.change(serial, StatusChange::Revoke(reason)).await
    }

    /// Suspends a certificate (certificateHold).
    pub async fn suspend(&self, serial: &str) -> Result<CertificateRecord, CaError> {
        self.change(serial, StatusChange::Suspend).await
    }

    /// Ends a suspension.
    pub async fn resume(&self, serial: &str) -> Result<CertificateRecord, CaError> {
        self.change(serial, StatusChange::Resume).await
    }

    async fn change(
        &self,
        serial: &str,
        change: StatusChange,
    ) -> Result<CertificateRecord, CaError> {
        let serial = normalise_serial(serial)?;
        // Revoking a CA, OCSP or TSA certificate is a key ceremony with consequences for
        // everything it signed (new CRLs from the parent, a replacement authority); it is not
        // done with the subscriber commands.
        if let Some(a) = self.authorities.iter().find(|a| a.serial == serial) {
            return Err(CaError::Config(format!(
                "{serial} is the certificate of the {} authority {}; authority certificates are not revoked or suspended with `kyso cert`",
                a.role, a.slug
            )));
        }
        Ok(self
            .store
            .change_status(&serial, change, self.clock.now())
            .await?)
    }

    /// Builds, signs and numbers one CRL: the root's CRL of CA certificates
    /// (`shard` = None on `root`), or shard `shard` of an issuing CA.
    pub async fn crl(&self, slug: &str, shard: Option<u16>) -> Result<Vec<u8>, CaError> {
        let issuer = self
            .issuers
            .get(slug)
            .ok_or_else(|| CaError::Config(format!("no issuing authority {slug:?}")))?;
        let (scope, scope_key, lifetime_days) = match shard {
            None if slug == "root" => (CrlScope::CaCertificates, slug.to_owned(), 7),
            Some(n) if slug != "root" && n < self.crl_shards => (
                CrlScope::Shard {
                    url: self.urls.crl_shard(slug, n),
                },
                format!("{slug}/{n}"),
                1,
            ),
            _ => {
                return Err(CaError::Config(format!(
                    "{slug} has no CRL {shard:?} (shards 0..{})",
                    self.crl_shards
                )));
            }
        };
        let entries = self
            .store
            .revoked_entries(slug, shard)
            .await?
            .into_iter()
            .map(|e| {
                let serial = hex::decode(&e.serial)
                    .map_err(|_| CaError::BrokenAuthority(format!("serial {}", e.serial)))?;
                Ok(CrlEntry {
                    serial,
                    since: e.since,
                    reason: e.reason,
                })
            })
            .collect::<Result<Vec<_>, CaError>>()?;
        let number = self.store.next_crl_number(&scope_key).await?;
        let now = self.clock.now();
        Ok(build_crl(
            self.keystore.as_ref(),
            issuer,
            &scope,
            &entries,
            number,
            now,
            now.plus_days(lifetime_days),
        )?)
    }

    /// Writes every CRL under `dir` with the layout of the published URLs:
    /// `root.crl` and `<issuing-ca>/<shard>.crl`. Returns the files written.
    pub async fn publish_crls(&self, dir: &Path) -> Result<Vec<std::path::PathBuf>, CaError> {
        let mut jobs: Vec<(String, Option<u16>, std::path::PathBuf)> =
            vec![("root".into(), None, dir.join("root.crl"))];
        for slug in self.issuing_ca_slugs() {
            let slug = slug.as_str();
            for n in 0..self.crl_shards {
                jobs.push((
                    slug.into(),
                    Some(n),
                    dir.join(slug).join(format!("{n}.crl")),
                ));
            }
        }
        // Shards are independent: build them on every core (each is one query, one
        // encoding, one signature), and write each as soon as it is ready.
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut written = Vec::new();
        let mut running = tokio::task::JoinSet::new();
        let mut jobs = jobs.into_iter();
        loop {
            while running.len() < parallel {
                let Some((slug, shard, path)) = jobs.next() else {
                    break;
                };
                let ca = self.clone();
                running.spawn(async move {
                    let der = ca.crl(&slug, shard).await?;
                    write_atomically(&path, &der)?;
                    Ok::<_, CaError>(path)
                });
            }
            match running.join_next().await {
                Some(done) => written
                    .push(done.map_err(|e| CaError::Config(format!("CRL task failed: {e}")))??),
                None => break,
            }
        }
        written.sort();
        Ok(written)
    }

    /// Writes `root.pem` and `chain.pem` (the issuing CAs, the citizens' first) into `dir`.
    pub fn export(&self, dir: &Path) -> Result<(), CaError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| CaError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let get = |slug: &str| {
            self.issuers
                .get(slug)
                .ok_or_else(|| CaError::BrokenAuthority(slug.into()))
        };
        let root = dir.join("root.pem");
        std::fs::write(&root, pem::cert_pem(&get("root")?.cert_der)).map_err(io(&root))?;
        let chain = dir.join("chain.pem");
        let text =
            pem::cert_pem(&get("citizen-ca")?.cert_der) + &pem::cert_pem(&get("seal-ca")?.cert_der);
        std::fs::write(&chain, text).map_err(io(&chain))?;
        Ok(())
    }

    /// Checks every stored certificate: it parses, its signature verifies with its issuer's
    /// key, and the key it references exists. Returns (checked, problems).
    pub async fn check(&self) -> Result<(u64, Vec<String>), CaError> {
        let mut problems = Vec::new();
        let mut checked = 0u64;
        let mut spki_by_slug = HashMap::new();
        for a in &self.authorities {
            if let Some(k) = self.store.get_key(&a.key_id).await? {
                spki_by_slug.insert(a.slug.clone(), k.public_key_der);
            } else {
                problems.push(format!("authority {}: key {} is missing", a.slug, a.key_id));
            }
        }
        let mut filter = kyso_store::CertFilter {
            limit: Some(5000),
            ..Default::default()
        };
        loop {
            let page = self.store.list_certificates(&filter).await?;
            let Some(last) = page.last() else { break };
            filter.after_serial = Some(last.serial.clone());
            for c in &page {
                checked += 1;
                match spki_by_slug.get(&c.issuer) {
                    None => problems.push(format!("{}: unknown issuer {}", c.serial, c.issuer)),
                    Some(spki) => {
                        if let Err(e) = kyso_pki::issue::verify_certificate_signature(&c.der, spki)
                        {
                            problems.push(format!("{}: signature does not verify: {e}", c.serial));
                        }
                    }
                }
                if let Some(k) = &c.key_id
                    && self.store.get_key(k).await?.is_none()
                {
                    problems.push(format!("{}: key {k} is missing", c.serial));
                }
            }
        }
        Ok((checked, problems))
    }
}

/// Writes `bytes` aside and renames: a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CaError> {
    let io = |source| CaError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let tmp = path.with_extension("crl.tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Most CRL shards per issuing CA: the shard is one byte of the serial.
pub const MAX_CRL_SHARDS: u16 = 256;

/// The CRL shard of a serial: a pure function of the serial, so anyone can find a
/// certificate's CRL from the serial alone.
pub fn shard_of(serial: &[u8; 16], shards: u16) -> u16 {
    u16::from(serial[15]) % shards
}

async fn ensure_not_initialised(store: &dyn Store) -> Result<(), CaError> {
    let existing = store.authorities().await?;
    if existing.is_empty() {
        return Ok(());
    }
    let names: Vec<_> = existing.iter().map(|a| a.slug.as_str()).collect();
    Err(CaError::AlreadyInitialised(names.join(", ")))
}

/// Whether `store` already holds a CA (checked before creating anything, e.g. a KEK).
pub async fn is_initialised(store: &dyn Store) -> Result<bool, CaError> {
    Ok(!store.authorities().await?.is_empty())
}

/// The public URL is written into every certificate as an IA5String URI: printable ASCII,
/// http or https, a host, no spaces, query or fragment.
fn check_public_url(url: &str) -> Result<(), CaError> {
    let bad = |why: &str| Err(CaError::Config(format!("--public-url {url:?}: {why}")));
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return bad("must start with http:// or https://");
    };
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return bad(
            "must be printable ASCII without spaces (write international host names in punycode)",
        );
    }
    if url.contains(['?', '#']) {
        return bad("must not have a query or fragment");
    }
    if rest.split('/').next().is_none_or(str::is_empty) {
        return bad("has no host");
    }
    Ok(())
}

/// Accepts serials as hex with optional `0x`, colons or spaces, any case.
pub fn normalise_serial(s: &str) -> Result<String, CaError> {
    let t: String = s
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| *c != ':' && *c != ' ')
        .collect();
    if t.is_empty() || t.len() > 40 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CaError::Config(format!(
            "{s:?} is not a certificate serial (hexadecimal)"
        )));
    }
    Ok(t.to_ascii_lowercase())
}

/// What an authority to create is.
struct AuthoritySpec<'a> {
    slug: &'a str,
    role: &'a str,
    profile: Profile,
    issuer_slug: &'a str,
    organisation: &'a TextField,
    common_name: &'a str,
}

/// Generates an authority's key in custody and its certificate (self-signed for the root,
/// else by `signed_by`): the records to store, and the issuer it becomes if it is a CA.
fn new_authority(
    keystore: &dyn KeyStore,
    urls: &Urls,
    algorithm: kyso_keys::KeyAlgorithm,
    crl_shards: u16,
    spec: &AuthoritySpec<'_>,
    signed_by: Option<&Issuer>,
    now: UnixTime,
) -> Result<(NewAuthority, Option<Issuer>), CaError> {
    let serial = random_serial();
    let crl_shard = shard_of(&serial, crl_shards);
    let key = keystore.generate(
        algorithm,
        KeyRole::Authority {
            label: format!("kyso-{}", spec.slug),
        },
    )?;
    let profile = spec.profile;
    let template = CertTemplate {
        profile,
        subject: SubjectSpec::Authority {
            organisation: spec.organisation.clone(),
            common_name: TextField::parse("CN", spec.common_name, 64)?,
        },
        public_key_der: key.public_key_der.clone(),
        serial,
        not_before: now,
        not_after: now.plus_days(profile.default_validity_days()),
        crl_shard,
    };
    let scheme = algorithm.default_scheme();
    let signer = match signed_by {
        None => SignedBy::Itself(&key, scheme),
        Some(ca) => SignedBy::Ca(ca),
    };
    let cert = issue_certificate(keystore, signer, &template, urls)?;
    let record = CertificateRecord {
        serial: cert.serial_hex.clone(),
        issuer: spec.issuer_slug.to_owned(),
        profile: profile.as_str().to_owned(),
        subject: cert.subject_text.clone(),
        subject_id: None,
        not_before: template.not_before,
        not_after: template.not_after,
        der: cert.der.clone(),
        key_id: Some(key.id.clone()),
        crl_shard,
        status: kyso_core::CertStatus::Valid,
        status_reason: None,
        status_changed_at: None,
        created_at: now,
    };
    let authority = AuthorityRecord {
        slug: spec.slug.to_owned(),
        role: spec.role.to_owned(),
        serial: cert.serial_hex.clone(),
        key_id: key.id.clone(),
        scheme: scheme.as_str().to_owned(),
        created_at: now,
    };
    let issuer = if profile.is_ca() {
        Some(Issuer::new(spec.slug, cert.der, key.clone(), Some(scheme))?)
    } else {
        None
    };
    Ok((
        NewAuthority {
            key,
            cert: record,
            authority,
        },
        issuer,
    ))
}
