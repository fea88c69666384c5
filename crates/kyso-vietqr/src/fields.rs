//! The values a VietQR carries, each parsed once: holding one means it fits the payload.

use crate::Error;
use std::fmt;
use std::str::FromStr;

/// A bank's NAPAS BIN (acquirer id): 6 digits, e.g. `970403` (Sacombank).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bin(String);

impl Bin {
    /// Parses 6 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Bin(s.to_owned()))
        } else {
            Err(Error::BadBin(s.to_owned()))
        }
    }

    /// The 6 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the beneficiary number is, which picks the NAPAS service code (tag `38`, sub-tag
/// `02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Service {
    /// A bank account: `QRIBFTTA`.
    #[default]
    Account,
    /// A card number: `QRIBFTTC`.
    Card,
}

impl Service {
    /// The service code written in the payload.
    pub fn code(self) -> &'static str {
        match self {
            Service::Account => "QRIBFTTA",
            Service::Card => "QRIBFTTC",
        }
    }

    /// The service with this code, if NAPAS defines it for transfers.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "QRIBFTTA" => Some(Service::Account),
            "QRIBFTTC" => Some(Service::Card),
            _ => None,
        }
    }
}

/// The beneficiary's account number (1 to 19 ASCII letters or digits) or card number (1 to
/// 19 digits), as the service says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    /// Parses an account or card number for `service`.
    pub fn parse(s: &str, service: Service) -> Result<Self, Error> {
        let (what, expected, ok): (_, _, fn(&u8) -> bool) = match service {
            Service::Account => (
                "account number",
                "ASCII letters or digits",
                u8::is_ascii_alphanumeric,
            ),
            Service::Card => ("card number", "digits", u8::is_ascii_digit),
        };
        if (1..=19).contains(&s.len()) && s.as_bytes().iter().all(ok) {
            Ok(AccountNumber(s.to_owned()))
        } else {
            Err(Error::BadAccount {
                what,
                expected,
                got: s.to_owned(),
            })
        }
    }

    /// The number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An amount in đồng. The đồng has no minor unit (ISO 4217 exponent 0), so the payload
/// carries a whole number: 1 to 13 digits, never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(u64);

impl Amount {
    /// The largest amount 13 digits can write.
    pub const MAX: u64 = 9_999_999_999_999;

    /// An amount of `dong` đồng, from 1 to [`Amount::MAX`].
    pub fn new(dong: u64) -> Result<Self, Error> {
        if (1..=Self::MAX).contains(&dong) {
            Ok(Amount(dong))
        } else {
            Err(Error::BadAmount(dong.to_string()))
        }
    }

    /// Parses plain digits. Signs, separators, decimals and leading zeros are refused
    /// rather than guessed at: `180.000` is 180 000 đồng to a Vietnamese reader but 180 to
    /// a program.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = || Error::BadAmount(s.to_owned());
        if s.is_empty() || s.len() > 13 || s.starts_with('0') {
            return Err(bad());
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        // 13 digits always fit in a u64.
        s.parse().map(Amount).map_err(|_| bad())
    }

    /// The amount in đồng.
    pub fn dong(self) -> u64 {
        self.0
    }
}

/// The bill number (tag `62`, sub-tag `01`): the reference the payment comes back with,
/// e.g. the dossier's fee number. Printable ASCII, 1 to 99 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BillNumber(String);

impl BillNumber {
    /// Parses a bill number.
    pub fn parse(s: &str) -> Result<Self, Error> {
        plain_text("bill number", s).map(BillNumber)
    }

    /// The bill number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The purpose of the transaction (tag `62`, sub-tag `08`): the transfer message the
/// citizen's bank app pre-fills. Unaccented printable ASCII, 1 to 99 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purpose(String);

impl Purpose {
    /// Parses a purpose. Vietnamese with diacritics is refused with the unaccented text
    /// suggested, not silently stripped: the caller decides what the citizen sees.
    pub fn parse(s: &str) -> Result<Self, Error> {
        plain_text("purpose", s).map(Purpose)
    }

    /// The purpose as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_traits {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s)
            }
        }
    )*};
}
text_traits!(Bin, BillNumber, Purpose);

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Amount {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Amount::parse(s)
    }
}

/// A free-text field value: 1 to 99 bytes of printable ASCII (space to `~`).
fn plain_text(field: &'static str, s: &str) -> Result<String, Error> {
    if s.is_empty() {
        return Err(Error::Empty(field));
    }
    if !s.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        let hint = match unaccented(s) {
            Some(plain) => format!("write {plain:?}"),
            None => "write it with plain letters, digits and punctuation".to_owned(),
        };
        return Err(Error::NotPlainAscii {
            field,
            got: s.to_owned(),
            hint,
        });
    }
    if s.len() > 99 {
        return Err(Error::TooLong {
            field,
            len: s.len(),
        });
    }
    Ok(s.to_owned())
}

