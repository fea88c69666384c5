//! The signature transparency log: every authorisation and every signature is a leaf of an
//! append-only Merkle tree (RFC 9162), written in the same transaction as the SAD (for
//! authorisations) or before the signatures are released (for signatures). Tree heads are
//! signed by the deployment's time-stamping authority.
//!
//! [`verify`] needs only the store (no private key): it recomputes every leaf hash and the
//! tree, checks the recorded frontier and every signed head, and so detects any altered,
//! removed or reordered entry.

use crate::RemoteError;
use kyso_ca::Ca;
use kyso_keys::SignatureAlgorithm;
use kyso_log::{Frontier, Hash, inclusion_proof, leaf_hash};
use kyso_store::Store;
use kyso_store::credentials::{LogEntryRecord, LogHead};

/// The leaf data for an event: canonical JSON (keys sorted, no spaces).
pub fn leaf(event: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(event).expect("JSON values serialise")
}

/// A log entry with its inclusion proof.
#[derive(Debug, Clone)]
pub struct ProvenEntry {
    /// The entry.
    pub record: LogEntryRecord,
    /// Tree size the proof is for.
    pub tree_size: u64,
    /// Root at that size.
    pub root: Hash,
    /// The audit path.
    pub proof: Vec<Hash>,
    /// Whether the proof verifies (checked here with the RFC's algorithm).
    pub verified: bool,
}

const PAGE: u64 = 10_000;

async fn all_leaf_hashes(
    store: &dyn Store,
    size: u64,
) -> Result<Vec<(LogEntryRecord, Hash)>, RemoteError> {
    let mut out = Vec::with_capacity(size as usize);
    let mut from = 0;
    while from < size {
        let page = store.log_entries(from, (from + PAGE).min(size)).await?;
        if page.is_empty() {
            break;
        }
        for e in page {
            let h = leaf_hash(&e.entry.leaf);
            out.push((e, h));
        }
        from += PAGE;
    }
    Ok(out)
}

/// Every entry of `credential_id` with an inclusion proof against the current tree.
pub async fn entries_with_proofs(
    store: &dyn Store,
    credential_id: &str,
) -> Result<Vec<ProvenEntry>, RemoteError> {
    let state = store.log_state().await?;
    entries_with_proofs_at(
        store,
        &[credential_id.to_owned()],
        state.size(),
        &state.root(),
    )
    .await
}

/// Every entry of `credentials` among the first `size` leaves, with inclusion proofs
/// computed from the stored leaves and checked against `root` — the recorded or signed
/// root of the tree of that size, so altered leaves show as not included.
pub async fn entries_with_proofs_at(
    store: &dyn Store,
    credentials: &[String],
    size: u64,
    root: &Hash,
) -> Result<Vec<ProvenEntry>, RemoteError> {
    let mut mine = Vec::new();
    for c in credentials {
        mine.extend(
            store
                .log_entries_of(c)
                .await?
                .into_iter()
                .filter(|e| e.idx < size),
        );
    }
    mine.sort_by_key(|e| e.idx);
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    let leaves: Vec<Hash> = all_leaf_hashes(store, size)
        .await?
        .into_iter()
        .map(|(_, h)| h)
        .collect();
    let root = *root;
    let tree_size = size;
    Ok(mine
        .into_iter()
        .map(|record| {
            let proof = inclusion_proof(record.idx as usize, &leaves);
            let verified = kyso_log::verify_inclusion(
                record.idx,
                tree_size,
                &leaf_hash(&record.entry.leaf),
                &proof,
                &root,
            );
            ProvenEntry {
                record,
                tree_size,
                root,
                proof,
                verified,
            }
        })
        .collect())
}

/// Signs a head for the current tree with the TSA's key.
pub async fn sign_tree_head(ca: &Ca) -> Result<LogHead, RemoteError> {
    let store = ca.store();
    let state = store.log_state().await?;
    // The log only grows: a head for the current size, if any, is the latest one.
    if let Some(h) = store
        .latest_log_head()
        .await?
        .filter(|h| h.size == state.size())
    {
        return Ok(h);
    }
    let signer = ca
        .signer("tsa")
        .ok_or_else(|| RemoteError::InvalidRequest("the deployment has no TSA key".into()))?;
    let at = ca.clock().now();
    let root = state.root();
    let signature = ca.keystore().sign(
        &signer.key,
        signer.scheme,
        &LogHead::signed_bytes(state.size(), at, &root),
    )?;
    let head = LogHead {
        size: state.size(),
        root: root.to_vec(),
        at,
        signature,
    };
    store.put_log_head(&head).await?;
    Ok(head)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    /// Entries checked.
    pub entries: u64,
    /// Signed heads checked.
    pub heads: usize,
}

/// Recomputes the whole log from its leaves and checks it against the recorded frontier
/// and every signed tree head. `Err` describes the first problem found.
pub async fn verify(store: &dyn Store) -> Result<Result<LogReport, String>, RemoteError> {
    let state = store.log_state().await?;
    let heads = store.log_heads().await?;
    let tsa_key = match store
        .authorities()
        .await?
        .into_iter()
        .find(|a| a.slug == "tsa")
    {
        Some(a) => Some((
            store.get_key(&a.key_id).await?.map(|k| k.public_key_der),
            SignatureAlgorithm::from_name(&a.scheme),
        )),
        None => None,
    };
    let leaves = all_leaf_hashes(store, state.size()).await?;
    let mut frontier = Frontier::new();
    let mut heads_iter = heads.iter().peekable();
    let check_head = |h: &LogHead, f: &Frontier| -> Result<(), String> {
        if h.root != f.root() {
            return Err(format!(
                "signed tree head at size {} does not match the entries: an entry before {} was altered, removed or reordered",
                h.size, h.size
            ));
        }
        let Some((Some(spki), Some(scheme))) = &tsa_key else {
            return Err("the log's signing key (the TSA's) is missing".into());
        };
        kyso_keys::verify_signature(
            spki,
            *scheme,
            &LogHead::signed_bytes(h.size, h.at, &h.root),
            &h.signature,
        )
        .map_err(|_| {
            format!(
                "the signature of the tree head at size {} does not verify",
                h.size
            )
        })
    };
    while let Some(h) = heads_iter.next_if(|h| h.size == 0) {
        if let Err(e) = check_head(h, &frontier) {
            return Ok(Err(e));
        }
    }
    for (i, (record, hash)) in leaves.iter().enumerate() {
        if record.idx != i as u64 {
            return Ok(Err(format!(
                "entry {i} is missing (next present is {})",
                record.idx
            )));
        }
        frontier.push(*hash);
        while let Some(h) = heads_iter.next_if(|h| h.size == frontier.size()) {
            if let Err(e) = check_head(h, &frontier) {
                return Ok(Err(e));
            }
        }
    }
    if frontier.size() != state.size() {
        return Ok(Err(format!(
            "the log records {} entries but {} are present",
            state.size(),
            frontier.size()
        )));
    }
    if let Some(h) = heads_iter.next() {
        return Ok(Err(format!(
            "a signed tree head names size {}, beyond the log",
            h.size
        )));
    }
    if frontier.root() != state.root() {
        return Ok(Err(
            "the entries do not hash to the recorded tree: an entry was altered".into(),
        ));
    }
    Ok(Ok(LogReport {
        entries: state.size(),
        heads: heads.len(),
    }))
}
