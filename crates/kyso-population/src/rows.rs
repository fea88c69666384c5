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
//! UTF-8 (a byte-order mark is allowed), `,` separated, fields may be quoted, lines may end
//! in CRLF; `phone` may be empty. Line numbers count physical lines, the header is line 1.

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

/// The header every population file starts with, in this order.
pub const HEADER: [&str; 7] = [
    "cccd",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "household_id",
    "commune_code",
];

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
    /// The file line the row starts on (the header is line 1), for reports made later,
    /// such as an adult the registry already holds.
    pub line: usize,
}

/// Why a row (or the header) was refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RowProblem {
    /// Line 1 is not the expected header.
    BadHeader {
        /// The header as found.
        found: String,
    },
    /// The row does not have seven fields.
    WrongColumnCount {
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
        _ => "cột",
    }
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
                "the header must be exactly `{}`, found `{found}`",
                HEADER.join(",")
            ),
            Self::WrongColumnCount { found } => {
                write!(f, "expected {} columns, found {found}", HEADER.len())
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
                "Dòng tiêu đề phải đúng là `{}`, nhưng tệp có `{found}`",
                HEADER.join(",")
            ),
            Self::WrongColumnCount { found } => {
                format!("Cần {} cột, nhưng dòng này có {found} cột", HEADER.len())
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
            Self::HouseholdInTwoCommunes {
                household_id,
                first_line,
                first_commune,
                commune,
            } => format!(
                "Hộ {household_id} ở xã/phường {commune} tại dòng này nhưng ở xã/phường \
                 {first_commune} tại dòng {first_line}"
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

    if !read(&mut rdr, &mut record)? || !is_header(&record) {
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
    }

    let mut checker = Checker::new(units, today);
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

fn is_header(record: &csv::ByteRecord) -> bool {
    record.len() == HEADER.len()
        && record
            .iter()
            .zip(HEADER)
            .enumerate()
            .all(|(i, (got, want))| {
                let got = if i == 0 {
                    got.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(got)
                } else {
                    got
                };
                got.trim_ascii() == want.as_bytes()
            })
}

/// The state that spans rows: CCCDs and households already seen.
struct Checker<'u> {
    units: &'u Units,
    today: Date,
    /// CCCD (as a number) → first line.
    seen: HashMap<u64, usize>,
    /// Household → (its commune, first line).
    households: HashMap<Box<str>, (&'u Commune, usize)>,
    errors: Vec<RowError>,
}

impl<'u> Checker<'u> {
    fn new(units: &'u Units, today: Date) -> Self {
        Checker {
            units,
            today,
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
        if record.len() != HEADER.len() {
            problems.push(RowProblem::WrongColumnCount {
                found: record.len(),
            });
            return None;
        }
        let mut f = [""; 7];
        for (i, (slot, bytes)) in f.iter_mut().zip(record.iter()).enumerate() {
            match std::str::from_utf8(bytes) {
                Ok(s) => *slot = s.trim(),
                Err(_) => {
                    problems.push(RowProblem::NotUtf8 { column: HEADER[i] });
                    return None;
                }
            }
        }
        let [cccd, name, dob, sex, phone, household, commune] = f;
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
            let invisible = |c: char| {
                c.is_control()
                    || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                        | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
            };
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
            self.household(household, c, line, problems);
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

    fn household(
        &mut self,
        id: &str,
        commune: &'u Commune,
        line: usize,
        problems: &mut Vec<RowProblem>,
    ) {
        match self.households.get(id) {
            Some((first, first_line)) if first.code != commune.code => {
                problems.push(RowProblem::HouseholdInTwoCommunes {
                    household_id: id.to_owned(),
                    first_line: *first_line,
                    first_commune: first.code.clone(),
                    commune: commune.code.clone(),
                });
            }
            Some(_) => {}
            None => {
                self.households.insert(id.into(), (commune, line));
            }
        }
    }
}
