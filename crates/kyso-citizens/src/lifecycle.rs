//! After enrolment: suspend and resume (by the citizen or the provider), revoke, switch
//! provider, renew, and selling more signatures. Each change commits through the CA, so
//! OCSP (which follows the store's status changes) and CRLs see it at once.

use crate::enrol::{Enrolled, NewKey};
use crate::privacy::Actor;
use crate::{CitizenError, Citizens};
use kyso_core::RevocationReason;
use kyso_keys::KeyAlgorithm;
use kyso_store::CertificateRecord;
use kyso_store::credentials::Metering;
use kyso_store::enrolment::{EnrolmentRecord, Replacement};
use kyso_store::population::PersonRecord;

impl Citizens {
    /// The citizen's active enrolment, if `actor` may change it: the citizen themself, the
    /// provider's staff, a province administrator of their province, or the operator.
    /// Commune officers enrol; they do not change certificates.
    async fn enrolment_for(
        &self,
        actor: &Actor,
        cccd: &str,
    ) -> Result<(PersonRecord, EnrolmentRecord), CitizenError> {
        let person = self.person(cccd).await?;
        let enrolment = self.store().active_enrolment(cccd).await?;
        let allowed = match actor {
            Actor::Citizen(c) => c == cccd,
            Actor::Operator => true,
            Actor::Staff(s) => match s.role() {
                kyso_store::citizens::StaffRole::Commune
                | kyso_store::citizens::StaffRole::Team => false,
                _ => s.may_see(&person, enrolment.as_ref().map(|e| e.provider.as_str())),
            },
        };
        if !allowed {
            return Err(CitizenError::Forbidden(format!(
                "{} cannot change citizen {cccd}'s certificate",
                actor.describe()
            )));
        }
        let enrolment = enrolment.ok_or(CitizenError::NotEnrolled)?;
        Ok((person, enrolment))
    }

    /// The credential of an enrolment.
    async fn credential_of(
        &self,
        e: &EnrolmentRecord,
    ) -> Result<kyso_store::credentials::CredentialRecord, CitizenError> {
        self.store()
            .credentials_of(&format!("CCCD:{}", e.cccd))
            .await?
            .into_iter()
            .find(|c| c.serial == e.serial)
            .ok_or(CitizenError::NotEnrolled)
    }

    /// Refuses a citizen's change while the provider or operator holds the certificate
    /// suspended: switching, renewing or revoking would otherwise lift their suspension.
    async fn ensure_not_held(
        &self,
        actor: &Actor,
        e: &EnrolmentRecord,
    ) -> Result<(), CitizenError> {
        if !matches!(actor, Actor::Citizen(_)) {
            return Ok(());
        }
        let suspended = self
            .store()
            .get_certificate(&e.serial)
            .await?
            .is_some_and(|c| c.status == kyso_core::CertStatus::Suspended);
        if suspended && self.store().suspended_by(&e.id).await?.as_deref() != Some("citizen") {
            return Err(CitizenError::Forbidden(
                "the provider has suspended this certificate; contact them first".into(),
            ));
        }
        Ok(())
    }

    fn status_error(e: kyso_ca::CaError) -> CitizenError {
        match e {
            kyso_ca::CaError::Store(kyso_store::StoreError::Status { source, .. }) => {
                CitizenError::Status(source.to_string())
            }
            other => other.into(),
        }
    }

    /// Suspends the campaign certificate (a lost phone, a pause): signing stops at once.
    pub async fn suspend(
        &self,
        actor: &Actor,
        cccd: &str,
    ) -> Result<CertificateRecord, CitizenError> {
        let (_, e) = self.enrolment_for(actor, cccd).await?;
        let cert = self
            .ca
            .suspend(&e.serial)
            .await
            .map_err(Self::status_error)?;
        // After the suspension: if this write were lost, the suspension would count as
        // not the citizen's, which only the provider or operator can lift — the safe side.
        self.store()
            .set_suspended_by(&e.id, Some(actor.kind()))
            .await?;
        tracing::info!(cccd, by = %actor.describe(), serial = %e.serial, "campaign certificate suspended");
        Ok(cert)
    }

    /// Ends a suspension. A citizen confirms with their PIN (a stolen session alone must
    /// not re-enable signing).
    pub async fn resume(
        &self,
        actor: &Actor,
        cccd: &str,
        pin: Option<&str>,
    ) -> Result<CertificateRecord, CitizenError> {
        let (_, e) = self.enrolment_for(actor, cccd).await?;
        if let Actor::Citizen(_) = actor {
            // A provider's or operator's suspension (a dispute, a suspected compromise) is
            // theirs to lift.
            if self.store().suspended_by(&e.id).await?.as_deref() != Some("citizen") {
                return Err(CitizenError::Forbidden(
                    "this suspension was made by the provider; contact them to lift it".into(),
                ));
            }
            let credential = self.credential_of(&e).await?;
            self.remote
                .verify_pin(&credential.id, pin.unwrap_or_default())
                .await?;
        }
        let cert = self
            .ca
            .resume(&e.serial)
            .await
            .map_err(Self::status_error)?;
        self.store().set_suspended_by(&e.id, None).await?;
        tracing::info!(cccd, by = %actor.describe(), serial = %e.serial, "campaign certificate resumed");
        Ok(cert)
    }

