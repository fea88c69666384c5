//! Enrolment: prove who the citizen is (by channel), then — in one store transaction —
//! the certificate from the chosen provider's CA, the credential and the enrolment.

use crate::privacy::Staff;
use crate::secret::random_id;
use crate::{CitizenError, Citizens};
use kyso_ca::{IssueRequest, KeySource};
use kyso_core::{Cccd, PersonName, SubjectIdentifier, TextField, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_pki::{Profile, SubjectSpec};
use kyso_population::card::CardText;
use kyso_population::rows::Sex;
use kyso_population::{Date, Units};
use kyso_store::credentials::Metering;
use kyso_store::enrolment::{Channel, EnrolmentRecord, Replacement};
use kyso_store::population::PersonRecord;
use kyso_store::{CertificateRecord, StoreError};

/// An identity verified by an OpenID Connect provider (the web tier checks the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    /// The provider.
    pub issuer: String,
    /// The provider's subject identifier.
    pub subject: String,
    /// The CCCD number the token carries.
    pub cccd: String,
    /// The assurance level the token carries.
    pub level: u8,
}

/// How the citizen proved who they are.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Proof {
    /// A field officer at home read the CCCD card's QR code.
    DoorToDoor {
        /// The officer (logged in).
        officer: Staff,
        /// The card's QR text.
        card_qr: String,
    },
    /// A one-time code sent to the registered phone ([`Citizens::send_code`], purpose
    /// `enrol`).
    Online {
        /// The challenge.
        challenge: String,
        /// The code the citizen typed.
        code: String,
    },
    /// A login at the provincial app's or VNeID's OpenID provider.
    Oidc {
        /// [`Channel::ProvincialApp`] or [`Channel::Vneid`].
        channel: Channel,
        /// What the verified ID token said.
        identity: OidcIdentity,
    },
}

/// An enrolment asked for.
#[derive(Debug, Clone)]
pub struct EnrolmentRequest {
    /// The citizen.
    pub cccd: String,
    /// The chosen provider.
    pub provider: String,
    /// The proof of identity.
    pub proof: Proof,
    /// The signing PIN the citizen chose (6 digits, not trivial).
    pub pin: String,
    /// Whether to add a TOTP authenticator.
    pub totp: bool,
    /// Key type.
    pub algorithm: KeyAlgorithm,
}

/// A completed enrolment.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The enrolment.
    pub enrolment: EnrolmentRecord,
    /// The credential (CSC `credentialID`).
    pub credential_id: String,
    /// The certificate.
    pub certificate: CertificateRecord,
    /// The TOTP secret (base32), shown once, if asked for.
    pub totp_secret: Option<String>,
    /// End of the free year.
    pub free_until: UnixTime,
}

/// Which of the card's name, date of birth and sex differ from the register entry.
fn card_differences(
    card: &CardText,
    person: &PersonRecord,
) -> Result<Vec<&'static str>, CitizenError> {
    let birth = Date::parse_iso(&person.birth_date).ok_or_else(|| {
        CitizenError::InvalidInput("the register's date of birth is not a date".into())
    })?;
    let sex = Sex::parse_vi(&person.sex)
        .ok_or_else(|| CitizenError::InvalidInput("the register's sex is unreadable".into()))?;
    let registered_name = PersonName::parse(&person.full_name)
        .map(|n| n.as_str().to_lowercase())
        .unwrap_or_default();
    let mut differs = Vec::new();
    if card.name.as_str().to_lowercase() != registered_name {
        differs.push("name");
    }
    if card.birth_date != birth {
        differs.push("date of birth");
    }
    if card.sex != sex {
        differs.push("sex");
    }
    Ok(differs)
}

/// The new credential's activation and key type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewKey<'a> {
    pub(crate) pin: &'a str,
    pub(crate) totp: bool,
    pub(crate) algorithm: KeyAlgorithm,
}

/// The certificate subject for a registered adult: the register's name, the province and
/// commune of residence (names of the 2025 units).
pub(crate) fn subject_of(person: &PersonRecord) -> Result<SubjectSpec, CitizenError> {
    let units = Units::embedded();
    let bad = |e: kyso_core::IdentityError| CitizenError::InvalidInput(e.to_string());
    let province = units
        .province(&person.province_code)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| person.province_code.clone());
    let commune = units.commune(&person.commune_code).map(|c| c.name.clone());
    Ok(SubjectSpec::Person {
        name: PersonName::parse(&person.full_name).map_err(bad)?,
        id: SubjectIdentifier::Cccd(Cccd::parse(&person.cccd).map_err(bad)?),
        province: TextField::parse("province", &province, 128).map_err(bad)?,
        locality: commune
            .map(|c| TextField::parse("locality", &c, 128))
            .transpose()
            .map_err(bad)?,
    })
}

