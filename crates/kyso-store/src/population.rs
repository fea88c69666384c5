//! The population registry: households and adults, as imported from the province's
//! register. An import is one transaction — a file is loaded whole or not at all — and
//! leaves an audit entry with its counts and source.

use crate::StoreError;
use async_trait::async_trait;
use kyso_core::UnixTime;

/// A household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRecord {
    /// Identifier from the register (e.g. `46-19777-000123`).
    pub id: String,
    /// 5-digit commune code (2025 units).
    pub commune_code: String,
    /// 2-digit province code.
    pub province_code: String,
    /// Village or residential group (thôn, bản, tổ dân phố), as the register names it.
    pub village: Option<String>,
    /// Street address or house number inside the village.
    pub address: Option<String>,
}

/// An adult of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// 12-digit CCCD number.
    pub cccd: String,
    /// Full name, family name first.
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `Nam` or `Nữ`.
    pub sex: String,
    /// Registered phone number.
    pub phone: Option<String>,
    /// Household.
    pub household_id: String,
    /// 5-digit commune code.
    pub commune_code: String,
    /// 2-digit province code.
    pub province_code: String,
}

/// What an import added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Adults added.
    pub people: u64,
    /// Households added (those already known are kept).
    pub households: u64,
}

/// Called with the number of adults written so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Send + Sync);

/// Population registry storage.
#[async_trait]
pub trait PopulationStore: Send + Sync {
    /// Which of `cccds` are already in the registry.
    async fn existing_people(&self, cccds: &[String]) -> Result<Vec<String>, StoreError>;
    /// Which of `ids` are already known, with the commune they are in.
    async fn existing_households(&self, ids: &[String])
    -> Result<Vec<HouseholdRecord>, StoreError>;
    /// Adds households (known ones are kept as they are) and adults in one transaction:
    /// all or nothing. [`StoreError::Duplicate`] if an adult is already registered.
    async fn import_population(
        &self,
        households: &[HouseholdRecord],
        people: &[PersonRecord],
        at: UnixTime,
        source: &str,
        progress: Progress<'_>,
    ) -> Result<ImportSummary, StoreError>;
    /// One adult.
    async fn get_person(&self, cccd: &str) -> Result<Option<PersonRecord>, StoreError>;
    /// How many adults, in a province or a commune (or everywhere).
    async fn count_people(
        &self,
        province_code: Option<&str>,
        commune_code: Option<&str>,
    ) -> Result<u64, StoreError>;
}

/// Rows per INSERT. Each chunk travels as ONE parameter — a JSON array of rows that the
/// database unpacks itself (SQLite `json_each`, PostgreSQL `jsonb_array_elements`): a
/// bound parameter per field cost more than the inserts themselves at a million rows.
pub(crate) const ROWS_PER_STATEMENT: usize = 20_000;

/// A chunk of rows as the JSON array of arrays the bulk INSERTs read.
pub(crate) fn json_rows<T>(rows: &[T], fields: impl Fn(&T) -> Vec<Option<&str>>) -> String {
    let rows: Vec<Vec<Option<&str>>> = rows.iter().map(fields).collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
}
/// Lookups per `IN (…)` query.
pub(crate) const KEYS_PER_LOOKUP: usize = 5_000;

