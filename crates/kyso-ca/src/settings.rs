//! Deployment settings kept in the store, so that every process opening the same database
//! (CLI, server, a second server behind a load balancer) sees the same CA configuration.

/// Public base URL written into certificates.
pub const PUBLIC_URL: &str = "ca.public_url";
/// Number of CRL shards per issuing CA.
pub const CRL_SHARDS: &str = "ca.crl_shards";
/// Operator's certificate policy OID (optional).
pub const OPERATOR_POLICY: &str = "ca.operator_policy";
/// `soft` or `pkcs11`.
pub const KEYSTORE_KIND: &str = "keystore.kind";
/// Path of the PKCS#11 module.
pub const PKCS11_MODULE: &str = "keystore.pkcs11.module";
/// Label of the PKCS#11 token.
pub const PKCS11_TOKEN: &str = "keystore.pkcs11.token";
/// File holding the PKCS#11 user PIN (the PIN itself is never stored).
pub const PKCS11_PIN_FILE: &str = "keystore.pkcs11.pin_file";

/// Default public URL: the default listen address of `kyso serve`.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// Default number of CRL shards.
pub const DEFAULT_CRL_SHARDS: u16 = 16;
