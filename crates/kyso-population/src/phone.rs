//! Vietnamese phone numbers as people type them.
//!
//! Files from communes write the same number as `0912 345 678`, `0912.345.678` or
//! `+84912345678`. The campaign sends one-time codes to it, so it is reduced to one form:
//! ten digits starting `0` for mobiles (prefixes 03, 05, 07, 08, 09 since the 2018
//! renumbering), eleven starting `02` for landlines.

/// The number in national form (`0912345678`), or `None` if it cannot be a Vietnamese
/// number.
pub fn normalise_phone(s: &str) -> Option<String> {
    let mut digits = String::with_capacity(12);
    for (i, c) in s.trim().chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return None,
        }
    }
    let national = if digits.starts_with("84") && (digits.len() == 11 || digits.len() == 12) {
        format!("0{}", &digits[2..])
    } else if s.trim_start().starts_with('+') {
        return None;
    } else {
        digits
    };
    let b = national.as_bytes();
    let mobile = b.len() == 10 && b[0] == b'0' && matches!(b[1], b'3' | b'5' | b'7' | b'8' | b'9');
    let landline = b.len() == 11 && b.starts_with(b"02");
    (mobile || landline).then_some(national)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        for s in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "+84912345678",
            "+84 912 345 678",
            "84912345678",
        ] {
            assert_eq!(normalise_phone(s).as_deref(), Some("0912345678"), "{s}");
        }
        assert_eq!(
            normalise_phone("0234 3822 123").as_deref(),
            Some("02343822123")
        );
    }

    #[test]
    fn refuses_what_cannot_be_called() {
        for s in [
            "091234567",
            "09123456789",
            "0112345678",
            "1912345678",
            "+1 912 345 6789",
            "0912-345-67x",
            "09123+45678",
            "",
        ] {
            assert_eq!(normalise_phone(s), None, "{s}");
        }
    }
}
