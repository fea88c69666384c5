//! Access tokens for relying parties: stateless, HMAC-SHA-256 under a key derived from the
//! KEK, so any server process of the deployment accepts them without a database read.
//!
//! Form: `k1.<base64url client id>.<expiry, Unix seconds>.<base64url tag>`.

use crate::RemoteError;
use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use kyso_core::UnixTime;

/// The key tokens are signed with.
pub struct TokenKey(hmac::Key);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(…)")
    }
}

impl TokenKey {
    /// From 32 secret octets.
    pub fn new(secret: &[u8; 32]) -> Self {
        TokenKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    fn tag(&self, body: &str) -> hmac::Tag {
        hmac::sign(&self.0, body.as_bytes())
    }

    /// A token for `client_id` valid until `expires_at`.
    pub fn issue(&self, client_id: &str, expires_at: UnixTime) -> String {
        let body = format!("k1.{}.{}", B64.encode(client_id), expires_at.seconds());
        let tag = B64.encode(self.tag(&body));
        format!("{body}.{tag}")
    }

    /// The client a token was issued to, if it is authentic and unexpired at `now`.
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<String, RemoteError> {
        let (body, tag) = token.rsplit_once('.').ok_or(RemoteError::InvalidToken)?;
        let tag = B64.decode(tag).map_err(|_| RemoteError::InvalidToken)?;
        constant_time::verify_slices_are_equal(self.tag(body).as_ref(), &tag)
            .map_err(|_| RemoteError::InvalidToken)?;
        let mut parts = body.split('.');
        let (Some("k1"), Some(client), Some(expiry), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(RemoteError::InvalidToken);
        };
        let expiry: i64 = expiry.parse().map_err(|_| RemoteError::InvalidToken)?;
        if now.seconds() >= expiry {
            return Err(RemoteError::ExpiredToken);
        }
        let client = B64.decode(client).map_err(|_| RemoteError::InvalidToken)?;
        String::from_utf8(client).map_err(|_| RemoteError::InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_expire_and_resist_tampering() {
        let key = TokenKey::new(&[7; 32]);
        let t0 = UnixTime(1_795_459_507);
        let token = key.issue("cổng-dvc", t0.plus_seconds(3600));
        assert_eq!(key.verify(&token, t0).unwrap(), "cổng-dvc");
        assert!(matches!(
            key.verify(&token, t0.plus_seconds(3600)),
            Err(RemoteError::ExpiredToken)
        ));
        assert!(matches!(
            TokenKey::new(&[8; 32]).verify(&token, t0),
            Err(RemoteError::InvalidToken)
        ));
        // Another client's name, or a later expiry, spliced into the body: refused.
        let other = key.issue("other", t0.plus_seconds(3600));
        let spliced = format!(
            "{}.{}",
            other.rsplit_once('.').unwrap().0,
            token.rsplit_once('.').unwrap().1
        );
        assert!(matches!(
            key.verify(&spliced, t0),
            Err(RemoteError::InvalidToken)
        ));
        for garbage in ["", "k1", "a.b.c.d", "k1.x.y.z"] {
            assert!(key.verify(garbage, t0).is_err(), "{garbage}");
        }
    }
}
