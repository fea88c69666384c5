//! Identities that appear in certificate subjects: CCCD numbers, other Vietnamese
//! identifiers, and human-readable names.

use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// Why an identity value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A CCCD number must be exactly 12 ASCII digits.
    #[error("CCCD number must be exactly 12 digits, got {got:?}")]
    BadCccd {
        /// The text that was given.
        got: String,
    },
    /// The value of an identifier does not have the shape its prefix requires.
    #[error("{kind} identifier must be {expected}, got {got:?}")]
    BadIdentifier {
        /// Prefix such as `MST`.
        kind: &'static str,
        /// What the value must look like.
        expected: &'static str,
        /// The text that was given.
        got: String,
    },
    /// The prefix before `:` is not one kyso knows.
    #[error("unknown identifier prefix {0:?} (expected CCCD, CMND, HC, MST, MNS or BHXH)")]
    UnknownIdentifierKind(String),
    /// A name was empty (after trimming).
    #[error("{field} must not be empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// A name was longer than the X.509 upper bound for the field.
    #[error("{field} is {len} characters long; the limit is {max}")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// The upper bound.
        max: usize,
    },
    /// A name contained a control or invisible formatting character (which could hide or
    /// reorder text shown to a person verifying the signature).
    #[error("{field} contains the control or formatting character U+{code:04X}")]
    ControlCharacter {
        /// Which field.
        field: &'static str,
        /// The offending code point.
        code: u32,
    },
}

/// A 12-digit citizen identity card number (Căn cước công dân).
///
/// Layout: 3 digits province of birth registration (pre-2025 codes), 1 digit century and
/// sex, 2 digits year of birth, 6 random digits. There is no check digit, and residence
/// must never be derived from it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cccd(String);

impl Cccd {
    /// Parses a CCCD number. Surrounding whitespace is ignored; nothing else is.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let t = s.trim();
        if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Cccd(t.to_owned()))
        } else {
            Err(IdentityError::BadCccd { got: s.to_owned() })
        }
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 3-digit province-of-registration code.
    pub fn province_code(&self) -> &str {
        &self.0[..3]
    }

    /// Year of birth, from the century/sex digit and the two year digits.
    pub fn birth_year(&self) -> u16 {
        let b = self.0.as_bytes();
        let century_digit = u16::from(b[3] - b'0');
        let yy = u16::from(b[4] - b'0') * 10 + u16::from(b[5] - b'0');
        // 0/1: 1900s, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 2300s (decree 137/2015).
        1900 + (century_digit / 2) * 100 + yy
    }

    /// True if the sex digit denotes female (odd digits).
    pub fn is_female(&self) -> bool {
        (self.0.as_bytes()[3] - b'0') % 2 == 1
    }
}

impl fmt::Debug for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cccd({})", self.0)
    }
}

impl fmt::Display for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Cccd {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Cccd::parse(&s)
    }
}

impl From<Cccd> for String {
    fn from(c: Cccd) -> String {
        c.0
    }
}

/// The identifier carried in the subject's `UID` attribute, written `PREFIX:value` as
/// Vietnamese providers do (`CCCD:001190012345`, `MST:0101234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubjectIdentifier {
    /// Citizen identity card, 12 digits.
    Cccd(Cccd),
    /// Old identity card, 9 or 12 digits.
    Cmnd(String),
    /// Passport number (hộ chiếu).
    Passport(String),
    /// Tax code (mã số thuế): 10 digits, or 10 digits `-` 3 digits for a branch.
    TaxCode(String),
    /// Budget-relationship unit code (mã quan hệ ngân sách) of a state agency: 7 digits.
    BudgetUnit(String),
    /// Social insurance number (bảo hiểm xã hội): 10 digits.
    SocialInsurance(String),
}

fn all_digits(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

impl SubjectIdentifier {
    /// Parses `PREFIX:value`.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let (kind, value) = s
            .split_once(':')
            .ok_or_else(|| IdentityError::UnknownIdentifierKind(s.to_owned()))?;
        Self::from_parts(kind, value)
    }

    /// Builds an identifier from its prefix and value.
    pub fn from_parts(kind: &str, value: &str) -> Result<Self, IdentityError> {
        let v = value.trim();
        let bad = |kind: &'static str, expected: &'static str| IdentityError::BadIdentifier {
            kind,
            expected,
            got: value.to_owned(),
        };
        match kind.trim().to_ascii_uppercase().as_str() {
            "CCCD" => Ok(Self::Cccd(Cccd::parse(v)?)),
            "CMND" if all_digits(v, &[9, 12]) => Ok(Self::Cmnd(v.to_owned())),
            "CMND" => Err(bad("CMND", "9 or 12 digits")),
            "HC" if (6..=12).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Ok(Self::Passport(v.to_ascii_uppercase()))
            }
            "HC" => Err(bad("HC", "6 to 12 letters and digits")),
            "MST" => {
                let ok = match v.split_once('-') {
                    None => all_digits(v, &[10]),
                    Some((a, b)) => all_digits(a, &[10]) && all_digits(b, &[3]),
                };
                if ok {
                    Ok(Self::TaxCode(v.to_owned()))
                } else {
                    Err(bad("MST", "10 digits or 10-3 digits"))
                }
            }
            "MNS" if all_digits(v, &[7]) => Ok(Self::BudgetUnit(v.to_owned())),
            "MNS" => Err(bad("MNS", "7 digits")),
            "BHXH" if all_digits(v, &[10]) => Ok(Self::SocialInsurance(v.to_owned())),
            "BHXH" => Err(bad("BHXH", "10 digits")),
            other => Err(IdentityError::UnknownIdentifierKind(other.to_owned())),
        }
    }

    /// The prefix, e.g. `CCCD`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Cccd(_) => "CCCD",
            Self::Cmnd(_) => "CMND",
            Self::Passport(_) => "HC",
            Self::TaxCode(_) => "MST",
            Self::BudgetUnit(_) => "MNS",
            Self::SocialInsurance(_) => "BHXH",
        }
    }

    /// The value after the prefix.
    pub fn value(&self) -> &str {
        match self {
            Self::Cccd(c) => c.as_str(),
            Self::Cmnd(v)
            | Self::Passport(v)
            | Self::TaxCode(v)
            | Self::BudgetUnit(v)
            | Self::SocialInsurance(v) => v,
        }
    }

    /// True for identifiers of organisations (tax code, budget unit).
    pub fn is_organisation(&self) -> bool {
        matches!(self, Self::TaxCode(_) | Self::BudgetUnit(_))
    }
}

