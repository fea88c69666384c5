//! Reading a province's adult population from CSV, all or nothing.
//!
//! The file is the campaign's register: every household must be visited, and every CCCD
//! number ends up in a certificate subject. A half-imported file would leave some
//! households silently missing, so a file with any bad row is refused as a whole; and
//! because it is fixed by a person in a spreadsheet, every bad row is reported at once,
//! each with its line number and a reason in English and Vietnamese.
//!
//! The contract (header and one row):
//!
//! ```text
//! cccd,full_name,date_of_birth,sex,phone,household_id,commune_code
//! 046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,0912345678,46-19777-000123,19777
//! ```
//!
//! or, with where the household lives inside its commune, two more columns:
//!
//! ```text
//! cccd,full_name,date_of_birth,sex,phone,household_id,commune_code,village,address
//! 046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,0912345678,46-19777-000123,19777,Tổ dân phố 3,Số 12 Kiệt 4
//! ```
//!
//! UTF-8 (a byte-order mark is allowed), `,` separated, fields may be quoted, lines may end
//! in CRLF; `phone` may be empty. Line numbers count physical lines, the header is line 1.
//! Every row has as many fields as the header. `village` (thôn, bản, tổ dân phố: the
//! residential group inside the commune) and `address` (house number, lane, street inside
//! the village) may be empty; given, each is at most 100 characters without control or
//! invisible characters, and all adults of a household must give the same ones (an empty
//! field differs from a filled one).

use crate::cccd::{as_u64, encoded_birth};
use crate::date::Date;
use crate::phone::normalise_phone;
use crate::units::{Commune, Units};
use kyso_core::{Cccd, IdentityError, PersonName};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::io::Read;
use unicode_normalization::UnicodeNormalization;

/// The header every population file starts with, in this order (or
/// [`HEADER_WITH_ADDRESS`]).
pub const HEADER: [&str; 7] = [
    "cccd",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "household_id",
    "commune_code",
];

/// The other accepted header: [`HEADER`] followed by the optional `village` and `address`
/// columns, in this order. The generator writes this one.
pub const HEADER_WITH_ADDRESS: [&str; 9] = [
    "cccd",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "household_id",
    "commune_code",
    "village",
    "address",
];

/// Longest accepted `village` or `address`, in characters (after Unicode normalisation).
pub const MAX_PLACE_CHARS: usize = 100;

/// Adults only: the campaign gives a signature to citizens with full civil capacity.
pub const ADULT_AGE: i32 = 18;

/// Household identifiers longer than this are refused: they are keys, not descriptions.
const MAX_HOUSEHOLD_ID_CHARS: usize = 64;

/// How often the progress callback is told, in rows.
const PROGRESS_EVERY: usize = 16_384;

/// Sex as written on the CCCD card (`Nam`, `Nữ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

impl Sex {
    /// `Nam` or `Nữ`.
    pub fn as_vi(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }

    /// Parses `Nam` / `Nữ`, in any letter case and either Unicode normal form.
    pub fn parse_vi(s: &str) -> Option<Sex> {
        match s {
            "Nam" => Some(Sex::Male),
            "Nữ" => Some(Sex::Female),
            _ if s.eq_ignore_ascii_case("nam") => Some(Sex::Male),
            _ if s.nfc().flat_map(char::to_lowercase).eq("nữ".chars()) => Some(Sex::Female),
            _ => None,
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_vi())
    }
}

/// One adult of the register, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Adult {
    /// Citizen identity number.
    pub cccd: Cccd,
    /// Full name, NFC.
    pub full_name: PersonName,
    /// Date of birth.
    pub birth_date: Date,
    /// Sex.
    pub sex: Sex,
    /// Phone number in national form (`0912345678`), if given.
    pub phone: Option<String>,
    /// The household, as the file names it; all its members live in one commune.
    pub household_id: String,
    /// Five-digit 2025 commune code.
    pub commune_code: String,
    /// Two-digit 2025 province code of that commune.
    pub province_code: String,
    /// Village or residential group inside the commune (thôn, bản, tổ dân phố), NFC; `None`
    /// if the column is empty or absent. The same for every adult of the household.
    pub village: Option<String>,
    /// House number, lane or street inside the village, NFC; `None` if the column is empty
    /// or absent. The same for every adult of the household.
    pub address: Option<String>,
    /// The file line the row starts on (the header is line 1), for reports made later,
    /// such as an adult the registry already holds.
    pub line: usize,
}

