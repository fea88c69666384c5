//! The tamper-evident audit log: entry format, hashing and chain verification.

use kyso_core::UnixTime;

/// One state change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// What happened, e.g. `certificate.issue`.
    pub action: String,
    /// What it happened to, e.g. a serial.
    pub subject: String,
    /// Details (free text, may be JSON).
    pub detail: String,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (Unix seconds).
    pub at: i64,
    /// What happened.
    pub action: String,
    /// To what.
    pub subject: String,
    /// Details.
    pub detail: String,
    /// Hash of the previous entry (32 zero bytes for the first).
    #[serde(with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }
}

/// SHA-256 over the previous hash and the entry's fields, each length-prefixed so that no
/// two different entries hash the same input.
pub fn entry_hash(prev: &[u8], seq: i64, at: UnixTime, e: &AuditEntry) -> Vec<u8> {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(b"kyso-audit-v1");
    ctx.update(prev);
    ctx.update(&seq.to_be_bytes());
    ctx.update(&at.seconds().to_be_bytes());
    for field in [&e.action, &e.subject, &e.detail] {
        ctx.update(&(field.len() as u64).to_be_bytes());
        ctx.update(field.as_bytes());
    }
    ctx.finish().as_ref().to_vec()
}

/// Where a chain first fails to verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log broken at entry {seq}: {reason}")]
pub struct ChainBreak {
    /// First entry that does not verify.
    pub seq: i64,
    /// What is wrong with it.
    pub reason: String,
}

/// Verifies consecutive records starting after (`seq`, `hash`) = `from`; returns the last
/// (seq, hash) so that a long log can be checked page by page.
pub fn verify_chain(
    from: (i64, Vec<u8>),
    records: &[AuditRecord],
) -> Result<(i64, Vec<u8>), ChainBreak> {
    let (mut seq, mut hash) = from;
    for r in records {
        let broken = |reason: &str| ChainBreak {
            seq: r.seq,
            reason: reason.to_owned(),
        };
        if r.seq != seq + 1 {
            return Err(broken(&format!(
                "expected entry {}, found {} (an entry was removed)",
                seq + 1,
                r.seq
            )));
        }
        if r.prev_hash != hash {
            return Err(broken("it does not link to the previous entry"));
        }
        let entry = AuditEntry {
            action: r.action.clone(),
            subject: r.subject.clone(),
            detail: r.detail.clone(),
        };
        if entry_hash(&hash, r.seq, UnixTime(r.at), &entry) != r.hash {
            return Err(broken("its content was altered"));
        }
        seq = r.seq;
        hash = r.hash.clone();
    }
    Ok((seq, hash))
}
