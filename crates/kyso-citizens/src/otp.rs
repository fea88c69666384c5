//! One-time codes to the citizen's registered phone: online enrolment and login.
//!
//! A code is asked for with the CCCD number, full name and date of birth; it goes only to
//! the phone the population register holds (never to a number the requester types), lives
//! 5 minutes, is single-use, and allows 5 attempts; a citizen gets at most 5 codes an
//! hour. Only a peppered HMAC of the code is stored.

use crate::secret::random_id;
use crate::{CitizenError, Citizens};
use kyso_store::citizens::OtpChallenge;

/// Lifetime of a code, seconds.
const CODE_LIFETIME: i64 = 300;
/// Attempts allowed per code.
const MAX_ATTEMPTS: u32 = 5;
/// Codes per citizen per hour.
const CODES_PER_HOUR: u32 = 5;

/// A code was sent.
#[derive(Debug, Clone)]
pub struct CodeSent {
    /// The challenge to answer (kept by the browser).
    pub challenge: String,
    /// The phone it went to, masked (`*******678`).
    pub phone_hint: String,
    /// Seconds it stays valid.
    pub expires_in: i64,
}

/// Names compare as the register writes them: Unicode-composed, case-folded, single
/// spaces.
fn same_name(a: &str, b: &str) -> bool {
    match (
        kyso_core::PersonName::parse(a),
        kyso_core::PersonName::parse(b),
    ) {
        (Ok(a), Ok(b)) => a.as_str().to_lowercase() == b.as_str().to_lowercase(),
        _ => false,
    }
}

impl Citizens {
    /// Matches the details against the register and sends a code to the registered phone.
    /// `purpose` is `enrol` or `login`.
    pub async fn send_code(
        &self,
        cccd: &str,
        full_name: &str,
        birth_date: &str,
        purpose: &str,
    ) -> Result<CodeSent, CitizenError> {
        let cccd = kyso_core::Cccd::parse(cccd.trim())
            .map_err(|e| CitizenError::InvalidInput(e.to_string()))?;
        let person = self
            .store()
            .get_person(cccd.as_str())
            .await?
            .ok_or(CitizenError::NoMatch)?;
        if !same_name(full_name, &person.full_name) || birth_date.trim() != person.birth_date {
            return Err(CitizenError::NoMatch);
        }
        let phone = person.phone.clone().ok_or(CitizenError::NoPhone)?;
        let now = self.now();
        let code = {
            let mut b = [0u8; 4];
            aws_lc_rs::rand::fill(&mut b).expect("system random generator failed");
            format!("{:06}", u32::from_be_bytes(b) % 1_000_000)
        };
        let id = random_id("otp-");
        let challenge = OtpChallenge {
            code_hash: self.secret.hash("otp", &id, &code),
            id: id.clone(),
            cccd: cccd.as_str().to_owned(),
            purpose: purpose.to_owned(),
            attempts: 0,
            expires_at: now.plus_seconds(CODE_LIFETIME),
            created_at: now,
        };
        let body = format!(
            "kyso: ma xac thuc {code} (hieu luc 5 phut). Khong chia se ma nay cho bat ky ai."
        );
        // The limit is checked in the insert's own transaction: a check before it would let
        // concurrent requests through together.
        if !self
            .store()
            .insert_otp(
                &challenge,
                &phone,
                &body,
                now.plus_seconds(-3600),
                CODES_PER_HOUR,
            )
            .await?
        {
            return Err(CitizenError::TooManyCodes);
        }
        let hint = format!(
            "{}{}",
            "*".repeat(phone.len().saturating_sub(3)),
            &phone[phone.len().saturating_sub(3)..]
        );
        Ok(CodeSent {
            challenge: id,
            phone_hint: hint,
            expires_in: CODE_LIFETIME,
        })
    }

    /// Checks a code; on success it is spent and the citizen's CCCD returned.
    pub async fn check_code(
        &self,
        challenge: &str,
        code: &str,
        purpose: &str,
    ) -> Result<String, CitizenError> {
        let now = self.now();
        let c = self
            .store()
            .attempt_otp(challenge, now, MAX_ATTEMPTS)
            .await?
            .ok_or(CitizenError::InvalidCode)?;
        if c.purpose != purpose || !self.secret.verify("otp", &c.id, code.trim(), &c.code_hash) {
            return Err(CitizenError::InvalidCode);
        }
        if !self.store().use_otp(&c.id, now).await? {
            return Err(CitizenError::InvalidCode);
        }
        Ok(c.cccd)
    }
}