impl Citizens {
    /// Enrols a citizen: checks the proof for the request's channel, then issues the
    /// certificate at the chosen provider and stores it with the credential and the
    /// enrolment in one transaction. A citizen who already holds the campaign certificate
    /// is refused ([`CitizenError::AlreadyEnrolled`]) — by the store, however concurrent
    /// the attempts.
    pub async fn enrol(&self, req: EnrolmentRequest) -> Result<Enrolled, CitizenError> {
        let cccd =
            Cccd::parse(req.cccd.trim()).map_err(|e| CitizenError::InvalidInput(e.to_string()))?;
        // What the citizen typed is checked before the proof, which may spend a one-time
        // code: a weak PIN or an unknown provider must not burn it.
        kyso_auth::pin::Pin::choose(&req.pin)
            .map_err(|e| CitizenError::InvalidInput(e.to_string()))?;
        if !self
            .store()
            .list_providers()
            .await?
            .iter()
            .any(|p| p.id == req.provider)
        {
            return Err(CitizenError::UnknownProvider(req.provider.clone()));
        }
        // The proof comes first: nothing about the register is revealed to someone who
        // has not proven anything (a stranger cannot tell a registered number from
        // another, nor an out-of-scope officer read a citizen's details).
        let (person, channel) = self.check_proof(cccd.as_str(), &req).await?;
        if let Some(active) = self.store().active_enrolment(cccd.as_str()).await? {
            return Err(CitizenError::AlreadyEnrolled(active.provider));
        }
        let start = self.free_year_start(cccd.as_str()).await?;
        let metering = Metering {
            free_until: self.policy.free_until(start),
            quota: self.policy.included_signatures,
        };
        let key = NewKey {
            pin: &req.pin,
            totp: req.totp,
            algorithm: req.algorithm,
        };
        self.issue_enrolment(&person, &req.provider, channel, key, metering, None)
            .await
    }

    /// When the citizen's free year began: their first campaign enrolment (a revoked and
    /// re-enrolled citizen does not start a new free year), else now.
    async fn free_year_start(&self, cccd: &str) -> Result<UnixTime, CitizenError> {
        Ok(self
            .store()
            .enrolments_of(cccd)
            .await?
            .first()
            .map_or_else(|| self.now(), |e| e.created_at))
    }

    /// The register entry of the citizen the proof proves, and the channel it stands for.
    async fn check_proof(
        &self,
        cccd: &str,
        req: &EnrolmentRequest,
    ) -> Result<(PersonRecord, Channel), CitizenError> {
        match &req.proof {
            Proof::DoorToDoor { officer, card_qr } => {
                let card = CardText::parse(card_qr, Date::today_in_vietnam(self.now()))
                    .map_err(|e| CitizenError::CardMismatch(e.to_string()))?;
                if card.cccd.as_str() != cccd {
                    return Err(CitizenError::CardMismatch(
                        "the card is for another CCCD number".into(),
                    ));
                }
                let person = self.store().get_person(cccd).await?;
                let allowed = person
                    .as_ref()
                    .is_some_and(|p| officer.may_enrol(p, &req.provider));
                // A card check reads the register: logged like any staff read.
                self.store()
                    .log_access(&kyso_store::citizens::AccessRecord {
                        at: self.now(),
                        staff: officer.id().to_owned(),
                        cccd: cccd.to_owned(),
                        reason: "door-to-door enrolment".into(),
                        what: "card check".into(),
                        allowed,
                    })
                    .await?;
                let person = match person {
                    Some(p) if allowed => p,
                    // The same answer whether or not the citizen is registered.
                    _ => {
                        return Err(CitizenError::Forbidden(format!(
                            "citizen {cccd} is not in {}'s scope ({} {})",
                            officer.id(),
                            officer.role().as_str(),
                            officer.scope()
                        )));
                    }
                };
                let differs = card_differences(&card, &person)?;
                if !differs.is_empty() {
                    // Names of the fields only: the register's values are not shown.
                    return Err(CitizenError::CardMismatch(format!(
                        "the card's {} differ from the register",
                        differs.join(", ")
                    )));
                }
                Ok((person, Channel::DoorToDoor))
            }
            Proof::Online { challenge, code } => {
                // The code decides whose enrolment this is; any failure reads the same.
                let proven = self.check_code(challenge, code, "enrol").await?;
                if proven != cccd {
                    return Err(CitizenError::InvalidCode);
                }
                Ok((self.person(cccd).await?, Channel::Online))
            }
            Proof::Oidc { channel, identity } => {
                if !matches!(channel, Channel::ProvincialApp | Channel::Vneid) {
                    return Err(CitizenError::InvalidInput(
                        "an OpenID login is the provincial app's or VNeID's".into(),
                    ));
                }
                if identity.level < 2 {
                    return Err(CitizenError::LevelTooLow(identity.level));
                }
                if identity.cccd != cccd {
                    return Err(CitizenError::Forbidden(
                        "the identity login is another citizen's".into(),
                    ));
                }
                Ok((self.person(cccd).await?, *channel))
            }
        }
    }

