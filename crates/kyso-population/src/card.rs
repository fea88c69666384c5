//! The QR code on a CCCD card, read by a field officer's phone at the door:
//! `CCCD|old CMND (may be empty)|Name|DDMMYYYY|Nam/Nữ|address|issue date DDMMYYYY`.
//!
//! Parsing checks the card against itself (the CCCD's century/sex digit and year agree with
//! the printed birth date and sex; the card was issued after birth and not in the future);
//! [`CardText::matches`] then checks it against the registry, so that an enrolment at the
//! door is for the person the registry knows, not merely someone holding a card.

use crate::cccd::encoded_birth;
use crate::{Date, Sex};
use kyso_core::{Cccd, PersonName};

/// Longest QR text accepted (the real ones are ~150 bytes).
const MAX_QR_BYTES: usize = 1024;

/// What a CCCD card's QR code says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardText {
    /// The 12-digit number.
    pub cccd: Cccd,
    /// The old 9-digit CMND number, if printed.
    pub old_cmnd: Option<String>,
    /// Full name, family name first (NFC).
    pub name: PersonName,
    /// Date of birth.
    pub birth_date: Date,
    /// Sex.
    pub sex: Sex,
    /// Permanent address, as printed.
    pub address: String,
    /// Date the card was issued.
    pub issued: Date,
}

/// Why a QR text was refused, or does not match the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// Not the 7 `|`-separated fields of a CCCD QR code.
    #[error("not a CCCD card QR code: expected 7 fields separated by '|', found {0}")]
    Shape(usize),
    /// A field is malformed.
    #[error("the card's {field} is not valid: {value:?}")]
    Field {
        /// Which field.
        field: &'static str,
        /// What it says.
        value: String,
    },
    /// The card contradicts itself (number vs birth date and sex, issue date).
    #[error("the card is inconsistent: {0}")]
    Inconsistent(String),
    /// The card is not the registry's person.
    #[error("the card does not match the registry: {}", .0.join("; "))]
    Mismatch(Vec<String>),
}

fn dmy(field: &'static str, s: &str) -> Result<Date, CardError> {
    let bad = || CardError::Field {
        field,
        value: s.to_owned(),
    };
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| bad());
    Date::new(n(4..8)? as i32, n(2..4)?, n(0..2)?).ok_or_else(bad)
}

impl CardText {
    /// Parses and checks the QR text of a card, as of `today`.
    pub fn parse(text: &str, today: Date) -> Result<Self, CardError> {
        if text.len() > MAX_QR_BYTES {
            return Err(CardError::Shape(0));
        }
        let fields: Vec<&str> = text.trim_end_matches(['\r', '\n']).split('|').collect();
        let [cccd, cmnd, name, birth, sex, address, issued] = fields.as_slice() else {
            return Err(CardError::Shape(fields.len()));
        };
        let cccd = Cccd::parse(cccd.trim()).map_err(|_| CardError::Field {
            field: "CCCD number",
            value: (*cccd).to_owned(),
        })?;
        let old_cmnd = match cmnd.trim() {
            "" => None,
            c if (c.len() == 9 || c.len() == 12) && c.bytes().all(|b| b.is_ascii_digit()) => {
                Some(c.to_owned())
            }
            c => {
                return Err(CardError::Field {
                    field: "old CMND number",
                    value: c.to_owned(),
                });
            }
        };
        let name = PersonName::parse(name).map_err(|_| CardError::Field {
            field: "name",
            value: (*name).to_owned(),
        })?;
        let birth_date = dmy("date of birth", birth.trim())?;
        let sex = Sex::parse_vi(sex.trim()).ok_or_else(|| CardError::Field {
            field: "sex",
            value: (*sex).to_owned(),
        })?;
        let issued = dmy("issue date", issued.trim())?;
        let address = address.trim();
        if address.is_empty() || address.chars().any(char::is_control) {
            return Err(CardError::Field {
                field: "address",
                value: address.to_owned(),
            });
        }
        let (year, cccd_sex) = encoded_birth(&cccd);
        if i32::from(year) != birth_date.year() || cccd_sex != sex {
            return Err(CardError::Inconsistent(format!(
                "the number {} encodes a {} born in {year}, the card says {} born {birth_date}",
                cccd.as_str(),
                cccd_sex.as_vi(),
                sex.as_vi()
            )));
        }
        if issued < birth_date || issued > today {
            return Err(CardError::Inconsistent(format!(
                "issued on {issued}, which is before birth or in the future"
            )));
        }
        Ok(CardText {
            cccd,
            old_cmnd,
            name,
            birth_date,
            sex,
            address: address.to_owned(),
            issued,
        })
    }

