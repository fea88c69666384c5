//! Vietnam's administrative units after the 1 July 2025 reform: 34 provinces, each divided
//! directly into communes (xã, phường, đặc khu); districts no longer exist.
//!
//! The tables are embedded at build time from `data/` (see `data/README.md` for the source,
//! licence and how to regenerate them), so every kyso binary agrees on the same 3,321 codes
//! without a database or network. They are parsed once, on first use.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

const UNITS_CSV: &str = include_str!("../../../data/admin-units-2025.csv");
const PROVINCES_CSV: &str = include_str!("../../../data/admin-provinces-2025.csv");
const LEGACY_CSV: &str = include_str!("../../../data/admin-legacy-provinces.csv");
const ORIGINS_CSV: &str = include_str!("../../../data/admin-commune-origins-2025.csv");

static EMBEDDED: LazyLock<Units> = LazyLock::new(|| {
    // The embedded files are part of the source tree and checked by this crate's tests, so a
    // failure here is a build defect, not bad input.
    Units::from_csv(UNITS_CSV, PROVINCES_CSV, LEGACY_CSV, ORIGINS_CSV)
        .unwrap_or_else(|e| panic!("embedded administrative-unit data is corrupt: {e}"))
});

/// Why administrative-unit tables could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitsError {
    /// A file is not the CSV it should be, or a row breaks a rule.
    #[error("{file}, line {line}: {why}")]
    Malformed {
        /// Which table.
        file: &'static str,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        why: String,
    },
}

/// The kind of a commune-level unit. The law treats them alike; the kind is part of the
/// official name and tells urban wards from rural communes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommuneKind {
    /// Phường: urban ward.
    Ward,
    /// Xã: rural commune.
    Commune,
    /// Đặc khu: special zone (the island districts, e.g. Phú Quốc, Côn Đảo).
    SpecialZone,
}

impl CommuneKind {
    /// The Vietnamese word, as it opens the unit's name: `Phường`, `Xã`, `Đặc khu`.
    pub fn as_vi(self) -> &'static str {
        match self {
            Self::Ward => "Phường",
            Self::Commune => "Xã",
            Self::SpecialZone => "Đặc khu",
        }
    }

    /// Parses the Vietnamese word.
    pub fn from_vi(s: &str) -> Option<Self> {
        match s {
            "Phường" => Some(Self::Ward),
            "Xã" => Some(Self::Commune),
            "Đặc khu" => Some(Self::SpecialZone),
            _ => None,
        }
    }
}

impl fmt::Display for CommuneKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_vi())
    }
}

/// A province or centrally-run city (tỉnh / thành phố trực thuộc trung ương).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Province {
    /// Two digits, e.g. `46`.
    pub code: String,
    /// Official name, e.g. `Thành phố Huế`.
    pub name: String,
    /// Approximate centre, WGS 84 degrees.
    pub lat: f64,
    /// Approximate centre, WGS 84 degrees.
    pub lon: f64,
}

impl Province {
    /// The name without `Tỉnh ` / `Thành phố `, e.g. `Huế`: what people write in an address
    /// and what certificate subjects carry in `ST`.
    pub fn short_name(&self) -> &str {
        ["Thành phố ", "Tỉnh "]
            .iter()
            .find_map(|p| self.name.strip_prefix(p))
            .unwrap_or(&self.name)
    }
}

/// A commune-level unit (xã, phường or đặc khu).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Commune {
    /// Five digits, e.g. `19777`. Unique nationwide.
    pub code: String,
    /// Official name including the kind, e.g. `Phường Thuận Hóa`.
    pub name: String,
    /// Ward, commune or special zone.
    pub kind: CommuneKind,
    /// The province it belongs to, two digits.
    pub province_code: String,
    /// Approximate centre, WGS 84 degrees.
    pub lat: f64,
    /// Approximate centre, WGS 84 degrees.
    pub lon: f64,
    /// Area; `None` where the source has no figure (two communes).
    pub area_km2: Option<f64>,
    /// The pre-2025 province (two digits) most of this commune's territory belonged to.
    /// CCCD numbers of people whose birth was registered here start with `0` and this code.
    pub legacy_province_code: String,
}

impl Commune {
    /// The name without its kind, e.g. `Thuận Hóa`.
    pub fn short_name(&self) -> &str {
        self.name
            .strip_prefix(self.kind.as_vi())
            .map(str::trim_start)
            .unwrap_or(&self.name)
    }
}

