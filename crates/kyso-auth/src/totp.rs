//! RFC 6238 time-based one-time passwords: HMAC-SHA-1, 6 digits, 30-second steps — the
//! parameters every authenticator app uses by default.
//!
//! A code is accepted for the current step and one step either side (clock drift), and
//! **only once**: the caller stores the step of the last accepted code and passes it back,
//! so a code seen over someone's shoulder, or replayed from a log, is refused.

use aws_lc_rs::hmac;
use kyso_core::UnixTime;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one.
pub const DRIFT_STEPS: i64 = 1;
/// Length of the secrets kyso generates (160 bits, RFC 4226 §4 recommends ≥ 128).
pub const SECRET_LEN: usize = 20;

/// The code for `step` (RFC 4226 HOTP with the step as counter), `digits` long.
pub fn code_at_step(secret: &[u8], step: i64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &(step as u64).to_be_bytes());
    let mac = mac.as_ref();
    // Dynamic truncation (RFC 4226 §5.3).
    let offset = usize::from(mac[19] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    )
}

/// The step containing `now`.
pub fn step_of(now: UnixTime) -> i64 {
    now.seconds().div_euclid(STEP_SECONDS)
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// Not six digits.
    #[error("a one-time password is {DIGITS} digits")]
    Format,
    /// Wrong, or outside the accepted window.
    #[error("wrong or expired one-time password")]
    Wrong,
    /// Right, but already used (or older than one already used).
    #[error("this one-time password was already used")]
    Replayed,
}

/// Checks `code` at `now`. `last_used_step` is the step of the last code accepted for this
/// secret; on success the step to store is returned.
pub fn verify(
    secret: &[u8],
    code: &str,
    now: UnixTime,
    last_used_step: Option<i64>,
) -> Result<i64, TotpError> {
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Format);
    }
    let current = step_of(now);
    let mut matched = None;
    // Every candidate is computed and compared, so timing does not tell which one matched.
    for step in current - DRIFT_STEPS..=current + DRIFT_STEPS {
        let expected = code_at_step(secret, step, DIGITS);
        if aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), code.as_bytes())
            .is_ok()
        {
            matched = Some(step);
        }
    }
    let step = matched.ok_or(TotpError::Wrong)?;
    if last_used_step.is_some_and(|last| step <= last) {
        return Err(TotpError::Replayed);
    }
    Ok(step)
}

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_LEN] {
    let mut s = [0u8; SECRET_LEN];
    aws_lc_rs::rand::fill(&mut s).expect("system random generator failed");
    s
}

/// The `otpauth://` URI that authenticator apps import (as a QR code).
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let esc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        esc(issuer),
        esc(account),
        crate::base32::encode(secret),
        esc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        for (t, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                code_at_step(RFC_SECRET, step_of(UnixTime(t)), 8),
                code,
                "T={t}"
            );
        }
    }

    #[test]
    fn window_and_replay() {
        let now = UnixTime(1_795_459_507);
        let code = code_at_step(RFC_SECRET, step_of(now), DIGITS);
        let step = verify(RFC_SECRET, &code, now, None).unwrap();
        assert_eq!(step, step_of(now));
        // The same code again: refused, even within its window.
        assert_eq!(
            verify(RFC_SECRET, &code, now, Some(step)),
            Err(TotpError::Replayed)
        );
        // The previous step's code after a newer one was used: refused.
        let old = code_at_step(RFC_SECRET, step_of(now) - 1, DIGITS);
        assert_eq!(
            verify(RFC_SECRET, &old, now, Some(step)),
            Err(TotpError::Replayed)
        );
        // One step of drift either side is accepted; two are not.
        let next = code_at_step(RFC_SECRET, step_of(now) + 1, DIGITS);
        assert!(verify(RFC_SECRET, &next, now, None).is_ok());
        let far = code_at_step(RFC_SECRET, step_of(now) + 2, DIGITS);
        assert_eq!(verify(RFC_SECRET, &far, now, None), Err(TotpError::Wrong));
        assert_eq!(
            verify(RFC_SECRET, "12345", now, None),
            Err(TotpError::Format)
        );
        assert_eq!(
            verify(RFC_SECRET, "12345a", now, None),
            Err(TotpError::Format)
        );
    }

    #[test]
    fn provisioning_uri_escapes_vietnamese_names() {
        let uri = provisioning_uri(b"foobar", "kyso Huế", "Lê Thị Mai");
        assert!(
            uri.starts_with("otpauth://totp/kyso%20Hu%E1%BA%BF:L%C3%AA%20"),
            "{uri}"
        );
        assert!(uri.contains("secret=MZXW6YTBOI&"), "{uri}");
    }
}