    /// Checks the card against the registry's record of the person: same number, name,
    /// date of birth and sex. Names compare after Unicode composition and case folding,
    /// nothing looser: a different diacritic is a different name.
    pub fn matches(
        &self,
        cccd: &str,
        full_name: &str,
        birth_date: Date,
        sex: Sex,
    ) -> Result<(), CardError> {
        let mut problems = Vec::new();
        if self.cccd.as_str() != cccd {
            problems.push(format!(
                "the card's number {} is not {cccd}",
                self.cccd.as_str()
            ));
        }
        let registry_name = PersonName::parse(full_name)
            .map(|n| n.as_str().to_lowercase())
            .unwrap_or_default();
        if self.name.as_str().to_lowercase() != registry_name {
            problems.push(format!(
                "the card says {:?}, the registry {full_name:?}",
                self.name.as_str()
            ));
        }
        if self.birth_date != birth_date {
            problems.push(format!(
                "born {} on the card, {birth_date} in the registry",
                self.birth_date
            ));
        }
        if self.sex != sex {
            problems.push(format!(
                "{} on the card, {} in the registry",
                self.sex.as_vi(),
                sex.as_vi()
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CardError::Mismatch(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 30).unwrap()
    }

    const LAN: &str = "046190012345|191234567|Nguyễn Thị Lan|04031990|Nữ|12 Lê Lợi, Phường Thuận Hóa, Huế|15082021";

    #[test]
    fn a_real_shaped_card_parses_and_matches_its_registry_entry() {
        let card = CardText::parse(LAN, today()).unwrap();
        assert_eq!(card.cccd.as_str(), "046190012345");
        assert_eq!(card.old_cmnd.as_deref(), Some("191234567"));
        assert_eq!(card.name.as_str(), "Nguyễn Thị Lan");
        assert_eq!(card.birth_date, Date::new(1990, 3, 4).unwrap());
        assert_eq!(card.sex, Sex::Female);
        assert_eq!(card.issued, Date::new(2021, 8, 15).unwrap());
        card.matches(
            "046190012345",
            "NGUYỄN THỊ LAN",
            Date::new(1990, 3, 4).unwrap(),
            Sex::Female,
        )
        .unwrap();
        // The old CMND may be empty.
        let no_cmnd = LAN.replace("|191234567|", "||");
        assert_eq!(CardText::parse(&no_cmnd, today()).unwrap().old_cmnd, None);
    }

    #[test]
    fn mismatches_are_listed() {
        let card = CardText::parse(LAN, today()).unwrap();
        let err = card
            .matches(
                "046190012345",
                "Nguyễn Thị Lân",
                Date::new(1990, 3, 5).unwrap(),
                Sex::Female,
            )
            .unwrap_err();
        let CardError::Mismatch(problems) = err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn malformed_or_inconsistent_cards_are_refused() {
        let cases = [
            ("046190012345|Nguyễn Thị Lan|04031990", "7 fields"),
            (&LAN.replace("046190012345", "04619001234"), "CCCD number"),
            (&LAN.replace("04031990", "31021990"), "date of birth"),
            (&LAN.replace("|Nữ|", "|F|"), "sex"),
            (&LAN.replace("|Nữ|", "|Nam|"), "inconsistent"),
            (&LAN.replace("04031990", "04031991"), "inconsistent"),
            (&LAN.replace("15082021", "15082031"), "inconsistent"),
            (&LAN.replace("Nguyễn Thị Lan", "Nguyễn\u{202e}Lan"), "name"),
        ];
        for (text, expect) in cases {
            let err = CardText::parse(text, today()).unwrap_err().to_string();
            assert!(err.contains(expect), "{text}: {err}");
        }
        assert!(CardText::parse(&"x|".repeat(600), today()).is_err());
    }
}