/// A province as it existed before 1 July 2025. Its code still opens the CCCD numbers of
/// everyone whose birth was registered there.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LegacyProvince {
    /// Two digits, e.g. `49` (Quảng Nam).
    pub code: String,
    /// Official name at the time.
    pub name: String,
    /// The 2025 province it became part of, e.g. `48` (Đà Nẵng).
    pub province_code: String,
}

/// The tables: provinces, their communes, and the pre-2025 provinces.
#[derive(Debug)]
pub struct Units {
    provinces: Vec<Province>,
    /// Sorted by province code, then commune code, so each province's communes are a slice.
    communes: Vec<Commune>,
    /// For each entry of `provinces`, its communes' range in `communes`.
    ranges: Vec<Range<usize>>,
    by_code: HashMap<String, usize>,
    legacy: Vec<LegacyProvince>,
}

impl Units {
    /// The tables built into kyso (2025 reform, source `vietnamadminunits` 1.0.4).
    pub fn embedded() -> &'static Units {
        &EMBEDDED
    }

    /// Builds the tables from the four CSV files described in `data/README.md`.
    pub fn from_csv(
        units_csv: &str,
        provinces_csv: &str,
        legacy_csv: &str,
        origins_csv: &str,
    ) -> Result<Units, UnitsError> {
        let mut provinces = Vec::new();
        for_each_row(
            "admin-provinces-2025.csv",
            provinces_csv,
            &["province_code", "province_name", "lat", "lon"],
            |f, _| {
                provinces.push(Province {
                    code: code(f[0], 2)?,
                    name: name(f[1])?,
                    lat: float(f[2])?,
                    lon: float(f[3])?,
                });
                Ok(())
            },
        )?;
        provinces.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(w) = provinces.windows(2).find(|w| w[0].code == w[1].code) {
            return Err(malformed(
                "admin-provinces-2025.csv",
                0,
                format!("province {} listed twice", w[0].code),
            ));
        }

        let mut legacy = Vec::new();
        for_each_row(
            "admin-legacy-provinces.csv",
            legacy_csv,
            &["legacy_code", "legacy_name", "province_code"],
            |f, _| {
                let province_code = code(f[2], 2)?;
                if provinces
                    .binary_search_by(|p| p.code.as_str().cmp(&province_code))
                    .is_err()
                {
                    return Err(format!("unknown province {province_code}"));
                }
                legacy.push(LegacyProvince {
                    code: code(f[0], 2)?,
                    name: name(f[1])?,
                    province_code,
                });
                Ok(())
            },
        )?;
        legacy.sort_by(|a, b| a.code.cmp(&b.code));

        let mut origins: HashMap<String, String> = HashMap::new();
        for_each_row(
            "admin-commune-origins-2025.csv",
            origins_csv,
            &["commune_code", "legacy_province_code"],
            |f, _| {
                let legacy_code = code(f[1], 2)?;
                if legacy
                    .binary_search_by(|l| l.code.as_str().cmp(&legacy_code))
                    .is_err()
                {
                    return Err(format!("unknown pre-2025 province {legacy_code}"));
                }
                origins.insert(code(f[0], 5)?, legacy_code);
                Ok(())
            },
        )?;

        let mut communes = Vec::new();
        for_each_row(
            "admin-units-2025.csv",
            units_csv,
            &[
                "province_code",
                "province_name",
                "commune_code",
                "commune_name",
                "commune_type",
                "lat",
                "lon",
                "area_km2",
            ],
            |f, _| {
                let province_code = code(f[0], 2)?;
                let province = provinces
                    .binary_search_by(|p| p.code.as_str().cmp(&province_code))
                    .map_err(|_| format!("unknown province {province_code}"))?;
                if provinces[province].name != f[1] {
                    return Err(format!("province {province_code} is not named {:?}", f[1]));
                }
                let code = code(f[2], 5)?;
                let kind = CommuneKind::from_vi(f[4])
                    .ok_or_else(|| format!("unknown commune type {:?}", f[4]))?;
                let legacy_province_code = origins
                    .get(&code)
                    .cloned()
                    .ok_or_else(|| format!("commune {code} has no pre-2025 province"))?;
                communes.push(Commune {
                    code,
                    name: name(f[3])?,
                    kind,
                    province_code,
                    lat: float(f[5])?,
                    lon: float(f[6])?,
                    area_km2: if f[7].is_empty() {
                        None
                    } else {
                        Some(float(f[7])?)
                    },
                    legacy_province_code,
                });
                Ok(())
            },
        )?;
        communes.sort_by(|a, b| (&a.province_code, &a.code).cmp(&(&b.province_code, &b.code)));

        let mut by_code = HashMap::with_capacity(communes.len());
        for (i, c) in communes.iter().enumerate() {
            if by_code.insert(c.code.clone(), i).is_some() {
                return Err(malformed(
                    "admin-units-2025.csv",
                    0,
                    format!("commune {} listed twice", c.code),
                ));
            }
        }
        let ranges = provinces
            .iter()
            .map(|p| {
                let start = communes.partition_point(|c| c.province_code < p.code);
                let end = communes.partition_point(|c| c.province_code <= p.code);
                start..end
            })
            .collect();
        Ok(Units {
            provinces,
            communes,
            ranges,
            by_code,
            legacy,
        })
    }

    /// All provinces, by code.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// The province with this two-digit code.
    pub fn province(&self, code: &str) -> Option<&Province> {
        self.province_index(code).map(|i| &self.provinces[i])
    }

    /// All communes, by province and then commune code.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    /// The commune with this five-digit code.
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.by_code.get(code).map(|&i| &self.communes[i])
    }

    /// The communes of a province, by code; empty for an unknown province.
    pub fn communes_of(&self, province_code: &str) -> &[Commune] {
        match self.province_index(province_code) {
            Some(i) => &self.communes[self.ranges[i].clone()],
            None => &[],
        }
    }

    /// The 63 pre-2025 provinces, by code.
    pub fn legacy_provinces(&self) -> &[LegacyProvince] {
        &self.legacy
    }

    /// The pre-2025 province with this two-digit code (`46`), or with the three-digit form
    /// that opens a CCCD number (`046`).
    pub fn legacy_province(&self, code: &str) -> Option<&LegacyProvince> {
        let two = match code.len() {
            3 => code.strip_prefix('0')?,
            _ => code,
        };
        self.legacy
            .binary_search_by(|l| l.code.as_str().cmp(two))
            .ok()
            .map(|i| &self.legacy[i])
    }

    fn province_index(&self, code: &str) -> Option<usize> {
        self.provinces
            .binary_search_by(|p| p.code.as_str().cmp(code))
            .ok()
    }
}

