use crate::KeyError;
use std::fmt;
use std::str::FromStr;

/// Key types allowed by Circular 15/2025/TT-BKHCN (RSA ≥ 2048, ECDSA ≥ 256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// ECDSA on NIST P-256.
    P256,
    /// ECDSA on NIST P-384.
    P384,
}

impl KeyAlgorithm {
    /// CLI/storage name: `rsa2048`, `rsa3072`, `p256`, `p384`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "rsa2048",
            Self::Rsa3072 => "rsa3072",
            Self::P256 => "p256",
            Self::P384 => "p384",
        }
    }

    /// True for the RSA sizes.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa2048 | Self::Rsa3072)
    }

    /// The scheme used when none is asked for: PKCS#1 v1.5 with SHA-256 for RSA (what
    /// Vietnamese providers issue today), ECDSA with the hash matching the curve.
    pub fn default_scheme(self) -> SignatureAlgorithm {
        match self {
            Self::Rsa2048 | Self::Rsa3072 => SignatureAlgorithm::RsaPkcs1Sha256,
            Self::P256 => SignatureAlgorithm::EcdsaSha256,
            Self::P384 => SignatureAlgorithm::EcdsaSha384,
        }
    }

    /// Whether `scheme` can be computed with a key of this type.
    pub fn supports(self, scheme: SignatureAlgorithm) -> bool {
        match self {
            Self::Rsa2048 | Self::Rsa3072 => scheme.is_rsa(),
            // Each curve with the hash of its strength, as the signers implement it.
            Self::P256 => scheme == SignatureAlgorithm::EcdsaSha256,
            Self::P384 => scheme == SignatureAlgorithm::EcdsaSha384,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "rsa2048" => Ok(Self::Rsa2048),
            "rsa3072" => Ok(Self::Rsa3072),
            "p256" | "ecdsap256" | "secp256r1" | "prime256v1" => Ok(Self::P256),
            "p384" | "ecdsap384" | "secp384r1" => Ok(Self::P384),
            _ => Err(KeyError::UnsupportedAlgorithm(s.to_owned())),
        }
    }
}

/// Signature schemes kyso computes and verifies (SHA-2 only, as Circular 15/2025 requires).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt.
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt.
    RsaPssSha384,
    /// ECDSA with SHA-256.
    EcdsaSha256,
    /// ECDSA with SHA-384.
    EcdsaSha384,
}

impl SignatureAlgorithm {
    /// Every scheme.
    pub const ALL: [SignatureAlgorithm; 7] = [
        Self::RsaPkcs1Sha256,
        Self::RsaPkcs1Sha384,
        Self::RsaPkcs1Sha512,
        Self::RsaPssSha256,
        Self::RsaPssSha384,
        Self::EcdsaSha256,
        Self::EcdsaSha384,
    ];

    /// The scheme whose [`as_str`](Self::as_str) is `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The hash the scheme signs with.
    pub fn digest_algorithm(self) -> &'static aws_lc_rs::digest::Algorithm {
        use aws_lc_rs::digest;
        match self {
            Self::RsaPkcs1Sha256 | Self::RsaPssSha256 | Self::EcdsaSha256 => &digest::SHA256,
            Self::RsaPkcs1Sha384 | Self::RsaPssSha384 | Self::EcdsaSha384 => &digest::SHA384,
            Self::RsaPkcs1Sha512 => &digest::SHA512,
        }
    }

    /// A digest computed elsewhere (CSC `signHash`), checked to have this scheme's length.
    pub fn import_digest(self, digest: &[u8]) -> Result<aws_lc_rs::digest::Digest, KeyError> {
        let alg = self.digest_algorithm();
        if digest.len() != alg.output_len() {
            return Err(KeyError::DigestLength {
                scheme: self.as_str(),
                expected: alg.output_len(),
                got: digest.len(),
            });
        }
        aws_lc_rs::digest::Digest::import_less_safe(digest, alg)
            .map_err(|_| KeyError::Crypto("digest import failed"))
    }

    /// True for the RSA schemes.
    pub fn is_rsa(self) -> bool {
        !matches!(self, Self::EcdsaSha256 | Self::EcdsaSha384)
    }

    /// Short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaPkcs1Sha256 => "sha256WithRSAEncryption",
            Self::RsaPkcs1Sha384 => "sha384WithRSAEncryption",
            Self::RsaPkcs1Sha512 => "sha512WithRSAEncryption",
            Self::RsaPssSha256 => "rsassaPss-sha256",
            Self::RsaPssSha384 => "rsassaPss-sha384",
            Self::EcdsaSha256 => "ecdsa-with-SHA256",
            Self::EcdsaSha384 => "ecdsa-with-SHA384",
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