/// Why a row (or the header) was refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RowProblem {
    /// Line 1 is not one of the two accepted headers ([`HEADER`], [`HEADER_WITH_ADDRESS`]).
    BadHeader {
        /// The header as found.
        found: String,
    },
    /// The row does not have as many fields as the header (seven or nine).
    WrongColumnCount {
        /// Fields the header has.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A field is not UTF-8 (typically a file saved as Windows-1258 or TCVN3).
    NotUtf8 {
        /// Which column.
        column: &'static str,
    },
    /// A required field is empty.
    MissingField {
        /// Which column.
        column: &'static str,
    },
    /// The CCCD number is not 12 digits.
    BadCccd {
        /// As found.
        value: String,
    },
    /// The CCCD number's first three digits are not a (pre-2025) province code.
    UnknownBirthProvince {
        /// The three digits.
        code: String,
    },
    /// The CCCD number's century/sex or year digits disagree with the birth date or sex.
    CccdDoesNotMatchBirth {
        /// Birth year the CCCD encodes.
        cccd_year: u16,
        /// Sex the CCCD encodes.
        cccd_sex: Sex,
        /// Birth year in `date_of_birth`.
        birth_year: i32,
        /// Sex in `sex`.
        sex: Sex,
    },
    /// The CCCD number appears on an earlier line too.
    DuplicateCccd {
        /// The first line it appears on.
        first_line: usize,
    },
    /// The name is empty after trimming, too long, or contains control characters.
    BadName {
        /// As found.
        value: String,
        /// What [`PersonName::parse`] said.
        error: IdentityError,
    },
    /// The date is not a `YYYY-MM-DD` calendar date.
    BadDate {
        /// As found.
        value: String,
    },
    /// The date of birth is after today or before 1900.
    ImplausibleBirthDate {
        /// The date.
        date: Date,
    },
    /// The person is not yet 18.
    UnderEighteen {
        /// Completed years on the import date.
        age: i32,
    },
    /// Sex is neither `Nam` nor `Nữ`.
    BadSex {
        /// As found.
        value: String,
    },
    /// The phone number cannot be a Vietnamese number.
    BadPhone {
        /// As found.
        value: String,
    },
    /// The household identifier is too long or contains control characters.
    BadHouseholdId {
        /// As found.
        value: String,
    },
    /// The village is too long or contains control or invisible characters.
    BadVillage {
        /// As found (trimmed).
        value: String,
    },
    /// The address is too long or contains control or invisible characters.
    BadAddress {
        /// As found (trimmed).
        value: String,
    },
    /// The same household is placed in two communes.
    HouseholdInTwoCommunes {
        /// The household.
        household_id: String,
        /// Where it first appeared.
        first_line: usize,
        /// Its commune there.
        first_commune: String,
        /// Its commune on this line.
        commune: String,
    },
    /// The same household is placed in two villages (an empty village counts as one).
    HouseholdInTwoVillages {
        /// The household.
        household_id: String,
        /// The line its village was first read from.
        first_line: usize,
        /// Its village there.
        first_village: Option<String>,
        /// Its village on this line.
        village: Option<String>,
    },
    /// The same household is given two addresses (an empty address counts as one).
    HouseholdAtTwoAddresses {
        /// The household.
        household_id: String,
        /// The line its address was first read from.
        first_line: usize,
        /// Its address there.
        first_address: Option<String>,
        /// Its address on this line.
        address: Option<String>,
    },
    /// The commune code is not one of the 2025 communes.
    UnknownCommune {
        /// As found.
        code: String,
    },
}