    /// Issues the certificate at `provider` and stores certificate, credential and
    /// enrolment — a new enrolment, or (with `replace`) in place of the active one.
    pub(crate) async fn issue_enrolment(
        &self,
        person: &PersonRecord,
        provider: &str,
        channel: Channel,
        key: NewKey<'_>,
        metering: Metering,
        replace: Option<Replacement>,
    ) -> Result<Enrolled, CitizenError> {
        let provider = self
            .store()
            .list_providers()
            .await?
            .into_iter()
            .find(|p| p.id == provider)
            .ok_or_else(|| CitizenError::UnknownProvider(provider.to_owned()))?;
        let pin = kyso_auth::pin::Pin::choose(key.pin)
            .map_err(|e| CitizenError::InvalidInput(e.to_string()))?;
        let now = self.now();
        let issuance = self.ca.prepare(
            &IssueRequest {
                issuer: Some(provider.issuer.clone()),
                profile: Profile::Citizen,
                subject: subject_of(person)?,
                key: KeySource::Generate(key.algorithm),
                validity_days: None,
            },
            now,
        )?;
        let key_id = issuance
            .key
            .as_ref()
            .map(|k| k.id.clone())
            .ok_or_else(|| CitizenError::InvalidInput("no key was generated".into()))?;
        let (credential, totp_secret) = self.remote.prepare_credential(
            &key_id,
            &issuance.cert,
            format!("CCCD:{}", person.cccd),
            &pin,
            key.totp,
            Some(metering),
        )?;
        let enrolment = EnrolmentRecord {
            id: random_id("enr-"),
            cccd: person.cccd.clone(),
            provider: provider.id.clone(),
            channel,
            serial: issuance.cert.serial.clone(),
            active: true,
            created_at: now,
            ended: None,
        };
        let stored = match replace {
            None => self.store().enrol(&issuance, &enrolment, &credential).await,
            Some(why) => self
                .store()
                .switch_enrolment(&issuance, &enrolment, &credential, why)
                .await
                .map(|_| ()),
        };
        match stored {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) if replace.is_none() => {
                let holder = self
                    .store()
                    .active_enrolment(&person.cccd)
                    .await?
                    .map_or_else(|| provider.id.clone(), |e| e.provider);
                return Err(CitizenError::AlreadyEnrolled(holder));
            }
            Err(StoreError::Duplicate(m)) | Err(StoreError::Corrupt(m)) if replace.is_some() => {
                return Err(CitizenError::Status(m));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(cccd = %person.cccd, provider = %provider.id, channel = channel.as_str(), serial = %enrolment.serial, "citizen enrolled");
        // The citizen hears of every certificate issued in their name, whoever asked for it
        // (a field officer cannot enrol someone quietly).
        if let Some(phone) = &person.phone {
            let body = format!(
                "kyso: chu ky so cua ban da duoc cap boi {} (so hieu {}). Neu ban khong dang ky, hay bao ngay cho nha cung cap.",
                provider.id,
                &enrolment.serial[..8.min(enrolment.serial.len())]
            );
            if let Err(e) = self.store().queue_sms(phone, &body, now).await {
                tracing::warn!(error = %e, "the enrolment notice could not be queued");
            }
        }
        Ok(Enrolled {
            credential_id: credential.id,
            certificate: issuance.cert,
            totp_secret,
            free_until: metering.free_until,
            enrolment,
        })
    }
}