    /// Revokes the campaign certificate; the enrolment ends with it and the citizen may
    /// enrol again (the free year does not restart).
    pub async fn revoke(
        &self,
        actor: &Actor,
        cccd: &str,
        reason: RevocationReason,
        pin: Option<&str>,
    ) -> Result<CertificateRecord, CitizenError> {
        let (_, e) = self.enrolment_for(actor, cccd).await?;
        self.ensure_not_held(actor, &e).await?;
        if let Actor::Citizen(_) = actor {
            let credential = self.credential_of(&e).await?;
            self.remote
                .verify_pin(&credential.id, pin.unwrap_or_default())
                .await?;
        }
        let cert = self
            .ca
            .revoke(&e.serial, reason)
            .await
            .map_err(Self::status_error)?;
        tracing::info!(cccd, by = %actor.describe(), serial = %e.serial, %reason, "campaign certificate revoked");
        Ok(cert)
    }

    /// Moves the citizen to another provider: a new key and certificate there, the old
    /// certificate revoked (superseded), in one transaction. The free year continues; the
    /// new provider's quota starts from the included signatures. A citizen confirms with
    /// the current PIN and chooses the new credential's PIN.
    pub async fn switch_provider(
        &self,
        actor: &Actor,
        cccd: &str,
        provider: &str,
        current_pin: Option<&str>,
        new_pin: &str,
        algorithm: KeyAlgorithm,
    ) -> Result<Enrolled, CitizenError> {
        let (person, e) = self.enrolment_for(actor, cccd).await?;
        if matches!(actor, Actor::Staff(_)) {
            return Err(CitizenError::Forbidden(
                "only the citizen (or the operator) chooses another provider".into(),
            ));
        }
        if e.provider == provider {
            return Err(CitizenError::InvalidInput(format!(
                "the citizen is already with {provider}"
            )));
        }
        self.ensure_not_held(actor, &e).await?;
        let old = self.credential_of(&e).await?;
        if let Actor::Citizen(_) = actor {
            self.remote
                .verify_pin(&old.id, current_pin.unwrap_or_default())
                .await?;
        }
        let metering = Metering {
            free_until: match old.metering {
                Some(m) => m.free_until,
                None => self.policy.free_until(e.created_at),
            },
            quota: self.policy.included_signatures,
        };
        let key = NewKey {
            pin: new_pin,
            totp: old.totp_secret.is_some(),
            algorithm,
        };
        self.issue_enrolment(
            &person,
            provider,
            e.channel,
            key,
            metering,
            Some(Replacement::SwitchProvider),
        )
        .await
    }

    /// Renews the campaign certificate at the same provider in its last
    /// [`crate::Policy::renewal_days`] days: a new key and certificate, the old one revoked
    /// (superseded). The unused quota carries over.
    pub async fn renew(
        &self,
        actor: &Actor,
        cccd: &str,
        current_pin: Option<&str>,
        new_pin: &str,
        algorithm: KeyAlgorithm,
    ) -> Result<Enrolled, CitizenError> {
        if matches!(actor, Actor::Staff(_)) {
            return Err(CitizenError::Forbidden(
                "only the citizen (or the operator) renews: the new PIN is theirs".into(),
            ));
        }
        let (person, e) = self.enrolment_for(actor, cccd).await?;
        self.ensure_not_held(actor, &e).await?;
        let cert = self
            .store()
            .get_certificate(&e.serial)
            .await?
            .ok_or(CitizenError::NotEnrolled)?;
        let left = cert.not_after.seconds() - self.now().seconds();
        let window = i64::from(self.policy.renewal_days);
        if left > window * 86_400 {
            return Err(CitizenError::RenewalTooEarly {
                days_left: left / 86_400,
                window,
            });
        }
        let old = self.credential_of(&e).await?;
        if let Actor::Citizen(_) = actor {
            self.remote
                .verify_pin(&old.id, current_pin.unwrap_or_default())
                .await?;
        }
        let counts = self.store().signature_counts(&old.id).await?;
        let metering = Metering {
            free_until: old
                .metering
                .map_or_else(|| self.policy.free_until(e.created_at), |m| m.free_until),
            quota: old
                .metering
                .map_or(0, |m| m.quota.saturating_sub(counts.charged))
                .max(self.policy.included_signatures),
        };
        let key = NewKey {
            pin: new_pin,
            totp: old.totp_secret.is_some(),
            algorithm,
        };
        self.issue_enrolment(
            &person,
            &e.provider,
            e.channel,
            key,
            metering,
            Some(Replacement::Renewal),
        )
        .await
    }

    /// A provider sells `signatures` more to the citizen: added to the active credential's
    /// quota. Returns the new quota.
    pub async fn grant_signatures(
        &self,
        actor: &Actor,
        cccd: &str,
        signatures: u64,
    ) -> Result<u64, CitizenError> {
        if matches!(actor, Actor::Citizen(_)) {
            return Err(CitizenError::Forbidden(
                "signatures are sold by the provider".into(),
            ));
        }
        let (_, e) = self.enrolment_for(actor, cccd).await?;
        let credential = self.credential_of(&e).await?;
        self.store()
            .add_signature_quota(&credential.id, signatures, self.now())
            .await?
            .ok_or_else(|| CitizenError::InvalidInput("this credential is not metered".into()))
    }
}