fn column_vi(column: &str) -> &'static str {
    match column {
        "cccd" => "số CCCD",
        "full_name" => "họ và tên",
        "date_of_birth" => "ngày sinh",
        "sex" => "giới tính",
        "phone" => "số điện thoại",
        "household_id" => "mã hộ",
        "commune_code" => "mã xã/phường",
        "village" => "thôn/tổ dân phố",
        "address" => "địa chỉ",
        _ => "cột",
    }
}

/// A village or address for a message: quoted, with control and invisible characters
/// escaped (they are why it may be refused, and must not reach a terminal raw), or
/// `(empty)` / `(trống)`.
fn place_en(v: &Option<String>) -> String {
    v.as_deref()
        .map_or_else(|| "(empty)".to_owned(), |s| format!("{s:?}"))
}

fn place_vi(v: &Option<String>) -> String {
    v.as_deref()
        .map_or_else(|| "(trống)".to_owned(), |s| format!("\"{}\"", escaped(s)))
}

/// `s` with control and invisible characters written as `\u{…}` escapes.
fn escaped(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if invisible(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that do not show: controls, zero-width and bidirectional formatting. In an
/// identifier or a place they make two values that look the same, or reorder what is shown.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

fn both_headers() -> String {
    format!(
        "`{}` or `{}`",
        HEADER.join(","),
        HEADER_WITH_ADDRESS.join(",")
    )
}

fn person_en(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "a man",
        Sex::Female => "a woman",
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadHeader { found } => write!(
                f,
                "the header must be exactly {}, found `{found}`",
                both_headers()
            ),
            Self::WrongColumnCount { expected, found } => {
                write!(
                    f,
                    "expected {expected} columns (as in the header), found {found}"
                )
            }
            Self::NotUtf8 { column } => write!(
                f,
                "the {column} field is not UTF-8 text (save the file as CSV UTF-8)"
            ),
            Self::MissingField { column } => write!(f, "{column} is empty"),
            Self::BadCccd { value } => write!(f, "CCCD number {value:?} is not 12 digits"),
            Self::UnknownBirthProvince { code } => write!(
                f,
                "the CCCD number begins with {code}, which is not a province code"
            ),
            Self::CccdDoesNotMatchBirth {
                cccd_year,
                cccd_sex,
                birth_year,
                sex,
            } => write!(
                f,
                "the CCCD number does not match the birth date and sex: it encodes {} born in \
                 {cccd_year}, but the row says {} born in {birth_year}",
                person_en(*cccd_sex),
                person_en(*sex)
            ),
            Self::DuplicateCccd { first_line } => {
                write!(f, "the CCCD number already appears on line {first_line}")
            }
            Self::BadName { value, error } => write!(f, "full name {value:?} refused: {error}"),
            Self::BadDate { value } => {
                write!(f, "date of birth {value:?} is not a valid YYYY-MM-DD date")
            }
            Self::ImplausibleBirthDate { date } => {
                write!(f, "date of birth {date} is in the future or before 1900")
            }
            Self::UnderEighteen { age } => {
                write!(f, "aged {age}, under {ADULT_AGE}")
            }
            Self::BadSex { value } => write!(f, "sex {value:?} must be `Nam` or `Nữ`"),
            Self::BadPhone { value } => write!(
                f,
                "phone {value:?} is not a Vietnamese number (10-digit mobile 03…/05…/07…/08…/09… \
                 or 11-digit landline 02…)"
            ),
            Self::BadHouseholdId { value } => write!(
                f,
                "household id {value:?} must be at most {MAX_HOUSEHOLD_ID_CHARS} characters \
                 without control characters"
            ),
            Self::BadVillage { value } => write!(
                f,
                "village {value:?} must be at most {MAX_PLACE_CHARS} characters without \
                 control characters"
            ),
            Self::BadAddress { value } => write!(
                f,
                "address {value:?} must be at most {MAX_PLACE_CHARS} characters without \
                 control characters"
            ),
            Self::HouseholdInTwoCommunes {
                household_id,
                first_line,
                first_commune,
                commune,
            } => write!(
                f,
                "household {household_id} is in commune {commune} here but in commune \
                 {first_commune} on line {first_line}"
            ),
            Self::HouseholdInTwoVillages {
                household_id,
                first_line,
                first_village,
                village,
            } => write!(
                f,
                "household {household_id} is in village {} here but in village {} on line \
                 {first_line}",
                place_en(village),
                place_en(first_village)
            ),
            Self::HouseholdAtTwoAddresses {
                household_id,
                first_line,
                first_address,
                address,
            } => write!(
                f,
                "household {household_id} has address {} here but address {} on line \
                 {first_line}",
                place_en(address),
                place_en(first_address)
            ),
            Self::UnknownCommune { code } => {
                write!(f, "commune code {code:?} is not a commune of the 2025 list")
            }
        }
    }
}

