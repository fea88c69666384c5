//! The key-encryption key (KEK) of the software keystore.
//!
//! 32 random bytes. By default in `<data-dir>/kek`, created with mode 0600 on first use;
//! an operator may instead give a file of their own (kept off the data disk, e.g. on a
//! tmpfs filled from a secrets manager). The KEK wraps every software-held private key with
//! AES-256-GCM; losing it loses the keys, leaking it together with the database leaks them.

use crate::KeyError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::fs;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// A loaded key-encryption key.
pub struct Kek {
    key: LessSafeKey,
    /// The KEK as an HMAC key, for deriving purpose-bound secrets ([`Kek::derive`]).
    derive: aws_lc_rs::hmac::Key,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

impl Kek {
    /// Length of a KEK in bytes.
    pub const LEN: usize = 32;

    /// A KEK from raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KeyError::Kek {
            path: "<bytes>".into(),
            reason: format!("must be {} bytes, got {}", Self::LEN, bytes.len()),
        })?;
        Ok(Kek {
            key: LessSafeKey::new(unbound),
            derive: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, bytes),
        })
    }

    /// Reads a KEK file: 32 raw bytes, or 64 hex digits (optionally followed by a newline).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let err = |reason: String| KeyError::Kek {
            path: path.display().to_string(),
            reason,
        };
        let raw = Zeroizing::new(fs::read(path).map_err(|e| err(e.to_string()))?);
        let text = std::str::from_utf8(&raw).ok().map(str::trim);
        let bytes = match text {
            Some(t) if t.len() == 2 * Self::LEN && t.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Zeroizing::new(hex::decode(t).map_err(|e| err(e.to_string()))?)
            }
            _ if raw.len() == Self::LEN => Zeroizing::new(raw.to_vec()),
            _ => {
                return Err(err(format!(
                    "must hold {} raw bytes or {} hex digits",
                    Self::LEN,
                    2 * Self::LEN
                )));
            }
        };
        Self::from_bytes(&bytes)
    }

    /// Loads the KEK at `path`, creating a fresh random one (mode 0600, written and synced
    /// before use) if the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        if path.exists() {
            return Self::load(path);
        }
        let err = |reason: String| KeyError::Kek {
            path: path.display().to_string(),
            reason,
        };
        let mut bytes = Zeroizing::new([0u8; Self::LEN]);
        aws_lc_rs::rand::fill(&mut bytes[..]).map_err(|_| err("random generator failed".into()))?;
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| err(e.to_string()))?;
        f.write_all(&bytes[..])
            .and_then(|_| f.sync_all())
            .map_err(|e| err(e.to_string()))?;
        // The new directory entry must be durable before any key wrapped under it is
        // committed to the database, or a power cut could keep the keys and lose the KEK.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| err(format!("syncing its directory: {e}")))?;
        }
        Self::from_bytes(&bytes[..])
    }

    /// A 32-byte secret for one purpose (`label`), derived from the KEK (HKDF-Expand with
    /// SHA-256; the KEK is uniformly random, so it serves as the pseudorandom key). The PIN
    /// pepper and the access-token key come from here: whoever holds the database without
    /// the KEK can neither search PINs nor forge tokens.
    pub fn derive(&self, label: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&self.derive);
        ctx.update(b"kyso-derive-v1:");
        ctx.update(label);
        ctx.update(&[1]);
        let tag = ctx.sign();
        let mut out = zeroize::Zeroizing::new([0u8; 32]);
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Encrypts `plaintext`, binding it to `context` (authenticated, not encrypted).
    /// Output: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.
    pub fn wrap(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| KeyError::Crypto("random generator failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut body,
            )
            .map_err(|_| KeyError::Crypto("AES-GCM seal failed"))?;
        out.extend_from_slice(&body);
        body.iter_mut().for_each(|b| *b = 0);
        Ok(out)
    }

    /// Reverses [`Kek::wrap`]; fails if the KEK, the context or the blob differ.
    // Deliberately uninformative error: callers report which key failed.
    #[allow(clippy::result_unit_err)]
    pub fn unwrap(&self, context: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, ()> {
        if blob.len() < NONCE_LEN + 16 {
            return Err(());
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| ())?;
        let mut buf = Zeroizing::new(ct.to_vec());
        let len = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut buf[..])
            .map_err(|_| ())?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kek_file_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let a = Kek::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let blob = a.wrap(b"ctx", b"secret").unwrap();
        let b = Kek::load_or_create(&path).unwrap();
        assert_eq!(&b.unwrap(b"ctx", &blob).unwrap()[..], b"secret");
        assert!(
            b.unwrap(b"other", &blob).is_err(),
            "context is authenticated"
        );
        let mut tampered = blob.clone();
        tampered[20] ^= 1;
        assert!(b.unwrap(b"ctx", &tampered).is_err());
    }

    #[test]
    fn hex_kek_files_are_accepted_and_garbage_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        fs::write(&p, format!("{}\n", "ab".repeat(32))).unwrap();
        assert!(Kek::load(&p).is_ok());
        fs::write(&p, "short").unwrap();
        assert!(matches!(Kek::load(&p), Err(KeyError::Kek { .. })));
    }
}
