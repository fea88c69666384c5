//! What the web tier keeps between sending the citizen to the provider and the callback.
//!
//! The values are random and single-use; the cookie carrying them is HttpOnly. `state`
//! ties the callback to this browser (login CSRF), `nonce` ties the ID token to this login
//! (replay), the PKCE verifier ties the code to this client (code interception).

use std::fmt;

use crate::OidcError;

/// The length of each value: 32 random bytes in base64url without padding.
const VALUE_LEN: usize = 43;
const PREFIX: &str = "v1";

/// The secrets of one login in progress.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingLogin {
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) code_verifier: String,
}

impl PendingLogin {
    /// The `state` sent with the authorization request.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// A compact cookie value: `v1.<state>.<nonce>.<code_verifier>` (all base64url, 134
    /// characters, no characters that need quoting in a cookie).
    pub fn to_cookie_value(&self) -> String {
        format!(
            "{PREFIX}.{}.{}.{}",
            self.state, self.nonce, self.code_verifier
        )
    }

    /// Parses [`PendingLogin::to_cookie_value`]'s output; anything else is
    /// [`OidcError::PendingLogin`].
    pub fn from_cookie_value(value: &str) -> Result<PendingLogin, OidcError> {
        let mut parts = value.split('.');
        let (Some(PREFIX), Some(state), Some(nonce), Some(verifier), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(OidcError::PendingLogin);
        };
        let well_formed = |v: &str| {
            v.len() == VALUE_LEN
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if ![state, nonce, verifier].into_iter().all(well_formed) {
            return Err(OidcError::PendingLogin);
        }
        Ok(PendingLogin {
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            code_verifier: verifier.to_owned(),
        })
    }
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &self.state)
            .field("nonce", &"<redacted>")
            .field("code_verifier", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PendingLogin {
        PendingLogin {
            state: "s".repeat(43),
            nonce: "n".repeat(43),
            code_verifier: "v-_".repeat(14) + "x",
        }
    }

    #[test]
    fn cookie_value_round_trips() {
        let p = sample();
        let v = p.to_cookie_value();
        assert_eq!(v.len(), 134);
        assert_eq!(PendingLogin::from_cookie_value(&v).unwrap(), p);
        assert!(!format!("{p:?}").contains(&p.code_verifier));
    }

    #[test]
    fn malformed_cookie_values_are_refused() {
        let good = sample().to_cookie_value();
        for bad in [
            String::new(),
            good.replacen("v1", "v2", 1),
            format!("{good}.x"),
            good[..good.len() - 1].to_owned(),
            good.replacen('s', "=", 1),
            good.replacen('n', "+", 1),
        ] {
            assert!(
                matches!(
                    PendingLogin::from_cookie_value(&bad),
                    Err(OidcError::PendingLogin)
                ),
                "{bad}"
            );
        }
    }
}