impl RowProblem {
    /// The message in Vietnamese, for commune officers fixing the file.
    pub fn vi(&self) -> String {
        match self {
            Self::BadHeader { found } => format!(
                "Dòng tiêu đề phải đúng là `{}` hoặc `{}`, nhưng tệp có `{found}`",
                HEADER.join(","),
                HEADER_WITH_ADDRESS.join(",")
            ),
            Self::WrongColumnCount { expected, found } => {
                format!("Cần {expected} cột (như dòng tiêu đề), nhưng dòng này có {found} cột")
            }
            Self::NotUtf8 { column } => format!(
                "Cột {} không phải văn bản UTF-8 (hãy lưu tệp dạng CSV UTF-8)",
                column_vi(column)
            ),
            Self::MissingField { column } => format!("Thiếu {}", column_vi(column)),
            Self::BadCccd { value } => format!("Số CCCD \"{value}\" không gồm đúng 12 chữ số"),
            Self::UnknownBirthProvince { code } => {
                format!("Số CCCD bắt đầu bằng {code}, không phải mã tỉnh nào")
            }
            Self::CccdDoesNotMatchBirth {
                cccd_year,
                cccd_sex,
                birth_year,
                sex,
            } => format!(
                "Số CCCD ứng với {} sinh năm {cccd_year}, nhưng dòng này ghi {} sinh năm \
                 {birth_year}",
                cccd_sex.as_vi().to_lowercase(),
                sex.as_vi().to_lowercase()
            ),
            Self::DuplicateCccd { first_line } => {
                format!("Số CCCD trùng với dòng {first_line}")
            }
            Self::BadName { value, .. } => format!("Họ và tên \"{value}\" không hợp lệ"),
            Self::BadDate { value } => {
                format!("Ngày sinh \"{value}\" không đúng dạng năm-tháng-ngày (YYYY-MM-DD)")
            }
            Self::ImplausibleBirthDate { date } => {
                format!("Ngày sinh {date} ở tương lai hoặc trước năm 1900")
            }
            Self::UnderEighteen { age } => format!("Mới {age} tuổi, chưa đủ {ADULT_AGE} tuổi"),
            Self::BadSex { value } => format!("Giới tính \"{value}\" phải là Nam hoặc Nữ"),
            Self::BadPhone { value } => format!("Số điện thoại \"{value}\" không hợp lệ"),
            Self::BadHouseholdId { value } => format!(
                "Mã hộ \"{value}\" dài quá {MAX_HOUSEHOLD_ID_CHARS} ký tự hoặc có ký tự điều khiển"
            ),
            Self::BadVillage { value } => format!(
                "Thôn/tổ dân phố \"{}\" dài quá {MAX_PLACE_CHARS} ký tự hoặc có ký tự điều khiển",
                escaped(value)
            ),
            Self::BadAddress { value } => format!(
                "Địa chỉ \"{}\" dài quá {MAX_PLACE_CHARS} ký tự hoặc có ký tự điều khiển",
                escaped(value)
            ),
            Self::HouseholdInTwoCommunes {
                household_id,
                first_line,
                first_commune,
                commune,
            } => format!(
                "Hộ {household_id} ở xã/phường {commune} tại dòng này nhưng ở xã/phường \
                 {first_commune} tại dòng {first_line}"
            ),
            Self::HouseholdInTwoVillages {
                household_id,
                first_line,
                first_village,
                village,
            } => format!(
                "Hộ {household_id} ở thôn/tổ dân phố {} tại dòng này nhưng ở thôn/tổ dân phố \
                 {} tại dòng {first_line}",
                place_vi(village),
                place_vi(first_village)
            ),
            Self::HouseholdAtTwoAddresses {
                household_id,
                first_line,
                first_address,
                address,
            } => format!(
                "Hộ {household_id} có địa chỉ {} tại dòng này nhưng địa chỉ {} tại dòng \
                 {first_line}",
                place_vi(address),
                place_vi(first_address)
            ),
            Self::UnknownCommune { code } => {
                format!("Mã xã/phường \"{code}\" không có trong danh mục năm 2025")
            }
        }
    }
}

