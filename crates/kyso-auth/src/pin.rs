//! Six-digit PINs and the lockout rule.
//!
//! # Why a peppered HMAC and not a slow password hash
//!
//! A six-digit PIN has a million values: a slow hash (Argon2 at 50 ms) would still fall to
//! an offline search in hours, and would cost every signature authorisation 50 ms of CPU —
//! the 1,500 authorisations/s the service must carry would need dozens of cores. What
//! protects a PIN is a **secret the database does not hold**: the stored value is
//! `HMAC-SHA-256(pepper, "kyso-pin-v1" ‖ credential id ‖ salt ‖ PIN)`, where the pepper is
//! derived from the key-encryption key (or kept in the HSM). A stolen database without the
//! pepper gives nothing to search; online guessing stops after [`MAX_FAILURES`].

use aws_lc_rs::{constant_time, hmac};
use zeroize::Zeroizing;

/// Consecutive wrong PINs that lock a credential (unlocked only by proving identity again).
pub const MAX_FAILURES: u32 = 5;

/// Octets of a stored PIN hash: 16 of salt, 32 of HMAC.
pub const STORED_LEN: usize = 48;

/// The secret mixed into every PIN hash.
pub struct Pepper(Zeroizing<[u8; 32]>);

impl Pepper {
    /// From 32 secret octets (e.g. HKDF of the key-encryption key).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Pepper(Zeroizing::new(bytes))
    }
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper(…)")
    }
}

/// Why a PIN is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// Not exactly six digits.
    #[error("the PIN must be exactly 6 digits")]
    Format,
    /// Too easy to guess (one digit repeated, or a run like 123456).
    #[error("the PIN is too easy to guess (repeated digits or a sequence)")]
    Weak,
}

/// A PIN that has the right form (six ASCII digits).
pub struct Pin(Zeroizing<String>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(******)")
    }
}

impl Pin {
    /// A PIN given to authorise a signature: only its form is checked.
    pub fn parse(text: &str) -> Result<Pin, PinError> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinError::Format);
        }
        Ok(Pin(Zeroizing::new(text.to_owned())))
    }

    /// A PIN being chosen: also refuses the easiest guesses.
    pub fn choose(text: &str) -> Result<Pin, PinError> {
        let pin = Self::parse(text)?;
        let d: Vec<i16> = text.bytes().map(|b| i16::from(b - b'0')).collect();
        let steps: Vec<i16> = d.windows(2).map(|w| (w[1] - w[0]).rem_euclid(10)).collect();
        let constant_step = steps.iter().all(|s| *s == steps[0]);
        // 111111 (step 0), 123456 / 789012 (step 1), 654321 (step 9).
        if constant_step && matches!(steps[0], 0 | 1 | 9) {
            return Err(PinError::Weak);
        }
        Ok(pin)
    }
}

fn mac(pepper: &Pepper, credential_id: &str, salt: &[u8], pin: &Pin) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA256, pepper.0.as_slice());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(b"kyso-pin-v1");
    ctx.update(&(credential_id.len() as u32).to_be_bytes());
    ctx.update(credential_id.as_bytes());
    ctx.update(salt);
    ctx.update(pin.0.as_bytes());
    ctx.sign()
}

/// The value to store for `pin` of `credential_id`: salt ‖ HMAC.
pub fn hash(pepper: &Pepper, credential_id: &str, pin: &Pin) -> [u8; STORED_LEN] {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).expect("system random generator failed");
    let tag = mac(pepper, credential_id, &salt, pin);
    let mut out = [0u8; STORED_LEN];
    out[..16].copy_from_slice(&salt);
    out[16..].copy_from_slice(tag.as_ref());
    out
}

/// Whether `pin` matches `stored` (constant time). A stored value of the wrong length
/// never matches.
pub fn verify(pepper: &Pepper, credential_id: &str, pin: &Pin, stored: &[u8]) -> bool {
    if stored.len() != STORED_LEN {
        return false;
    }
    let tag = mac(pepper, credential_id, &stored[..16], pin);
    constant_time::verify_slices_are_equal(tag.as_ref(), &stored[16..]).is_ok()
}

/// The outcome of one PIN attempt under the lockout rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Right PIN: the failure count goes back to 0.
    Accepted,
    /// Wrong PIN; `remaining` attempts before the lock.
    Wrong {
        /// Attempts left.
        remaining: u32,
    },
    /// Locked (now or before): nothing is checked any more.
    Locked,
}

impl Attempt {
    /// Applies the rule: `failures` consecutive failures so far, and whether this PIN was
    /// right. Returns the outcome and the new failure count to store. A locked credential
    /// stays locked whatever is typed — otherwise the lock would leak which PIN is right.
    pub fn judge(failures: u32, correct: bool) -> (Attempt, u32) {
        if failures >= MAX_FAILURES {
            return (Attempt::Locked, failures);
        }
        if correct {
            return (Attempt::Accepted, 0);
        }
        let failures = failures + 1;
        if failures >= MAX_FAILURES {
            (Attempt::Locked, failures)
        } else {
            (
                Attempt::Wrong {
                    remaining: MAX_FAILURES - failures,
                },
                failures,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pepper(b: u8) -> Pepper {
        Pepper::from_bytes([b; 32])
    }

    #[test]
    fn hashes_verify_only_with_the_same_pepper_credential_and_pin() {
        let pin = Pin::parse("482913").unwrap();
        let stored = hash(&pepper(1), "cred-a", &pin);
        assert!(verify(&pepper(1), "cred-a", &pin, &stored));
        assert!(!verify(&pepper(2), "cred-a", &pin, &stored), "other pepper");
        assert!(
            !verify(&pepper(1), "cred-b", &pin, &stored),
            "copied to another credential"
        );
        assert!(!verify(
            &pepper(1),
            "cred-a",
            &Pin::parse("482914").unwrap(),
            &stored
        ));
        assert!(!verify(&pepper(1), "cred-a", &pin, &stored[..47]));
        // Salted: the same PIN never stores the same value twice.
        assert_ne!(stored, hash(&pepper(1), "cred-a", &pin));
    }

    #[test]
    fn forms_and_weak_choices() {
        for bad in ["", "12345", "1234567", "12345a", " 12345", "１２３４５６"] {
            assert_eq!(Pin::parse(bad).unwrap_err(), PinError::Format, "{bad:?}");
        }
        for weak in [
            "000000", "777777", "123456", "345678", "890123", "654321", "210987",
        ] {
            assert_eq!(Pin::choose(weak).unwrap_err(), PinError::Weak, "{weak}");
        }
        for fine in ["482913", "135790", "112233", "246810"] {
            assert!(Pin::choose(fine).is_ok(), "{fine}");
        }
        assert!(
            Pin::parse("123456").is_ok(),
            "typing a weak PIN to sign is not refused"
        );
        assert_eq!(
            format!("{:?}", Pin::parse("482913").unwrap()),
            "Pin(******)"
        );
    }

    #[test]
    fn five_consecutive_failures_lock_and_the_lock_holds() {
        let mut failures = 0;
        for remaining in [4, 3, 2, 1] {
            let (a, f) = Attempt::judge(failures, false);
            assert_eq!(a, Attempt::Wrong { remaining });
            failures = f;
        }
        let (a, f) = Attempt::judge(failures, false);
        assert_eq!((a, f), (Attempt::Locked, 5));
        // The right PIN after the lock: still locked.
        assert_eq!(Attempt::judge(f, true), (Attempt::Locked, 5));
        // A success before the lock resets the count.
        assert_eq!(Attempt::judge(4, true), (Attempt::Accepted, 0));
    }
}
