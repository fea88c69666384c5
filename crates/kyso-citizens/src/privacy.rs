//! Who may see and change what: staff scopes, the access log, the citizen's own data.
//!
//! Citizen data serves the campaign only. A commune officer sees the citizens registered
//! in their commune, a provider's staff the citizens enrolled with that provider, a
//! province administrator the province's. Every staff read of a citizen's personal data
//! — allowed or refused — is logged with who, when and the reason they gave; the citizen
//! sees those entries in their data download.

use crate::{CitizenError, Citizens};
use kyso_core::UnixTime;
use kyso_population::Units;
use kyso_store::citizens::{AccessRecord, StaffRecord, StaffRole};
use kyso_store::population::PersonRecord;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// Wrong passwords before a staff account waits.
const MAX_PASSWORD_FAILURES: u32 = 5;
/// How long it waits, seconds.
const LOCK_SECONDS: i64 = 900;

/// A staff member whose password was checked (or named by the operator on the command
/// line, who holds the database anyway).
#[derive(Debug, Clone)]
pub struct Staff(StaffRecord);

impl Staff {
    /// Login name.
    pub fn id(&self) -> &str {
        &self.0.id
    }
    /// Display name.
    pub fn name(&self) -> &str {
        &self.0.name
    }
    /// Role.
    pub fn role(&self) -> StaffRole {
        self.0.role
    }
    /// Commune code, provider id or province code.
    pub fn scope(&self) -> &str {
        &self.0.scope
    }

    /// Whether this staff member may see `person`, whose active provider is `provider`.
    pub fn may_see(&self, person: &PersonRecord, provider: Option<&str>) -> bool {
        match self.0.role {
            // A community digital team member works in their commune, like its officer.
            StaffRole::Commune | StaffRole::Team => person.commune_code == self.0.scope,
            StaffRole::Province => person.province_code == self.0.scope,
            StaffRole::Provider => provider == Some(self.0.scope.as_str()),
        }
    }

    /// Whether this staff member may enrol `person` with `provider` at home: a commune
    /// officer or community digital team member in their commune, a provider's field staff
    /// for their provider, a province administrator in their province.
    pub fn may_enrol(&self, person: &PersonRecord, provider: &str) -> bool {
        match self.0.role {
            StaffRole::Commune | StaffRole::Team => person.commune_code == self.0.scope,
            StaffRole::Province => person.province_code == self.0.scope,
            StaffRole::Provider => provider == self.0.scope,
        }
    }
}

/// Who asks for a change.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The citizen themself (logged in).
    Citizen(String),
    /// A staff member.
    Staff(Staff),
    /// The operator on the command line.
    Operator,
}

impl Actor {
    /// `citizen`, `provider`/`commune`/`province` (a staff member's role) or `operator`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Citizen(_) => "citizen",
            Actor::Staff(s) => s.role().as_str(),
            Actor::Operator => "operator",
        }
    }

    /// For the audit trail.
    pub fn describe(&self) -> String {
        match self {
            Actor::Citizen(c) => format!("citizen {c}"),
            Actor::Staff(s) => format!("staff {}", s.id()),
            Actor::Operator => "operator".into(),
        }
    }
}

/// Wrong-password counts per staff account (in memory: a restart forgives, a brute force
/// within one process cannot go on).
#[derive(Debug, Default)]
pub(crate) struct Failures(Mutex<HashMap<String, (u32, UnixTime)>>);