/// A bad line: its first problem, and any others found on the same row.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RowError {
    /// 1-based line of the file where the row starts; the header is line 1.
    pub line: usize,
    /// The row's `cccd` field as found, if not empty, to find the person in other records.
    pub cccd: Option<String>,
    /// The first problem, in column order (then the checks across columns): the one to
    /// fix first, since later ones often follow from it.
    pub reason: RowProblem,
    /// Further problems on the same row, in the same order; usually empty.
    pub also: Vec<RowProblem>,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cccd {
            Some(c) => write!(f, "line {} (CCCD {c}): {}", self.line, self.reason)?,
            None => write!(f, "line {}: {}", self.line, self.reason)?,
        }
        for p in &self.also {
            write!(f, "; also {p}")?;
        }
        Ok(())
    }
}

impl RowError {
    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        let mut s = match &self.cccd {
            Some(c) => format!("Dòng {} (CCCD {c}): {}", self.line, self.reason.vi()),
            None => format!("Dòng {}: {}", self.line, self.reason.vi()),
        };
        for p in &self.also {
            s.push_str("; ");
            s.push_str(&p.vi());
        }
        s
    }

    /// Every problem of the row, the first one first.
    pub fn problems(&self) -> impl Iterator<Item = &RowProblem> {
        std::iter::once(&self.reason).chain(&self.also)
    }
}

/// A refused file: every bad line, in line order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{} of {rows} row(s) are bad; nothing was imported{}",
    errors.len(),
    first(errors)
)]
#[non_exhaustive]
pub struct Rejection {
    /// One entry per bad line, in line order.
    pub errors: Vec<RowError>,
    /// Data rows read (header excluded).
    pub rows: usize,
}

fn first(errors: &[RowError]) -> String {
    errors
        .first()
        .map(|e| format!("; first: {e}"))
        .unwrap_or_default()
}