fn malformed(file: &'static str, line: u64, why: String) -> UnitsError {
    UnitsError::Malformed { file, line, why }
}

/// Reads a small trusted table: exact header, then `f(fields, line)` for each row.
fn for_each_row(
    file: &'static str,
    text: &str,
    header: &[&str],
    mut f: impl FnMut(&[&str], u64) -> Result<(), String>,
) -> Result<(), UnitsError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut first = true;
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(malformed(file, 0, e.to_string())),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let fields: Vec<&str> = record.iter().collect();
        if first {
            first = false;
            if fields != header {
                return Err(malformed(file, line, format!("header is not {header:?}")));
            }
            continue;
        }
        f(&fields, line).map_err(|why| malformed(file, line, why))?;
    }
    if first {
        return Err(malformed(file, 1, "empty file".to_owned()));
    }
    Ok(())
}

fn code(s: &str, len: usize) -> Result<String, String> {
    if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(format!("{s:?} is not a {len}-digit code"))
    }
}

fn name(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("empty name".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

fn float(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{s:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_the_kind() {
        let u = Units::embedded();
        let hue = u.province("46").expect("Huế");
        assert_eq!(hue.name, "Thành phố Huế");
        assert_eq!(hue.short_name(), "Huế");
        let c = &u.communes_of("46")[0];
        assert!(c.name.ends_with(c.short_name()));
        assert!(!c.short_name().starts_with(c.kind.as_vi()));
    }

    #[test]
    fn legacy_codes_accept_the_cccd_form() {
        let u = Units::embedded();
        assert_eq!(
            u.legacy_province("049").map(|l| l.province_code.as_str()),
            Some("48")
        );
        assert_eq!(
            u.legacy_province("49").map(|l| l.name.as_str()),
            Some("Tỉnh Quảng Nam")
        );
        assert!(u.legacy_province("003").is_none());
        assert!(u.legacy_province("146").is_none());
    }

    #[test]
    fn rejects_a_bad_table() {
        let e = Units::from_csv(
            UNITS_CSV,
            "province_code,province_name,lat,lon\n4x,Huế,1,2\n",
            LEGACY_CSV,
            ORIGINS_CSV,
        );
        assert!(
            matches!(e, Err(UnitsError::Malformed { line: 2, .. })),
            "{e:?}"
        );
    }
}
