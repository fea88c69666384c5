//! A submitted form, checked against its procedure.
//!
//! [`validate`] takes what an HTML form posts — field id and text, in any order — and gives
//! either a [`ValidForm`] of typed values or *every* problem at once ([`FormErrors`]), each
//! with a message in Vietnamese and in English. Reporting only the first problem would send
//! a citizen on a phone back and forth once per mistake.
//!
//! The rules, by field type:
//!
//! * all: surrounding whitespace is ignored; a blank optional field is absent, a blank
//!   required one is an error; a field sent twice, or one the procedure does not have, is an
//!   error (the caller removes its own keys, such as the CSRF token, first);
//! * `text`: Unicode NFC, runs of whitespace collapsed to one space, control and invisible
//!   formatting characters refused (the rules of [`kyso_core::TextField`], so a name on a
//!   dossier reads the same as on the certificate), at most `max_length` characters, then
//!   the pattern, if any, against the whole normalised value;
//! * `date`: exactly `YYYY-MM-DD` (what `<input type="date">` sends), not before 1900, not
//!   after `today` where the field says `not_future`;
//! * `cccd`: [`kyso_core::Cccd::parse`];
//! * `phone`: [`kyso_population::phone::normalise_phone`], kept in national form;
//! * `select`: exactly one of the option values;
//! * `number`: ASCII digits with an optional leading `-`, inside `min..=max`.
//!
//! Attachments are checked one by one with [`check_attachment`].

mod attachment;

use std::collections::HashSet;
use std::fmt;

use kyso_core::{Cccd, IdentityError, TextField};
use kyso_population::Date;
use kyso_population::phone::normalise_phone;

use crate::catalogue::{Field, FieldKind, Procedure};

pub use attachment::{
    AttachmentError, CheckedAttachment, OtherKind, Sniffed, check_attachment, missing_attachments,
    sniff,
};

/// The earliest date any field accepts. Nobody alive was born before it and no licence
/// expires before it; a year like `0199` is a typing error.
const EARLIEST_YEAR: i32 = 1900;

/// Unknown keys are echoed in errors; this bounds how much of a hostile key comes back.
const MAX_ECHOED_KEY_CHARS: usize = 64;

/// One typed value of a valid form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// Normalised text.
    Text(String),
    /// A calendar date.
    Date(Date),
    /// A CCCD number.
    Cccd(Cccd),
    /// A phone number in national form (`0912345678`).
    Phone(String),
    /// The value of the chosen option.
    Choice(String),
    /// A whole number.
    Number(i64),
}

