//! Salted, peppered HMACs for short secrets (one-time codes, staff passwords). The pepper
//! is derived from the deployment's key-encryption key, so the database alone does not
//! allow guessing them offline.

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

const SALT: usize = 16;

pub(crate) struct Secrets {
    pepper: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

impl Secrets {
    pub(crate) fn new(remote: &kyso_remote::RemoteSigning) -> Self {
        Secrets {
            pepper: Zeroizing::new(remote.derive_secret(b"citizen services secrets")),
        }
    }

    fn mac(&self, label: &str, id: &str, salt: &[u8], secret: &str) -> hmac::Tag {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.pepper.as_slice());
        let mut ctx = hmac::Context::with_key(&key);
        for part in [label.as_bytes(), id.as_bytes(), salt] {
            ctx.update(&(part.len() as u32).to_be_bytes());
            ctx.update(part);
        }
        ctx.update(secret.as_bytes());
        ctx.sign()
    }

    /// salt ‖ HMAC(label, id, salt, secret).
    pub(crate) fn hash(&self, label: &str, id: &str, secret: &str) -> Vec<u8> {
        let mut salt = [0u8; SALT];
        aws_lc_rs::rand::fill(&mut salt).expect("system random generator failed");
        let mut out = salt.to_vec();
        out.extend_from_slice(self.mac(label, id, &salt, secret).as_ref());
        out
    }

    /// Constant-time check of `secret` against [`Self::hash`]'s output.
    pub(crate) fn verify(&self, label: &str, id: &str, secret: &str, stored: &[u8]) -> bool {
        if stored.len() != SALT + 32 {
            return false;
        }
        let tag = self.mac(label, id, &stored[..SALT], secret);
        aws_lc_rs::constant_time::verify_slices_are_equal(tag.as_ref(), &stored[SALT..]).is_ok()
    }
}

/// A random identifier (URL-safe).
pub(crate) fn random_id(prefix: &str) -> String {
    use base64::Engine as _;
    let mut b = [0u8; 18];
    aws_lc_rs::rand::fill(&mut b).expect("system random generator failed");
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}