macro_rules! impl_population_store {
    // `$rows` is how the backend turns a JSON text parameter into rows of text columns:
    // `value->>N` over `json_each($1)` (SQLite) or `jsonb_array_elements($1::jsonb)` (PG).
    // `$people` writes a chunk of adults inside the transaction (PostgreSQL uses COPY).
    // `$analyze` runs after the import commits (PostgreSQL: fresh planner statistics, so that
    // lookups by household use their index right after a bulk load; empty for SQLite).
    ($ty:ty, $rows:literal, $people:path, $analyze:literal) => {
        #[async_trait::async_trait]
        impl $crate::population::PopulationStore for $ty {
            async fn existing_people(
                &self,
                cccds: &[String],
            ) -> Result<Vec<String>, $crate::StoreError> {
                let mut found = Vec::new();
                for chunk in cccds.chunks($crate::population::KEYS_PER_LOOKUP) {
                    let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                        "SELECT cccd FROM people WHERE cccd IN (",
                    );
                    let mut list = qb.separated(", ");
                    for c in chunk {
                        list.push_bind(c.clone());
                    }
                    qb.push(")");
                    let rows: Vec<(String,)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    found.extend(rows.into_iter().map(|r| r.0));
                }
                Ok(found)
            }

            async fn existing_households(
                &self,
                ids: &[String],
            ) -> Result<Vec<$crate::population::HouseholdRecord>, $crate::StoreError> {
                let mut found = Vec::new();
                for chunk in ids.chunks($crate::population::KEYS_PER_LOOKUP) {
                    let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                        "SELECT id, commune_code, province_code, village, address FROM households WHERE id IN (",
                    );
                    let mut list = qb.separated(", ");
                    for c in chunk {
                        list.push_bind(c.clone());
                    }
                    qb.push(")");
                    let rows: Vec<(String, String, String, Option<String>, Option<String>)> =
                        qb.build_query_as().fetch_all(&self.pool).await?;
                    found.extend(rows.into_iter().map(
                        |(id, commune_code, province_code, village, address)| {
                            $crate::population::HouseholdRecord {
                                id,
                                commune_code,
                                province_code,
                                village,
                                address,
                            }
                        },
                    ));
                }
                Ok(found)
            }

            async fn import_population(
                &self,
                households: &[$crate::population::HouseholdRecord],
                people: &[$crate::population::PersonRecord],
                at: kyso_core::UnixTime,
                source: &str,
                progress: $crate::population::Progress<'_>,
            ) -> Result<$crate::population::ImportSummary, $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let mut new_households = 0u64;
                for chunk in households.chunks($crate::population::ROWS_PER_STATEMENT) {
                    let json = $crate::population::json_rows(chunk, |h| {
                        vec![
                            Some(&h.id),
                            Some(&h.commune_code),
                            Some(&h.province_code),
                            h.village.as_deref(),
                            h.address.as_deref(),
                        ]
                    });
                    new_households += sqlx::query(concat!(
                        "INSERT INTO households (id, commune_code, province_code, village, address) \
                         SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM ",
                        $rows,
                        // `WHERE true`: SQLite would read ON CONFLICT as a join's ON.
                        " WHERE true ON CONFLICT (id) DO NOTHING"
                    ))
                    .bind(json)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                let mut written = 0u64;
                for chunk in people.chunks($crate::population::ROWS_PER_STATEMENT) {
                    $people(&mut tx, chunk, at).await.map_err(|e| {
                        $crate::StoreError::from_insert(e, "an adult of this file".into())
                    })?;
                    written += chunk.len() as u64;
                    progress(written);
                }
                // The commune tallies the dashboards read, recounted for the communes this
                // file touched (an index range each).
                let communes: std::collections::BTreeSet<&str> =
                    households.iter().map(|h| h.commune_code.as_str()).collect();
                for commune in communes {
                    sqlx::query($crate::campaign::RECOUNT_POPULATION)
                        .bind(commune)
                        .execute(&mut *tx)
                        .await?;
                }
                let summary = $crate::population::ImportSummary {
                    people: written,
                    households: new_households,
                };
                append_audit(
                    &mut tx,
                    at,
                    &[$crate::AuditEntry {
                        action: "population.import".into(),
                        subject: source.to_owned(),
                        detail: format!(
                            "people={} households={}",
                            summary.people, summary.households
                        ),
                    }],
                )
                .await?;
                tx.commit().await?;
                if !$analyze.is_empty() {
                    sqlx::query($analyze).execute(&self.pool).await?;
                }
                Ok(summary)
            }

            async fn get_person(
                &self,
                cccd: &str,
            ) -> Result<Option<$crate::population::PersonRecord>, $crate::StoreError> {
                let row: Option<(
                    String,
                    String,
                    String,
                    String,
                    Option<String>,
                    String,
                    String,
                    String,
                )> = sqlx::query_as(
                    "SELECT cccd, full_name, birth_date, sex, phone, household_id, commune_code, \
                         province_code FROM people WHERE cccd = $1",
                )
                .bind(cccd)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(
                    |(
                        cccd,
                        full_name,
                        birth_date,
                        sex,
                        phone,
                        household_id,
                        commune_code,
                        province_code,
                    )| {
                        $crate::population::PersonRecord {
                            cccd,
                            full_name,
                            birth_date,
                            sex,
                            phone,
                            household_id,
                            commune_code,
                            province_code,
                        }
                    },
                ))
            }

            async fn count_people(
                &self,
                province_code: Option<&str>,
                commune_code: Option<&str>,
            ) -> Result<u64, $crate::StoreError> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM people WHERE ($1 IS NULL OR province_code = $1) \
                     AND ($2 IS NULL OR commune_code = $2)",
                )
                .bind(province_code)
                .bind(commune_code)
                .fetch_one(&self.pool)
                .await?;
                Ok(n as u64)
            }
        }
    };
}

pub(crate) use impl_population_store;

/// The JSON array of a chunk of adults, in `people`'s column order.
pub(crate) fn people_json(chunk: &[PersonRecord]) -> String {
    json_rows(chunk, |p| {
        vec![
            Some(&p.cccd),
            Some(&p.full_name),
            Some(&p.birth_date),
            Some(&p.sex),
            p.phone.as_deref(),
            Some(&p.household_id),
            Some(&p.commune_code),
            Some(&p.province_code),
        ]
    })
}

/// A chunk of adults as CSV for PostgreSQL's COPY: every text field quoted, an absent phone
/// as the unquoted empty field COPY reads as NULL.
pub(crate) fn people_csv(chunk: &[PersonRecord], at: UnixTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunk.len() * 96);
    let quoted = |out: &mut Vec<u8>, s: &str| {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    };
    for p in chunk {
        for f in [&p.cccd, &p.full_name, &p.birth_date, &p.sex] {
            quoted(&mut out, f);
            out.push(b',');
        }
        if let Some(phone) = &p.phone {
            quoted(&mut out, phone);
        }
        out.push(b',');
        for f in [&p.household_id, &p.commune_code, &p.province_code] {
            quoted(&mut out, f);
            out.push(b',');
        }
        out.extend_from_slice(at.seconds().to_string().as_bytes());
        out.push(b'\n');
    }
    out
}
