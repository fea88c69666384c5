//! Object identifiers used by kyso's profiles.

use const_oid::ObjectIdentifier as Oid;

/// countryName.
pub const COUNTRY: Oid = Oid::new_unwrap("2.5.4.6");
/// stateOrProvinceName.
pub const PROVINCE: Oid = Oid::new_unwrap("2.5.4.8");
/// localityName.
pub const LOCALITY: Oid = Oid::new_unwrap("2.5.4.7");
/// organizationName.
pub const ORGANIZATION: Oid = Oid::new_unwrap("2.5.4.10");
/// organizationalUnitName.
pub const ORGANIZATIONAL_UNIT: Oid = Oid::new_unwrap("2.5.4.11");
/// surname (family name, họ).
pub const SURNAME: Oid = Oid::new_unwrap("2.5.4.4");
/// givenName (middle and given names, tên đệm và tên).
pub const GIVEN_NAME: Oid = Oid::new_unwrap("2.5.4.42");
/// organizationIdentifier (EN 319 412-1 §5.1.4), e.g. `VATVN-0101234567`.
pub const ORGANIZATION_IDENTIFIER: Oid = Oid::new_unwrap("2.5.4.97");
/// commonName.
pub const COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3");
/// userid (UID), RFC 4519; Vietnamese providers carry `CCCD:…`, `MST:…` here.
pub const USER_ID: Oid = Oid::new_unwrap("0.9.2342.19200300.100.1.1");

/// ETSI EN 319 411-1 NCP (normalized certificate policy), for infrastructure
/// certificates that are not subscribers' signing keys.
pub const ETSI_NCP: Oid = Oid::new_unwrap("0.4.0.2042.1.1");
/// ETSI EN 319 411-1 NCP+ (normalized policy, secure cryptographic device): remote signing
/// keys are held in an HSM under the citizen's sole control.
pub const ETSI_NCP_PLUS: Oid = Oid::new_unwrap("0.4.0.2042.1.2");
/// anyPolicy, for CA certificates.
pub const ANY_POLICY: Oid = Oid::new_unwrap("2.5.29.32.0");

/// id-ad-ocsp.
pub const AD_OCSP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1");
/// id-ad-caIssuers.
pub const AD_CA_ISSUERS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.2");
/// id-kp-OCSPSigning.
pub const KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-kp-timeStamping.
pub const KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
/// id-pkix-ocsp-nocheck.
pub const OCSP_NOCHECK: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5");

/// Extension OIDs.
pub mod ext {
    use super::Oid;
    /// subjectKeyIdentifier.
    pub const SKI: Oid = Oid::new_unwrap("2.5.29.14");
    /// keyUsage.
    pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
    /// basicConstraints.
    pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
    /// cRLDistributionPoints.
    pub const CRL_DP: Oid = Oid::new_unwrap("2.5.29.31");
    /// certificatePolicies.
    pub const POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
    /// authorityKeyIdentifier.
    pub const AKI: Oid = Oid::new_unwrap("2.5.29.35");
    /// extKeyUsage.
    pub const EKU: Oid = Oid::new_unwrap("2.5.29.37");
    /// authorityInfoAccess.
    pub const AIA: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
    /// id-pkix-ocsp-nocheck.
    pub const OCSP_NOCHECK: Oid = super::OCSP_NOCHECK;
    /// cRLNumber.
    pub const CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
    /// reasonCode (CRL entry).
    pub const CRL_REASON: Oid = Oid::new_unwrap("2.5.29.21");
    /// issuingDistributionPoint.
    pub const ISSUING_DP: Oid = Oid::new_unwrap("2.5.29.28");
}
