//! Certificate profiles: what each kind of certificate kyso issues must contain.
//!
//! The same [`Profile`] rules drive both the builder ([`crate::issue`]) and the pre-issuance
//! lint ([`crate::lint`]); the lint works on the decoded TBSCertificate bytes, so an encoder
//! bug, a bad subject or an unexpected extension is caught before anything is signed.

use crate::oid;
use const_oid::ObjectIdentifier as Oid;
use kyso_core::{PersonName, SubjectIdentifier, TextField};
use x509_cert::ext::pkix::KeyUsages;

/// The kinds of certificate kyso issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Self-signed root of the deployment.
    Root,
    /// Issuing (subordinate) CA: one for individuals, one for organisation seals.
    IssuingCa,
    /// A citizen's personal signing certificate.
    Citizen,
    /// An organisation's seal (agency, school, hospital).
    Seal,
    /// Delegated OCSP responder.
    OcspSigner,
    /// RFC 3161 time-stamping unit.
    Tsa,
}

impl Profile {
    /// Name used in storage and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::IssuingCa => "issuing-ca",
            Self::Citizen => "citizen",
            Self::Seal => "seal",
            Self::OcspSigner => "ocsp",
            Self::Tsa => "tsa",
        }
    }

    /// Parses [`Profile::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Root,
            Self::IssuingCa,
            Self::Citizen,
            Self::Seal,
            Self::OcspSigner,
            Self::Tsa,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    /// True for CA certificates.
    pub fn is_ca(self) -> bool {
        matches!(self, Self::Root | Self::IssuingCa)
    }

    /// basicConstraints pathLenConstraint for CA profiles.
    pub fn path_len(self) -> Option<u8> {
        match self {
            Self::IssuingCa => Some(0),
            _ => None,
        }
    }

    /// keyUsage bits (always critical).
    pub fn key_usage(self) -> flagset::FlagSet<KeyUsages> {
        match self {
            Self::Root | Self::IssuingCa => KeyUsages::KeyCertSign | KeyUsages::CRLSign,
            // nonRepudiation (contentCommitment): the citizen commits to what they sign.
            Self::Citizen | Self::Seal => KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
            Self::OcspSigner | Self::Tsa => KeyUsages::DigitalSignature.into(),
        }
    }

    /// extendedKeyUsage, and whether it is critical. RFC 3161 §2.3 requires the TSA's to be
    /// critical and to hold only id-kp-timeStamping.
    pub fn extended_key_usage(self) -> Option<(Oid, bool)> {
        match self {
            Self::OcspSigner => Some((oid::KP_OCSP_SIGNING, false)),
            Self::Tsa => Some((oid::KP_TIME_STAMPING, true)),
            _ => None,
        }
    }

    /// certificatePolicies written into the certificate: the ETSI normalized policy that
    /// describes how the key is held, preceded by the operator's own policy OID if the
    /// deployment has one (a CA's certificate policy OID comes from its own arc, which an
    /// open-source default cannot invent).
    pub fn policies(self, operator_policy: Option<Oid>) -> Vec<Oid> {
        let etsi = match self {
            Self::Root => return vec![],
            Self::IssuingCa => return vec![oid::ANY_POLICY],
            // Subscriber keys live in an HSM or wrapped under the custodian's key: NCP+.
            Self::Citizen | Self::Seal => oid::ETSI_NCP_PLUS,
            Self::OcspSigner | Self::Tsa => oid::ETSI_NCP,
        };
        operator_policy
            .into_iter()
            .chain(std::iter::once(etsi))
            .collect()
    }

    /// Whether the certificate names an OCSP responder (AIA id-ad-ocsp). A delegated OCSP
    /// signer carries ocsp-nocheck instead: it is not itself checked by OCSP.
    pub fn has_ocsp_pointer(self) -> bool {
        matches!(self, Self::Citizen | Self::Seal | Self::Tsa)
    }

    /// Whether the certificate carries a CRL distribution point and caIssuers pointer.
    pub fn has_issuer_pointers(self) -> bool {
        !matches!(self, Self::Root | Self::OcspSigner)
    }

    /// Whether the certificate's CRL distribution point is a shard of its issuer's CRL
    /// (end-entity certificates) rather than the issuer's single CRL (CA certificates).
    pub fn uses_crl_shards(self) -> bool {
        matches!(self, Self::Citizen | Self::Seal | Self::Tsa)
    }

    /// Default validity in days.
    pub fn default_validity_days(self) -> u32 {
        match self {
            Self::Root => 20 * 365,
            Self::IssuingCa => 10 * 365,
            Self::Citizen | Self::Seal => 3 * 365,
            Self::OcspSigner => 365,
            Self::Tsa => 6 * 365,
        }
    }

    /// Longest validity the lint accepts, in days.
    pub fn max_validity_days(self) -> u32 {
        match self {
            Self::Root => 25 * 366,
            Self::IssuingCa => 15 * 366,
            Self::Citizen | Self::Seal => 5 * 366,
            Self::OcspSigner => 2 * 366,
            Self::Tsa => 11 * 366,
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a certificate is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectSpec {
    /// A natural person: `C=VN, ST=, L=, CN=<full name>, UID=CCCD:<12 digits>`.
    Person {
        /// Full name, family name first.
        name: PersonName,
        /// `CCCD:`, `CMND:` or `HC:` identifier.
        id: SubjectIdentifier,
        /// Province (stateOrProvinceName).
        province: TextField,
        /// Commune or ward (localityName), if given.
        locality: Option<TextField>,
    },
    /// An organisation's seal: `C=VN, ST=, L=, O=, CN=, UID=MST:…|MNS:…`.
    Organisation {
        /// Legal name of the organisation.
        organisation: TextField,
        /// Common name (usually the same, or a department).
        common_name: TextField,
        /// `MST:` or `MNS:` identifier.
        id: SubjectIdentifier,
        /// Province.
        province: TextField,
        /// Locality, if given.
        locality: Option<TextField>,
    },
    /// A CA or infrastructure certificate: `C=VN, O=, CN=`.
    Authority {
        /// Operator's organisation.
        organisation: TextField,
        /// Name of this CA or service.
        common_name: TextField,
    },
}

impl SubjectSpec {
    /// The attributes, in the order they are written.
    pub fn attributes(&self) -> Vec<(Oid, String)> {
        let mut v = vec![(oid::COUNTRY, "VN".to_owned())];
        match self {
            Self::Person {
                name,
                id,
                province,
                locality,
            } => {
                push_place(&mut v, province, locality.as_ref());
                // EN 319 412-2 asks natural-person certificates for surname and/or
                // givenName besides CN; Vietnamese names put the family name first.
                let (family, given) = split_vietnamese_name(name.as_str());
                if let Some(f) = family {
                    v.push((oid::SURNAME, f.to_owned()));
                }
                v.push((oid::GIVEN_NAME, given.to_owned()));
                v.push((oid::COMMON_NAME, name.to_string()));
                v.push((oid::USER_ID, id.to_string()));
            }
            Self::Organisation {
                organisation,
                common_name,
                id,
                province,
                locality,
            } => {
                push_place(&mut v, province, locality.as_ref());
                v.push((oid::ORGANIZATION, organisation.to_string()));
                v.push((oid::ORGANIZATION_IDENTIFIER, organisation_identifier(id)));
                v.push((oid::COMMON_NAME, common_name.to_string()));
                v.push((oid::USER_ID, id.to_string()));
            }
            Self::Authority {
                organisation,
                common_name,
            } => {
                v.push((oid::ORGANIZATION, organisation.to_string()));
                v.push((oid::COMMON_NAME, common_name.to_string()));
            }
        }
        v
    }

    /// Whether this kind of subject is what `profile` certifies.
    pub fn fits(&self, profile: Profile) -> bool {
        match (self, profile) {
            (Self::Person { id, .. }, Profile::Citizen) => !id.is_organisation(),
            (Self::Organisation { id, .. }, Profile::Seal) => id.is_organisation(),
            (
                Self::Authority { .. },
                Profile::Root | Profile::IssuingCa | Profile::OcspSigner | Profile::Tsa,
            ) => true,
            _ => false,
        }
    }

    /// The identifier in the UID attribute, if any.
    pub fn identifier(&self) -> Option<&SubjectIdentifier> {
        match self {
            Self::Person { id, .. } | Self::Organisation { id, .. } => Some(id),
            Self::Authority { .. } => None,
        }
    }
}

/// Splits a Vietnamese full name into family name (first word) and the rest (middle and
/// given names). A one-word name has no family part.
pub fn split_vietnamese_name(full: &str) -> (Option<&str>, &str) {
    match full.split_once(' ') {
        Some((family, given)) => (Some(family), given),
        None => (None, full),
    }
}

/// The EN 319 412-1 organizationIdentifier for an organisation's identifier: `VATVN-` for
/// a tax code (the MST is Vietnam's VAT registration number), `NTRVN-` for a budget-unit
/// code (the state register of budget-funded units).
pub fn organisation_identifier(id: &SubjectIdentifier) -> String {
    match id {
        SubjectIdentifier::TaxCode(v) => format!("VATVN-{v}"),
        other => format!("NTRVN-{}", other.value()),
    }
}

fn push_place(v: &mut Vec<(Oid, String)>, province: &TextField, locality: Option<&TextField>) {
    v.push((oid::PROVINCE, province.to_string()));
    if let Some(l) = locality {
        v.push((oid::LOCALITY, l.to_string()));
    }
}