fn valid_staff_id(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

impl Citizens {
    /// Adds a staff account. The scope must exist: a commune or province code of the 2025
    /// units, or a registered provider.
    pub async fn add_staff(
        &self,
        id: &str,
        name: &str,
        role: StaffRole,
        scope: &str,
        password: &str,
    ) -> Result<Staff, CitizenError> {
        if !valid_staff_id(id) {
            return Err(CitizenError::InvalidInput(format!(
                "staff id {id:?}: 3–64 of a–z, 0–9, '.', '_', '-'"
            )));
        }
        let name = kyso_core::TextField::parse("name", name, 128)
            .map_err(|e| CitizenError::InvalidInput(e.to_string()))?;
        if password.chars().count() < 10 {
            return Err(CitizenError::InvalidInput(
                "a staff password has at least 10 characters".into(),
            ));
        }
        let units = Units::embedded();
        let known = match role {
            StaffRole::Commune | StaffRole::Team => units.commune(scope).is_some(),
            StaffRole::Province => units.province(scope).is_some(),
            StaffRole::Provider => self
                .store()
                .list_providers()
                .await?
                .iter()
                .any(|p| p.id == scope),
        };
        if !known {
            return Err(CitizenError::InvalidInput(format!(
                "no {} {scope:?}",
                match role {
                    StaffRole::Commune | StaffRole::Team => "commune",
                    StaffRole::Province => "province",
                    StaffRole::Provider => "provider",
                }
            )));
        }
        let record = StaffRecord {
            id: id.to_owned(),
            name: name.as_str().to_owned(),
            role,
            scope: scope.to_owned(),
            password_hash: self.secret.hash("staff password", id, password),
            created_at: self.now(),
        };
        self.store().insert_staff(&record).await?;
        Ok(Staff(record))
    }

    /// Checks a staff member's password. Five wrong ones lock the account for 15 minutes
    /// (right or wrong password alike during the lock).
    pub async fn staff_login(&self, id: &str, password: &str) -> Result<Staff, CitizenError> {
        let now = self.now();
        {
            let failures = self.staff_failures.0.lock().expect("lock");
            if let Some((n, at)) = failures.get(id)
                && *n >= MAX_PASSWORD_FAILURES
                && now.seconds() - at.seconds() < LOCK_SECONDS
            {
                return Err(CitizenError::StaffLocked);
            }
        }
        let record = self.store().get_staff(id).await?;
        // An unknown account costs the same HMAC as a known one, so timing does not tell
        // which accounts exist.
        let ok = match &record {
            Some(r) => self
                .secret
                .verify("staff password", &r.id, password, &r.password_hash),
            None => {
                let _ = self.secret.verify("staff password", id, password, &[0; 48]);
                false
            }
        };
        let mut failures = self.staff_failures.0.lock().expect("lock");
        match record {
            Some(r) if ok => {
                failures.remove(id);
                Ok(Staff(r))
            }
            // Only existing accounts are counted: the map cannot be grown with made-up ids.
            None => Err(CitizenError::WrongPassword),
            Some(_) => {
                let e = failures.entry(id.to_owned()).or_insert((0, now));
                if now.seconds() - e.1.seconds() >= LOCK_SECONDS {
                    *e = (0, now);
                }
                e.0 += 1;
                e.1 = now;
                Err(CitizenError::WrongPassword)
            }
        }
    }

    /// A staff account named by the operator (the command line, which holds the database).
    pub async fn staff_by_operator(&self, id: &str) -> Result<Staff, CitizenError> {
        self.store()
            .get_staff(id)
            .await?
            .map(Staff)
            .ok_or_else(|| CitizenError::InvalidInput(format!("no staff account {id:?}")))
    }

    /// A staff member reads a citizen's record, stating why. Out of scope is refused; both
    /// outcomes are logged.
    pub async fn read_citizen(
        &self,
        staff: &Staff,
        cccd: &str,
        reason: &str,
    ) -> Result<Value, CitizenError> {
        let reason = kyso_core::TextField::parse("reason", reason, 200).map_err(|_| {
            CitizenError::InvalidInput(
                "state why you read this citizen's data (up to 200 characters)".into(),
            )
        })?;
        if reason.as_str().chars().count() < 5 {
            return Err(CitizenError::InvalidInput(
                "state why you read this citizen's data (at least 5 characters)".into(),
            ));
        }
        let person = self.store().get_person(cccd).await?;
        let active = match &person {
            Some(_) => self.store().active_enrolment(cccd).await?,
            None => None,
        };
        let allowed = person
            .as_ref()
            .is_some_and(|p| staff.may_see(p, active.as_ref().map(|e| e.provider.as_str())));
        self.store()
            .log_access(&AccessRecord {
                at: self.now(),
                staff: staff.id().to_owned(),
                cccd: cccd.to_owned(),
                reason: reason.as_str().to_owned(),
                what: "citizen record".into(),
                allowed,
            })
            .await?;
        let person = match person {
            Some(p) if allowed => p,
            // Refused alike whether or not the citizen exists: scope must not reveal it.
            _ => {
                return Err(CitizenError::Forbidden(format!(
                    "citizen {cccd} is outside {}'s {} scope {}",
                    staff.id(),
                    staff.role().as_str(),
                    staff.scope()
                )));
            }
        };
        let mut view = person_json(&person);
        view["enrolment"] = match active {
            Some(e) => {
                let cert = self.store().get_certificate(&e.serial).await?;
                json!({
                    "provider": e.provider,
                    "channel": e.channel.as_str(),
                    "serial": e.serial,
                    "since": e.created_at.to_rfc3339(),
                    "status": cert.as_ref().map(|c| c.status.as_str()),
                    "not_after": cert.as_ref().map(|c| c.not_after.to_rfc3339()),
                })
            }
            None => Value::Null,
        };
        Ok(view)
    }

    /// Everything kyso holds about a citizen, for the citizen: register entry, enrolments,
    /// certificates, credentials (never PINs or secrets), signature counts and usage, and
    /// every staff read of their data.
    pub async fn citizen_data(&self, cccd: &str) -> Result<Value, CitizenError> {
        let person = self.person(cccd).await?;
        let store = self.store();
        let mut enrolments = Vec::new();
        for e in store.enrolments_of(cccd).await? {
            let cert = store.get_certificate(&e.serial).await?;
            enrolments.push(json!({
                "id": e.id,
                "provider": e.provider,
                "channel": e.channel.as_str(),
                "active": e.active,
                "since": e.created_at.to_rfc3339(),
                "ended": e.ended.as_ref().map(|(at, why)| json!({"at": at.to_rfc3339(), "reason": why})),
                "certificate": cert.map(|c| json!({
                    "serial": c.serial,
                    "issuer": c.issuer,
                    "status": c.status.as_str(),
                    "not_before": c.not_before.to_rfc3339(),
                    "not_after": c.not_after.to_rfc3339(),
                    "subject": c.subject,
                })),
            }));
        }
        let mut credentials = Vec::new();
        for c in store.credentials_of(&format!("CCCD:{cccd}")).await? {
            let counts = store.signature_counts(&c.id).await?;
            let usage = self.remote.usage(&c.id).await?;
            credentials.push(json!({
                "id": c.id,
                "serial": c.serial,
                "created": c.created_at.to_rfc3339(),
                "totp": c.totp_secret.is_some(),
                "free_until": c.metering.map(|m| m.free_until.to_rfc3339()),
                "quota": c.metering.map(|m| m.quota),
                "signatures": {"free": counts.free, "charged": counts.charged, "refused": counts.refused},
                "usage": usage.iter().map(|u| json!({"month": u.month, "purpose": u.purpose, "signatures": u.signatures})).collect::<Vec<_>>(),
            }));
        }
        let access: Vec<Value> = store
            .access_log(Some(cccd), None, 10_000)
            .await?
            .into_iter()
            .map(|a| {
                json!({"at": a.at.to_rfc3339(), "staff": a.staff, "reason": a.reason, "what": a.what, "allowed": a.allowed})
            })
            .collect();
        Ok(json!({
            "generated_at": self.now().to_rfc3339(),
            "purpose": "Dữ liệu chỉ dùng cho chiến dịch chữ ký số cá nhân / used only for the personal digital signature campaign",
            "person": person_json(&person),
            "enrolments": enrolments,
            "credentials": credentials,
            "staff_reads": access,
        }))
    }
}

fn person_json(p: &PersonRecord) -> Value {
    let units = Units::embedded();
    json!({
        "cccd": p.cccd,
        "full_name": p.full_name,
        "birth_date": p.birth_date,
        "sex": p.sex,
        "phone": p.phone,
        "household": p.household_id,
        "commune": {"code": p.commune_code, "name": units.commune(&p.commune_code).map(|c| c.name.clone())},
        "province": {"code": p.province_code, "name": units.province(&p.province_code).map(|c| c.name.clone())},
    })
}
