//! Distinguished names: built with the string types Vietnamese validators expect
//! (`C` as PrintableString, everything else UTF8String so diacritics survive), and read
//! back as a list for the lint and for display.

use crate::PkiError;
use crate::oid;
use const_oid::ObjectIdentifier as Oid;
use der::asn1::Any;
use der::{Decode, Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

/// One attribute of a name, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAttribute {
    /// Attribute type.
    pub oid: Oid,
    /// ASN.1 string type of the value.
    pub tag: Tag,
    /// The value as text.
    pub value: String,
}

/// Builds a name from `(type, value)` pairs, one attribute per RDN, in the given order.
pub fn build_name(attrs: &[(Oid, &str)]) -> Result<Name, PkiError> {
    let mut seq = RdnSequence::default();
    for (oid, value) in attrs {
        let tag = if *oid == oid::COUNTRY {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        let atv = AttributeTypeAndValue {
            oid: *oid,
            value: Any::new(tag, value.as_bytes())?,
        };
        seq.push(RelativeDistinguishedName::try_from(vec![atv])?);
    }
    // `Name` has no public constructor outside x509-cert's `hazmat` feature; going through
    // DER costs microseconds and keeps us on the stable API.
    Ok(Name::from_der(&seq.to_der()?)?)
}

/// Reads a name's attributes in order. Values that are not text are reported as hex.
pub fn read_name(name: &Name) -> Vec<NameAttribute> {
    name.iter()
        .map(|atv| {
            let tag = atv.value.tag();
            let bytes = atv.value.value();
            let value = match tag {
                Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
                    String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| hex::encode(bytes))
                }
                _ => hex::encode(bytes),
            };
            NameAttribute {
                oid: atv.oid,
                tag,
                value,
            }
        })
        .collect()
}

/// Number of attributes per RDN, in order (kyso always writes 1).
pub fn rdn_sizes(name: &Name) -> Vec<usize> {
    name.iter_rdn().map(|r| r.len()).collect()
}

/// Short label of an attribute type, as in `CN=…`.
pub fn short_label(oid: Oid) -> String {
    match oid {
        o if o == oid::COUNTRY => "C".into(),
        o if o == oid::PROVINCE => "ST".into(),
        o if o == oid::LOCALITY => "L".into(),
        o if o == oid::ORGANIZATION => "O".into(),
        o if o == oid::ORGANIZATIONAL_UNIT => "OU".into(),
        o if o == oid::COMMON_NAME => "CN".into(),
        o if o == oid::USER_ID => "UID".into(),
        o if o == oid::SURNAME => "SN".into(),
        o if o == oid::GIVEN_NAME => "GN".into(),
        o if o == oid::ORGANIZATION_IDENTIFIER => "organizationIdentifier".into(),
        o => o.to_string(),
    }
}

/// Human-readable one-line form, most significant first: `C=VN, ST=…, CN=…, UID=…`.
pub fn display_name(name: &Name) -> String {
    read_name(name)
        .iter()
        .map(|a| format!("{}={}", short_label(a.oid), a.value))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_text_survives_encoding() {
        let n = build_name(&[
            (oid::COUNTRY, "VN"),
            (oid::COMMON_NAME, "Nguyễn Thị Lan"),
            (oid::USER_ID, "CCCD:046190012345"),
        ])
        .unwrap();
        let der = der::Encode::to_der(&n).unwrap();
        let back: Name = der::Decode::from_der(&der).unwrap();
        assert_eq!(
            display_name(&back),
            "C=VN, CN=Nguyễn Thị Lan, UID=CCCD:046190012345"
        );
        let attrs = read_name(&back);
        assert_eq!(attrs[0].tag, Tag::PrintableString);
        assert_eq!(attrs[1].tag, Tag::Utf8String);
    }
}
