//! The Merkle tree of kyso's signature transparency log, as RFC 9162 §2.1 defines it.
//!
//! - `MTH({}) = SHA-256()`, leaf hash `SHA-256(0x00 ‖ leaf)`, node hash
//!   `SHA-256(0x01 ‖ left ‖ right)`; the tree over n leaves splits at the largest power of
//!   two below n ([`root`]).
//! - [`Frontier`]: the roots of the perfect subtrees along the right edge — what an
//!   append-only log keeps to add a leaf and know the new root in O(log n), without
//!   re-reading the leaves.
//! - [`inclusion_proof`] / [`verify_inclusion`] (§2.1.3) and [`consistency_proof`] /
//!   [`verify_consistency`] (§2.1.4): a citizen checks that a signature made with their key
//!   is in the log, and a monitor that the log only ever grew.
//!
//! Proof generation and verification are written separately (generation recursively from
//! the definition, verification iteratively as in the RFC), so each checks the other.

#![deny(missing_docs)]

/// A SHA-256 value.
pub type Hash = [u8; 32];

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The hash of a leaf's data.
pub fn leaf_hash(data: &[u8]) -> Hash {
    sha256(&[&[0x00], data])
}

/// The hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[0x01], left, right])
}

/// The root of the empty tree.
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// Largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The Merkle tree hash of `leaves` (leaf hashes), from the definition.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The right edge of an append-only tree: one subtree root per set bit of the size,
/// largest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    roots: Vec<Hash>,
}

/// A frontier whose stored form does not match its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a log frontier of size {size} needs {expected} hashes, not {got}")]
pub struct FrontierError {
    size: u64,
    expected: usize,
    got: usize,
}

impl Frontier {
    /// The frontier of an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        let mut size = self.size;
        // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
        while size & 1 == 1 {
            let left = self.roots.pop().expect("one root per set bit");
            node = node_hash(&left, &node);
            size >>= 1;
        }
        self.roots.push(node);
        self.size += 1;
    }

    /// The tree's root.
    pub fn root(&self) -> Hash {
        let mut iter = self.roots.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some(last) => iter.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }

    /// Stored form: the subtree roots concatenated.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.roots.concat()
    }

    /// From the stored form and the size.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Self, FrontierError> {
        let expected = size.count_ones() as usize;
        if bytes.len() != expected * 32 {
            return Err(FrontierError {
                size,
                expected,
                got: bytes.len() / 32,
            });
        }
        Ok(Frontier {
            size,
            roots: bytes
                .chunks_exact(32)
                .map(|c| c.try_into().expect("32-byte chunks"))
                .collect(),
        })
    }
}

/// The audit path of leaf `index` in the tree over `leaves` (RFC 9162 §2.1.3.1).
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
        if d.len() <= 1 {
            return;
        }
        let k = split(d.len());
        if m < k {
            path(m, &d[..k], out);
            out.push(root(&d[k..]));
        } else {
            path(m - k, &d[k..], out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    if index < leaves.len() {
        path(index, leaves, &mut out);
    }
    out
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// The consistency proof between the first `old_size` leaves and all of `leaves`
/// (RFC 9162 §2.1.4.1).
pub fn consistency_proof(old_size: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
        let n = d.len();
        if m == n {
            if !complete {
                out.push(root(d));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(m, &d[..k], complete, out);
            out.push(root(&d[k..]));
        } else {
            subproof(m - k, &d[k..], false, out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    if old_size > 0 && old_size < leaves.len() {
        subproof(old_size, leaves, true, &mut out);
    }
    out
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    let mut proof = proof.to_vec();
    if old_size.is_power_of_two() {
        proof.insert(0, *old_root);
    }
    let Some((first, rest)) = proof.split_first() else {
        return false;
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && fr == *old_root && sr == *new_root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn the_empty_tree_and_one_leaf() {
        // SHA-256 of the empty string.
        assert_eq!(empty_root()[..4], [0xe3, 0xb0, 0xc4, 0x42]);
        let l = leaves(1);
        assert_eq!(root(&l), l[0]);
        assert_eq!(Frontier::new().root(), empty_root());
    }

    #[test]
    fn the_frontier_agrees_with_the_definition_and_round_trips() {
        let all = leaves(70);
        let mut f = Frontier::new();
        for n in 1..=all.len() {
            f.push(all[n - 1]);
            assert_eq!(f.root(), root(&all[..n]), "size {n}");
            let back = Frontier::from_bytes(f.size(), &f.to_bytes()).unwrap();
            assert_eq!(back, f);
        }
        assert!(Frontier::from_bytes(3, &[0u8; 32]).is_err());
    }

    #[test]
    fn inclusion_proofs_verify_and_catch_tampering() {
        let all = leaves(23);
        for n in 1..=all.len() {
            let r = root(&all[..n]);
            for i in 0..n {
                let proof = inclusion_proof(i, &all[..n]);
                assert!(
                    verify_inclusion(i as u64, n as u64, &all[i], &proof, &r),
                    "{i}/{n}"
                );
                let other = leaf_hash(b"forged");
                assert!(!verify_inclusion(i as u64, n as u64, &other, &proof, &r));
                if !proof.is_empty() {
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_inclusion(i as u64, n as u64, &all[i], &bad, &r));
                }
                assert!(!verify_inclusion(n as u64, n as u64, &all[i], &proof, &r));
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_catch_rewritten_history() {
        let all = leaves(21);
        for n in 1..=all.len() {
            for m in 1..=n {
                let proof = consistency_proof(m, &all[..n]);
                let (old, new) = (root(&all[..m]), root(&all[..n]));
                assert!(
                    verify_consistency(m as u64, n as u64, &old, &new, &proof),
                    "{m}->{n}"
                );
                if m < n {
                    // A log that rewrote an old leaf cannot prove consistency.
                    let mut rewritten = all[..n].to_vec();
                    rewritten[m - 1] = leaf_hash(b"rewritten");
                    let forged_new = root(&rewritten);
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &old,
                        &forged_new,
                        &proof
                    ));
                }
            }
        }
    }
}