impl fmt::Display for SubjectIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.value())
    }
}

/// A free-text value for a certificate subject field (province, locality, organisation),
/// normalised to Unicode NFC so that "Huế" typed on any keyboard is stored the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TextField(String);

impl TextField {
    /// Parses `s` for `field`, with at most `max` characters (the X.509 upper bound for that
    /// attribute: 64 for CN, O, OU; 128 for ST and L).
    ///
    /// Whitespace is trimmed and runs of spaces collapsed; control characters and invisible
    /// formatting characters (bidi overrides, zero-width joiners) are refused because they
    /// make a name read differently from what it is.
    pub fn parse(field: &'static str, s: &str, max: usize) -> Result<Self, IdentityError> {
        for c in s.chars() {
            if is_forbidden(c) {
                return Err(IdentityError::ControlCharacter {
                    field,
                    code: c as u32,
                });
            }
        }
        let nfc: String = s.nfc().collect();
        let collapsed = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(IdentityError::Empty { field });
        }
        let len = collapsed.chars().count();
        if len > max {
            return Err(IdentityError::TooLong { field, len, max });
        }
        Ok(TextField(collapsed))
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                // soft hyphen
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'              // byte-order mark
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        )
}

/// A person's full name in Vietnamese order (family – middle – given), as written in the
/// certificate's common name: at most 64 characters (RFC 5280 ub-common-name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PersonName(TextField);

impl PersonName {
    /// Upper bound of the X.509 commonName.
    pub const MAX_CHARS: usize = 64;

    /// Parses a full name.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        TextField::parse("name", s, Self::MAX_CHARS).map(PersonName)
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cccd_needs_exactly_twelve_digits() {
        assert!(Cccd::parse("046190012345").is_ok());
        assert!(Cccd::parse(" 046190012345\n").is_ok());
        for bad in [
            "04619001234",
            "0461900123456",
            "04619001234a",
            "",
            "０４６１９００１２３４５",
        ] {
            assert!(
                matches!(Cccd::parse(bad), Err(IdentityError::BadCccd { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn cccd_decodes_birth_year_and_sex() {
        let c = Cccd::parse("046195012345").unwrap();
        assert_eq!(c.province_code(), "046");
        assert_eq!(c.birth_year(), 1995);
        assert!(c.is_female());
        let c = Cccd::parse("001203012345").unwrap();
        assert_eq!(c.birth_year(), 2003);
        assert!(!c.is_female());
    }

    #[test]
    fn identifiers_round_trip() {
        for s in [
            "CCCD:046190012345",
            "MST:0101234567",
            "MST:0101234567-001",
            "MNS:1234567",
            "HC:C1234567",
            "BHXH:0123456789",
            "CMND:123456789",
        ] {
            assert_eq!(SubjectIdentifier::parse(s).unwrap().to_string(), s);
        }
        assert!(SubjectIdentifier::parse("XYZ:1").is_err());
        assert!(SubjectIdentifier::parse("MST:12345").is_err());
        assert!(SubjectIdentifier::parse("nocolon").is_err());
    }

    #[test]
    fn names_are_normalised_and_bounded() {
        // "Nguyễn" typed with combining marks (NFD) equals the precomposed form.
        let nfd = "Nguye\u{0302}\u{0303}n  Thi\u{0323} Lan ";
        assert_eq!(PersonName::parse(nfd).unwrap().as_str(), "Nguyễn Thị Lan");
        assert!(matches!(
            PersonName::parse("   "),
            Err(IdentityError::Empty { .. })
        ));
        let long = "Ă".repeat(65);
        assert!(matches!(
            PersonName::parse(&long),
            Err(IdentityError::TooLong { len: 65, .. })
        ));
        assert!(PersonName::parse(&"Ă".repeat(64)).is_ok());
    }

    #[test]
    fn names_refuse_control_and_bidi_characters() {
        for bad in [
            "Lan\u{0007}",
            "Lan\nAnh",
            "Lan\u{202E}nA",
            "Lan\u{200B}Anh",
            "\u{FEFF}Lan",
        ] {
            assert!(
                matches!(
                    PersonName::parse(bad),
                    Err(IdentityError::ControlCharacter { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
