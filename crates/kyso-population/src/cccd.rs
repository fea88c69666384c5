//! What a CCCD number says about its holder, and how to build one that says it.
//!
//! Digit 4 encodes century and sex (decree 137/2015/NĐ-CP: 0/1 man/woman born in the
//! 1900s, 2/3 in the 2000s, 4/5 in the 2100s, …); digits 5–6 the last two digits of the
//! birth year. A population file whose CCCD disagrees with the stated birth year or sex has
//! a typing error in one of them, and a certificate issued from it would carry it forever.

use crate::rows::Sex;
use kyso_core::Cccd;

/// The century-and-sex digit for someone of `sex` born in `year`; `None` before 1900 or
/// after 2399, which the scheme does not cover.
pub fn century_sex_digit(year: i32, sex: Sex) -> Option<u8> {
    if !(1900..2400).contains(&year) {
        return None;
    }
    let century = ((year - 1900) / 100) as u8;
    Some(century * 2 + u8::from(sex == Sex::Female))
}

/// The birth year and sex a CCCD number encodes.
pub fn encoded_birth(cccd: &Cccd) -> (u16, Sex) {
    let sex = if cccd.is_female() {
        Sex::Female
    } else {
        Sex::Male
    };
    (cccd.birth_year(), sex)
}

/// The 12 digits as a number, for compact duplicate detection.
pub(crate) fn as_u64(cccd: &Cccd) -> u64 {
    cccd.as_str()
        .bytes()
        .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_follows_century_and_sex() {
        assert_eq!(century_sex_digit(1930, Sex::Male), Some(0));
        assert_eq!(century_sex_digit(1999, Sex::Female), Some(1));
        assert_eq!(century_sex_digit(2000, Sex::Male), Some(2));
        assert_eq!(century_sex_digit(2007, Sex::Female), Some(3));
        assert_eq!(century_sex_digit(1899, Sex::Male), None);
    }

    #[test]
    fn decodes_what_it_encodes() -> Result<(), kyso_core::IdentityError> {
        let c = Cccd::parse("046307123456")?;
        assert_eq!(encoded_birth(&c), (2007, Sex::Female));
        assert_eq!(as_u64(&c), 46_307_123_456);
        Ok(())
    }
}