impl fmt::Display for Value {
    /// The canonical form, which [`validate`] accepts again unchanged: dossiers can store
    /// it and re-check it against a later version of the procedure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) | Self::Phone(s) | Self::Choice(s) => f.write_str(s),
            Self::Date(d) => write!(f, "{d}"),
            Self::Cccd(c) => write!(f, "{c}"),
            Self::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A form that passed every rule of its procedure. Only [`validate`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidForm {
    procedure: String,
    /// In the procedure's field order; blank optional fields are left out.
    values: Vec<(String, Value)>,
}

impl ValidForm {
    /// The code of the procedure it was checked against.
    pub fn procedure_code(&self) -> &str {
        &self.procedure
    }

    /// The value of a field, or `None` if it was left blank (or does not exist).
    pub fn get(&self, id: &str) -> Option<&Value> {
        self.values.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }

    /// The value of a text field, as text.
    pub fn text(&self, id: &str) -> Option<&str> {
        match self.get(id)? {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Every value given, in the procedure's field order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A required field was blank or missing.
    Required,
    /// The procedure has no field of that name.
    Unknown,
    /// The field was sent more than once.
    Repeated,
    /// Longer than the field allows (characters after normalisation).
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A control or invisible formatting character.
    ControlCharacter {
        /// The code point.
        code: u32,
    },
    /// The text does not match the field's pattern.
    PatternMismatch,
    /// Not a `YYYY-MM-DD` date that exists.
    BadDate,
    /// After today, in a field that refuses the future.
    DateInFuture,
    /// Before 1900.
    DateTooEarly,
    /// Not a 12-digit CCCD number.
    BadCccd,
    /// Not a Vietnamese phone number.
    BadPhone,
    /// Not one of the select's options.
    NotAnOption,
    /// Not a whole number.
    BadNumber,
    /// A number outside the field's range.
    OutOfRange {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// Refused for a reason not listed above.
    Invalid,
}

impl Problem {
    /// The message in English, a sentence to show next to the field.
    pub fn en(&self) -> String {
        match self {
            Self::Required => "This field is required.".into(),
            Self::Unknown => "This form has no such field.".into(),
            Self::Repeated => "This field was sent more than once.".into(),
            Self::TooLong { len, max } => {
                format!("Too long: {len} characters; at most {max} are allowed.")
            }
            Self::ControlCharacter { code } => format!(
                "Contains an invisible or control character (U+{code:04X}); please type it again."
            ),
            Self::PatternMismatch => "Not in the expected form; see the hint.".into(),
            Self::BadDate => {
                "Not a valid date; write it as year-month-day, e.g. 2025-07-01.".into()
            }
            Self::DateInFuture => "This date cannot be later than today.".into(),
            Self::DateTooEarly => "Dates before 1900 are not accepted.".into(),
            Self::BadCccd => "A CCCD number is exactly 12 digits.".into(),
            Self::BadPhone => "Not a Vietnamese phone number (a mobile has 10 digits starting 03, 05, 07, 08 or 09; a landline starts 02).".into(),
            Self::NotAnOption => "Choose one of the options listed.".into(),
            Self::BadNumber => "Write a whole number, with digits only.".into(),
            Self::OutOfRange { min, max } => format!("Must be between {min} and {max}."),
            Self::Invalid => "This value cannot be accepted.".into(),
        }
    }

    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            Self::Required => "Vui lòng nhập thông tin này.".into(),
            Self::Unknown => "Biểu mẫu không có trường này.".into(),
            Self::Repeated => "Trường này được gửi nhiều lần.".into(),
            Self::TooLong { len, max } => {
                format!("Quá dài: {len} ký tự; tối đa {max} ký tự.")
            }
            Self::ControlCharacter { code } => format!(
                "Có ký tự điều khiển hoặc ký tự ẩn (U+{code:04X}); vui lòng nhập lại."
            ),
            Self::PatternMismatch => "Không đúng định dạng; xem hướng dẫn.".into(),
            Self::BadDate => {
                "Ngày không hợp lệ; ghi theo dạng năm-tháng-ngày, ví dụ 2025-07-01.".into()
            }
            Self::DateInFuture => "Ngày này không được sau ngày hôm nay.".into(),
            Self::DateTooEarly => "Không chấp nhận ngày trước năm 1900.".into(),
            Self::BadCccd => "Số CCCD phải gồm đúng 12 chữ số.".into(),
            Self::BadPhone => "Số điện thoại không hợp lệ (di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09; điện thoại cố định bắt đầu bằng 02).".into(),
            Self::NotAnOption => "Vui lòng chọn một trong các lựa chọn có sẵn.".into(),
            Self::BadNumber => "Vui lòng nhập số nguyên, chỉ gồm chữ số.".into(),
            Self::OutOfRange { min, max } => format!("Giá trị phải từ {min} đến {max}."),
            Self::Invalid => "Giá trị này không được chấp nhận.".into(),
        }
    }
}

/// A problem with one field of a submitted form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}", problem.en())]
pub struct FieldError {
    /// The field id as submitted (truncated to 64 characters if unknown and longer).
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

impl FieldError {
    /// The message in English.
    pub fn problem_en(&self) -> String {
        self.problem.en()
    }

    /// The message in Vietnamese.
    pub fn problem_vi(&self) -> String {
        self.problem.vi()
    }
}

/// Every problem of a refused form: fields in the procedure's order, then unknown keys in
/// the order they were sent. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) refused: {}", errors.len(), summary(errors))]
pub struct FormErrors {
    errors: Vec<FieldError>,
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl FormErrors {
    /// All the problems.
    pub fn as_slice(&self) -> &[FieldError] {
        &self.errors
    }

    /// The problem of one field, if it has one.
    pub fn for_field(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == id)
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always false; here because clippy expects it next to `len`.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl IntoIterator for FormErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// Checks a submitted form against `procedure`. `today` is the date in Vietnam
/// ([`Date::today_in_vietnam`]); it is a parameter so that the check is pure and its tests
/// do not depend on when they run.
pub fn validate<I, K, V>(
    procedure: &Procedure,
    input: I,
    today: Date,
) -> Result<ValidForm, FormErrors>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut given: Vec<(String, String)> = Vec::new();
    let mut repeated: HashSet<String> = HashSet::new();
    let mut extra_errors = Vec::new();
    let mut unknown_seen: HashSet<String> = HashSet::new();
    for (k, v) in input {
        let k = k.as_ref();
        if procedure.field(k).is_some() {
            if given.iter().any(|(g, _)| g == k) {
                repeated.insert(k.to_owned());
            } else {
                given.push((k.to_owned(), v.as_ref().to_owned()));
            }
        } else {
            let echoed: String = k.chars().take(MAX_ECHOED_KEY_CHARS).collect();
            if unknown_seen.insert(echoed.clone()) {
                extra_errors.push(FieldError {
                    field: echoed,
                    problem: Problem::Unknown,
                });
            }
        }
    }

    let mut errors = Vec::new();
    let mut values = Vec::new();
    for field in procedure.fields() {
        let id = field.id();
        let result = if repeated.contains(id) {
            Err(Problem::Repeated)
        } else {
            let raw = given
                .iter()
                .find(|(g, _)| g == id)
                .map_or("", |(_, v)| v.as_str());
            parse_value(field, raw, today)
        };
        match result {
            Ok(Some(v)) => values.push((id.to_owned(), v)),
            Ok(None) => {}
            Err(problem) => errors.push(FieldError {
                field: id.to_owned(),
                problem,
            }),
        }
    }
    errors.extend(extra_errors);
    if errors.is_empty() {
        Ok(ValidForm {
            procedure: procedure.code().to_owned(),
            values,
        })
    } else {
        Err(FormErrors { errors })
    }
}

/// One field's value: `Ok(None)` for a blank optional field.
fn parse_value(field: &Field, raw: &str, today: Date) -> Result<Option<Value>, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        return if field.required() {
            Err(Problem::Required)
        } else {
            Ok(None)
        };
    }
    let value = match field.kind() {
        FieldKind::Text {
            max_length,
            pattern,
        } => {
            let text = TextField::parse("field", s, *max_length).map_err(|e| match e {
                IdentityError::TooLong { len, max, .. } => Problem::TooLong { len, max },
                IdentityError::ControlCharacter { code, .. } => Problem::ControlCharacter { code },
                // Only reachable with text that is all invisible characters that `trim`
                // keeps; for the citizen it is a blank field.
                IdentityError::Empty { .. } => Problem::Required,
                _ => Problem::Invalid,
            })?;
            if pattern.as_ref().is_some_and(|p| !p.matches(text.as_str())) {
                return Err(Problem::PatternMismatch);
            }
            Value::Text(text.as_str().to_owned())
        }
        FieldKind::Date { not_future } => {
            let d = Date::parse_iso(s).ok_or(Problem::BadDate)?;
            if d.year() < EARLIEST_YEAR {
                return Err(Problem::DateTooEarly);
            }
            if *not_future && d > today {
                return Err(Problem::DateInFuture);
            }
            Value::Date(d)
        }
        FieldKind::Cccd => Value::Cccd(Cccd::parse(s).map_err(|_| Problem::BadCccd)?),
        FieldKind::Phone => Value::Phone(normalise_phone(s).ok_or(Problem::BadPhone)?),
        FieldKind::Select { options } => {
            let o = options
                .iter()
                .find(|o| o.value() == s)
                .ok_or(Problem::NotAnOption)?;
            Value::Choice(o.value().to_owned())
        }
        FieldKind::Number { min, max } => {
            let n = parse_integer(s).ok_or(Problem::BadNumber)?;
            if n < *min || n > *max {
                return Err(Problem::OutOfRange {
                    min: *min,
                    max: *max,
                });
            }
            Value::Number(n)
        }
    };
    Ok(Some(value))
}

/// Plain digits with an optional `-`. No `+`, no separators: `1.000` is one thousand to a
/// Vietnamese reader and one to an English one, so neither is guessed.
fn parse_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_plain_digits() {
        assert_eq!(parse_integer("12"), Some(12));
        assert_eq!(parse_integer("-3"), Some(-3));
        for bad in [
            "",
            "-",
            "+1",
            "1.000",
            "1,5",
            "1e3",
            "١٢",
            "99999999999999999999",
        ] {
            assert_eq!(parse_integer(bad), None, "{bad}");
        }
    }
}