/// Why a population file could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file was read, and some rows are bad.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The file could not be read.
    #[error("reading the file failed near line {line}: {source}")]
    Read {
        /// The last line reached.
        line: u64,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Reads and checks a whole population file; every adult, or every problem.
pub fn parse_csv<R: Read>(
    reader: R,
    units: &Units,
    today: Date,
) -> Result<Vec<Adult>, ImportError> {
    parse_csv_with_progress(reader, units, today, |_| {})
}

/// [`parse_csv`], calling `progress(rows_done)` every few thousand rows and once at the
/// end, so a command line can show a progress bar.
pub fn parse_csv_with_progress<R: Read>(
    reader: R,
    units: &Units,
    today: Date,
    progress: impl FnMut(usize),
) -> Result<Vec<Adult>, ImportError> {
    let mut adults = Vec::new();
    for_each_adult(reader, units, today, |a| adults.push(a), progress)?;
    Ok(adults)
}

/// Streams a population file: `on_adult` receives each good adult as it is read, in file
/// order, until the first bad row (after which checking continues but nothing more is
/// handed over). Returns the number of data rows.
///
/// On `Err` the file is refused as a whole: discard (roll back) whatever `on_adult`
/// received. This lets a caller write into a database transaction without holding a
/// million adults in memory.
pub fn for_each_adult<R: Read>(
    reader: R,
    units: &Units,
    today: Date,
    mut on_adult: impl FnMut(Adult),
    mut progress: impl FnMut(usize),
) -> Result<usize, ImportError> {
    // Lines end at '\n' (a CRLF's '\r' is trimmed with the field): with the default
    // terminator the csv crate counts CRLF files' lines one short (rust-csv#395), and
    // reports would name the wrong rows of files saved by Excel.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let read = |rdr: &mut csv::Reader<R>, record: &mut csv::ByteRecord| {
        rdr.read_byte_record(record).map_err(|e| ImportError::Read {
            line: e.position().map_or(0, csv::Position::line),
            source: e.into(),
        })
    };

    let columns = if read(&mut rdr, &mut record)? {
        header_columns(&record)
    } else {
        None
    };
    let Some(columns) = columns else {
        let found = record
            .iter()
            .map(String::from_utf8_lossy)
            .collect::<Vec<_>>()
            .join(",");
        let reason = RowProblem::BadHeader { found };
        let errors = vec![RowError {
            line: 1,
            cccd: None,
            reason,
            also: Vec::new(),
        }];
        // Columns cannot be trusted without the header, so rows are not checked.
        return Err(Rejection { errors, rows: 0 }.into());
    };

    let mut checker = Checker::new(units, today, columns);
    let mut rows = 0usize;
    while read(&mut rdr, &mut record)? {
        rows += 1;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if let Some(adult) = checker.check(line, &record)
            && checker.errors.is_empty()
        {
            on_adult(adult);
        }
        if rows.is_multiple_of(PROGRESS_EVERY) {
            progress(rows);
        }
    }
    progress(rows);
    if checker.errors.is_empty() {
        Ok(rows)
    } else {
        Err(Rejection {
            errors: checker.errors,
            rows,
        }
        .into())
    }
}

/// The number of columns if `record` is one of the two accepted headers.
fn header_columns(record: &csv::ByteRecord) -> Option<usize> {
    let n = record.len();
    let matches = (n == HEADER.len() || n == HEADER_WITH_ADDRESS.len())
        && record
            .iter()
            .zip(HEADER_WITH_ADDRESS)
            .enumerate()
            .all(|(i, (got, want))| {
                let got = if i == 0 {
                    got.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(got)
                } else {
                    got
                };
                got.trim_ascii() == want.as_bytes()
            });
    matches.then_some(n)
}

/// Where a household lives inside its commune, as first read.
struct Place {
    village: Option<Box<str>>,
    address: Option<Box<str>>,
    /// The line they were read from.
    line: usize,
}

/// A household already seen.
struct Household<'u> {
    commune: &'u Commune,
    line: usize,
    /// Unset in seven-column files, and until a row gives a valid village and address.
    place: Option<Box<Place>>,
}

/// The state that spans rows: CCCDs and households already seen.
struct Checker<'u> {
    units: &'u Units,
    today: Date,
    /// Fields per row, as in the header: 7, or 9 with `village` and `address`.
    columns: usize,
    /// CCCD (as a number) → first line.
    seen: HashMap<u64, usize>,
    /// Household → its commune (and place), first line.
    households: HashMap<Box<str>, Household<'u>>,
    errors: Vec<RowError>,
}