/// Vietnamese letters with diacritics, grouped by the base letter they lose them to.
const VIETNAMESE: &[(char, &str)] = &[
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('d', "đ"),
    ('e', "èéẻẽẹêềếểễệ"),
    ('i', "ìíỉĩị"),
    ('o', "òóỏõọôồốổỗộơờớởỡợ"),
    ('u', "ùúủũụưừứửữự"),
    ('y', "ỳýỷỹỵ"),
];

/// The text with Vietnamese diacritics removed, precomposed (NFC) or as combining marks
/// (NFD, as some phone keyboards send), if that leaves printable ASCII; `None` when other
/// characters remain (symbols, emoji, control characters), which no rule should guess.
fn unaccented(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else if ('\u{0300}'..='\u{036F}').contains(&c) {
            // A combining mark: the base letter before it was already written.
        } else {
            let lower = c.to_lowercase().next()?;
            let base = VIETNAMESE
                .iter()
                .find(|(_, accented)| accented.contains(lower))?
                .0;
            out.push(if c.is_uppercase() {
                base.to_ascii_uppercase()
            } else {
                base
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_is_six_digits() {
        assert_eq!(Bin::parse("970403").unwrap().as_str(), "970403");
        for bad in ["", "97040", "9704031", "97040a", "９７０４０３"] {
            assert_eq!(Bin::parse(bad), Err(Error::BadBin(bad.into())), "{bad}");
        }
    }

    #[test]
    fn account_and_card_numbers() {
        assert!(AccountNumber::parse("0011012345678", Service::Account).is_ok());
        assert!(AccountNumber::parse("VQR0A1B2C3", Service::Account).is_ok());
        assert!(AccountNumber::parse("9704031234567890123", Service::Card).is_ok());
        for bad in ["", "12345678901234567890", "0011 0123", "001-1", "số"] {
            assert!(
                AccountNumber::parse(bad, Service::Account).is_err(),
                "{bad}"
            );
        }
        let e = AccountNumber::parse("9704AB", Service::Card).unwrap_err();
        assert!(e.to_string().contains("card number must be 1 to 19 digits"));
    }

    #[test]
    fn amounts_are_whole_dong() {
        assert_eq!(Amount::parse("180000").unwrap().dong(), 180_000);
        assert_eq!(Amount::parse("9999999999999").unwrap().dong(), Amount::MAX);
        for bad in [
            "",
            "0",
            "0180000",
            "10000000000000",
            "180.000",
            "180,000",
            "180000.00",
            "+180000",
            "-5",
            " 180000",
        ] {
            assert_eq!(
                Amount::parse(bad),
                Err(Error::BadAmount(bad.into())),
                "{bad}"
            );
        }
        assert!(Amount::new(0).is_err());
        assert!(Amount::new(Amount::MAX + 1).is_err());
    }

    #[test]
    fn text_fields() {
        assert_eq!(
            Purpose::parse("thanh toan don hang").unwrap().as_str(),
            "thanh toan don hang"
        );
        assert!(BillNumber::parse("NPS6869").is_ok());
        assert_eq!(BillNumber::parse(""), Err(Error::Empty("bill number")));
        assert!(Purpose::parse(&"x".repeat(99)).is_ok());
        assert_eq!(
            Purpose::parse(&"x".repeat(100)),
            Err(Error::TooLong {
                field: "purpose",
                len: 100
            })
        );
        assert!(Purpose::parse("line\nbreak").is_err());
        assert!(Purpose::parse("tab\there").is_err());
    }

    #[test]
    fn diacritics_are_refused_with_the_unaccented_text() {
        let e = Purpose::parse("Lệ phí đăng ký khai sinh").unwrap_err();
        let Error::NotPlainAscii { field, hint, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*field, "purpose");
        assert_eq!(hint, "write \"Le phi dang ky khai sinh\"");
        assert!(e.to_string().contains("unaccented"), "{e}");

        // Upper case, and decomposed (NFD) input.
        assert_eq!(unaccented("ĐỖ THỊ HƯƠNG").as_deref(), Some("DO THI HUONG"));
        assert_eq!(
            unaccented("thanh toa\u{0301}n").as_deref(),
            Some("thanh toan")
        );
        // Not Vietnamese: no guess.
        let e = Purpose::parse("phí ☕").unwrap_err();
        assert!(e.to_string().contains("plain letters"), "{e}");
        assert_eq!(unaccented("a\u{0007}"), None);
    }
}