impl<'u> Checker<'u> {
    fn new(units: &'u Units, today: Date, columns: usize) -> Self {
        Checker {
            units,
            today,
            columns,
            seen: HashMap::new(),
            households: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Checks one row; records its problems and returns the adult if there are none.
    fn check(&mut self, line: usize, record: &csv::ByteRecord) -> Option<Adult> {
        let mut problems = Vec::new();
        // Shown only if it looks like a CCCD: a broken quote can make the first field the
        // rest of the file, which must not be echoed (personal data, terminal escapes).
        let cccd_text = record
            .get(0)
            .map(|b| String::from_utf8_lossy(b).trim().to_owned())
            .filter(|s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()));
        let adult = self.check_fields(line, record, &mut problems);
        let mut problems = problems.into_iter();
        if let Some(reason) = problems.next() {
            self.errors.push(RowError {
                line,
                cccd: cccd_text,
                reason,
                also: problems.collect(),
            });
        }
        adult
    }

    fn check_fields(
        &mut self,
        line: usize,
        record: &csv::ByteRecord,
        problems: &mut Vec<RowProblem>,
    ) -> Option<Adult> {
        if record.len() != self.columns {
            problems.push(RowProblem::WrongColumnCount {
                expected: self.columns,
                found: record.len(),
            });
            return None;
        }
        // Absent columns read as empty ones.
        let mut f = [""; 9];
        for (i, (slot, bytes)) in f.iter_mut().zip(record.iter()).enumerate() {
            match std::str::from_utf8(bytes) {
                Ok(s) => *slot = s.trim(),
                Err(_) => {
                    problems.push(RowProblem::NotUtf8 {
                        column: HEADER_WITH_ADDRESS[i],
                    });
                    return None;
                }
            }
        }
        let [
            cccd,
            name,
            dob,
            sex,
            phone,
            household,
            commune,
            village,
            address,
        ] = f;
        let mut required = |i: usize, v: &str| {
            if v.is_empty() {
                problems.push(RowProblem::MissingField { column: HEADER[i] });
                false
            } else {
                true
            }
        };
        let present = [
            required(0, cccd),
            required(1, name),
            required(2, dob),
            required(3, sex),
            required(5, household),
            required(6, commune),
        ];

        let cccd = present[0]
            .then(|| self.cccd(cccd, line, problems))
            .flatten();
        let full_name = match present[1].then(|| PersonName::parse(name)) {
            Some(Ok(n)) => Some(n),
            Some(Err(error)) => {
                problems.push(RowProblem::BadName {
                    value: name.to_owned(),
                    error,
                });
                None
            }
            None => None,
        };
        let birth_date = present[2].then(|| self.birth_date(dob, problems)).flatten();
        let sex = present[3]
            .then(|| {
                let s = Sex::parse_vi(sex);
                if s.is_none() {
                    problems.push(RowProblem::BadSex {
                        value: sex.to_owned(),
                    });
                }
                s
            })
            .flatten();
        let phone = if phone.is_empty() {
            Some(None)
        } else {
            let p = normalise_phone(phone);
            if p.is_none() {
                problems.push(RowProblem::BadPhone {
                    value: phone.to_owned(),
                });
            }
            p.map(Some)
        };
        let household_ok = present[4] && {
            // Invisible characters (zero-width, bidi controls) would make two ids that look
            // the same, and defeat the one-commune-per-household check.
            let ok = household.chars().count() <= MAX_HOUSEHOLD_ID_CHARS
                && !household.chars().any(invisible);
            if !ok {
                problems.push(RowProblem::BadHouseholdId {
                    value: household.to_owned(),
                });
            }
            ok
        };
        let commune = present[5]
            .then(|| {
                let c = self.units.commune(commune);
                if c.is_none() {
                    problems.push(RowProblem::UnknownCommune {
                        code: commune.to_owned(),
                    });
                }
                c
            })
            .flatten();
        let village = place(village).ok_or_else(|| {
            problems.push(RowProblem::BadVillage {
                value: village.to_owned(),
            })
        });
        let address = place(address).ok_or_else(|| {
            problems.push(RowProblem::BadAddress {
                value: address.to_owned(),
            })
        });

        if let (Some(c), Some(d), Some(s)) = (&cccd, birth_date, sex) {
            let (cccd_year, cccd_sex) = encoded_birth(c);
            if i32::from(cccd_year) != d.year() || cccd_sex != s {
                problems.push(RowProblem::CccdDoesNotMatchBirth {
                    cccd_year,
                    cccd_sex,
                    birth_year: d.year(),
                    sex: s,
                });
            }
        }
        if let (true, Some(c)) = (household_ok, commune) {
            let place = match (&village, &address) {
                (Ok(v), Ok(a)) => Some((v.as_deref(), a.as_deref())),
                _ => None,
            };
            self.household(household, c, place, line, problems);
        }

        if !problems.is_empty() {
            return None;
        }
        Some(Adult {
            cccd: cccd?,
            full_name: full_name?,
            birth_date: birth_date?,
            sex: sex?,
            phone: phone?,
            household_id: household.to_owned(),
            commune_code: commune?.code.clone(),
            province_code: commune?.province_code.clone(),
            village: village.ok()?,
            address: address.ok()?,
            line,
        })
    }

    fn cccd(&mut self, text: &str, line: usize, problems: &mut Vec<RowProblem>) -> Option<Cccd> {
        let Ok(cccd) = Cccd::parse(text) else {
            problems.push(RowProblem::BadCccd {
                value: text.to_owned(),
            });
            return None;
        };
        if self.units.legacy_province(cccd.province_code()).is_none() {
            problems.push(RowProblem::UnknownBirthProvince {
                code: cccd.province_code().to_owned(),
            });
        }
        match self.seen.entry(as_u64(&cccd)) {
            Entry::Occupied(first) => problems.push(RowProblem::DuplicateCccd {
                first_line: *first.get(),
            }),
            Entry::Vacant(v) => {
                v.insert(line);
            }
        }
        // Still returned when its prefix is unknown: the birth check below can then report
        // a second, independent mistake on the same row.
        Some(cccd)
    }

    fn birth_date(&self, text: &str, problems: &mut Vec<RowProblem>) -> Option<Date> {
        let Some(date) = Date::parse_iso(text) else {
            problems.push(RowProblem::BadDate {
                value: text.to_owned(),
            });
            return None;
        };
        if date > self.today || date.year() < 1900 {
            problems.push(RowProblem::ImplausibleBirthDate { date });
            return None;
        }
        let age = date.age_on(self.today);
        if age < ADULT_AGE {
            problems.push(RowProblem::UnderEighteen { age });
        }
        Some(date)
    }

    /// Checks that household `id` stays in one commune, and (nine-column files) in one
    /// village at one address. `place` is this row's (village, address), `None` if either
    /// is invalid (already reported): then only the commune is compared.
    fn household(
        &mut self,
        id: &str,
        commune: &'u Commune,
        place: Option<(Option<&str>, Option<&str>)>,
        line: usize,
        problems: &mut Vec<RowProblem>,
    ) {
        // Seven-column files have no place to compare.
        let place = place.filter(|_| self.columns == HEADER_WITH_ADDRESS.len());
        let new_place = |(village, address): (Option<&str>, Option<&str>)| {
            Box::new(Place {
                village: village.map(Into::into),
                address: address.map(Into::into),
                line,
            })
        };
        let Some(seen) = self.households.get_mut(id) else {
            self.households.insert(
                id.into(),
                Household {
                    commune,
                    line,
                    place: place.map(new_place),
                },
            );
            return;
        };
        if seen.commune.code != commune.code {
            problems.push(RowProblem::HouseholdInTwoCommunes {
                household_id: id.to_owned(),
                first_line: seen.line,
                first_commune: seen.commune.code.clone(),
                commune: commune.code.clone(),
            });
            return;
        }
        let Some((village, address)) = place else {
            return;
        };
        let Some(first) = &seen.place else {
            // The earlier rows' place was invalid: this row's becomes the reference.
            seen.place = Some(new_place((village, address)));
            return;
        };
        if first.village.as_deref() != village {
            problems.push(RowProblem::HouseholdInTwoVillages {
                household_id: id.to_owned(),
                first_line: first.line,
                first_village: first.village.as_deref().map(str::to_owned),
                village: village.map(str::to_owned),
            });
        }
        if first.address.as_deref() != address {
            problems.push(RowProblem::HouseholdAtTwoAddresses {
                household_id: id.to_owned(),
                first_line: first.line,
                first_address: first.address.as_deref().map(str::to_owned),
                address: address.map(str::to_owned),
            });
        }
    }
}

/// A `village` or `address` field (already trimmed): `Some(None)` if empty, `Some(text)` in
/// NFC if acceptable, `None` if too long or with control or invisible characters.
fn place(text: &str) -> Option<Option<String>> {
    if text.is_empty() {
        return Some(None);
    }
    let text: String = text.nfc().collect();
    (text.chars().count() <= MAX_PLACE_CHARS && !text.chars().any(invisible)).then_some(Some(text))
}
