//! Online public-service dossiers: the dossier, its files, its history, the citizen's
//! in-app notifications and the fee payments.
//!
//! A state change is a [`Move`]: the state the caller read, the path of states it takes
//! (each step allowed by [`DossierState::can_move_to`]), the files it adds or replaces and
//! the notice to the citizen. The store applies it only if the dossier is still in the
//! state the caller read — `UPDATE … WHERE state = $from`, so of two officers acting at once
//! exactly one wins and the other gets [`StoreError::Conflict`] — and writes the update,
//! one event per step, the files, the notification and the audit entry in one transaction.

use crate::StoreError;
use async_trait::async_trait;
use kyso_core::{DossierState, UnixTime};

/// A dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRecord {
    /// Identifier (random; in URLs).
    pub id: String,
    /// Receipt number (mã hồ sơ), unique, shown to the citizen and the agency.
    pub receipt: String,
    /// Procedure code in the national catalogue (`1.001193`).
    pub procedure: String,
    /// The applicant's CCCD number.
    pub cccd: String,
    /// The applicant's name.
    pub applicant: String,
    /// The handling commune (the applicant's).
    pub commune_code: String,
    /// The province.
    pub province_code: String,
    /// `commune` or `province`: which level of agency handles it.
    pub agency_level: String,
    /// Where it is.
    pub state: DossierState,
    /// The validated form, JSON (field id → value).
    pub form: String,
    /// The fee due, in đồng.
    pub fee_vnd: i64,
    /// When the fee was paid.
    pub fee_paid_at: Option<UnixTime>,
    /// The signature request waiting for the citizen's approval (state `signing`).
    pub signing_request: Option<String>,
    /// When created.
    pub created_at: UnixTime,
    /// When submitted (signed).
    pub submitted_at: Option<UnixTime>,
    /// Last change.
    pub updated_at: UnixTime,
}

/// A file of a dossier. `role` names its place: `application` (unsigned render),
/// `application.staged` (the prepared signature), `application.signed`, `attachment.<id>`,
/// `result` (the signed result document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierFile {
    /// Its place in the dossier; a new file with the same role replaces the old one.
    pub role: String,
    /// File name as shown / downloaded.
    pub file_name: String,
    /// Media type.
    pub mime: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// When added.
    pub added_at: UnixTime,
}

/// A file of a dossier without its content.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DossierFileInfo {
    /// Its place in the dossier (see [`DossierFile::role`]).
    pub role: String,
    /// File name.
    pub file_name: String,
    /// Media type.
    pub mime: String,
    /// Size in bytes.
    pub size: i64,
    /// When added (Unix seconds).
    pub added_at: i64,
}

/// One state change of a dossier's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierEvent {
    /// Order of the event.
    pub id: i64,
    /// When.
    pub at: UnixTime,
    /// Who (`citizen`, a staff id, `payment`, `system`).
    pub actor: String,
    /// Previous state (none for the creation).
    pub from: Option<DossierState>,
    /// New state.
    pub to: DossierState,
    /// Reason or remark.
    pub note: String,
}

/// A state change to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The dossier.
    pub dossier_id: String,
    /// The state the caller read; the move applies only from it.
    pub from: DossierState,
    /// The states taken, in order (non-empty); the last is the new state.
    pub path: Vec<DossierState>,
    /// Who.
    pub actor: String,
    /// Reason or remark, recorded with each step.
    pub note: String,
    /// When.
    pub at: UnixTime,
    /// Files added (or replacing those with the same role).
    pub files: Vec<DossierFile>,
    /// A new fee due, in đồng.
    pub fee_vnd: Option<i64>,
    /// The signature request now awaited (`Some(None)` clears it).
    pub signing_request: Option<Option<String>>,
    /// The citizen's notification (Vietnamese, English).
    pub notice: Option<(String, String)>,
}

impl Move {
    /// A move along `path` from `from`, with no files, fee or notice.
    pub fn new(
        dossier_id: &str,
        from: DossierState,
        path: &[DossierState],
        actor: &str,
        note: &str,
        at: UnixTime,
    ) -> Move {
        Move {
            dossier_id: dossier_id.to_owned(),
            from,
            path: path.to_vec(),
            actor: actor.to_owned(),
            note: note.to_owned(),
            at,
            files: Vec::new(),
            fee_vnd: None,
            signing_request: None,
            notice: None,
        }
    }

    /// The new state.
    pub fn to(&self) -> DossierState {
        self.path.last().copied().unwrap_or(self.from)
    }

    /// Checks the path against the rules of [`DossierState::can_move_to`].
    pub fn check(&self) -> Result<(), StoreError> {
        if self.path.is_empty() {
            return Err(StoreError::Conflict(format!(
                "dossier {}: a move needs at least one state",
                self.dossier_id
            )));
        }
        let mut at = self.from;
        for &next in &self.path {
            if !at.can_move_to(next) {
                return Err(StoreError::Conflict(format!(
                    "dossier {}: cannot go from {} to {}",
                    self.dossier_id,
                    at.label_en(),
                    next.label_en()
                )));
            }
            at = next;
        }
        Ok(())
    }
}

/// A notification shown to the citizen in the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    /// Order.
    pub id: i64,
    /// The citizen.
    pub cccd: String,
    /// About which dossier.
    pub dossier_id: String,
    /// When.
    pub at: UnixTime,
    /// Text in Vietnamese.
    pub text_vi: String,
    /// Text in English.
    pub text_en: String,
    /// When read.
    pub read_at: Option<UnixTime>,
}

/// A fee payment reported by the payment platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// The platform's transaction reference (unique).
    pub reference: String,
    /// The dossier paid for.
    pub dossier_id: String,
    /// Amount, in đồng.
    pub amount_vnd: i64,
    /// When the platform says it was paid.
    pub paid_at: UnixTime,
    /// When kyso recorded it.
    pub recorded_at: UnixTime,
}

/// What recording a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Recorded now; the dossier as it is after the payment's move.
    Recorded(Box<DossierRecord>),
    /// This reference was recorded before (a replayed callback): nothing changed.
    AlreadyRecorded(PaymentRecord),
}

/// Which dossiers an officer's queue shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only this commune's.
    pub commune: Option<String>,
    /// Only this province's.
    pub province: Option<String>,
    /// Only these states (empty: every submitted state).
    pub states: Vec<DossierState>,
    /// At most this many, oldest change first.
    pub limit: u32,
}

/// Dossier storage.
#[async_trait]
pub trait DossierStore: Send + Sync {
    /// Stores a new dossier and its first files. [`StoreError::Duplicate`] if the id or the
    /// receipt number exists.
    async fn create_dossier(
        &self,
        dossier: &DossierRecord,
        files: &[DossierFile],
    ) -> Result<(), StoreError>;
    /// A dossier by id.
    async fn get_dossier(&self, id: &str) -> Result<Option<DossierRecord>, StoreError>;
    /// A dossier by receipt number.
    async fn dossier_by_receipt(&self, receipt: &str) -> Result<Option<DossierRecord>, StoreError>;
    /// A citizen's dossiers, newest first.
    async fn dossiers_of(&self, cccd: &str, limit: u32) -> Result<Vec<DossierRecord>, StoreError>;
    /// Submitted dossiers matching `filter`, least recently changed first.
    async fn dossier_queue(&self, filter: &QueueFilter) -> Result<Vec<DossierRecord>, StoreError>;
    /// Applies `mv` (see [`Move`]); returns the dossier after it. [`StoreError::Conflict`]
    /// if the path is not allowed or the dossier is no longer in `mv.from`.
    async fn move_dossier(&self, mv: &Move) -> Result<DossierRecord, StoreError>;
    /// Records a payment and applies `mv` with it, in one transaction; a reference seen
    /// before changes nothing. The amount must equal the fee due and the fee be unpaid.
    async fn record_payment(
        &self,
        payment: &PaymentRecord,
        mv: Option<&Move>,
    ) -> Result<PaymentOutcome, StoreError>;
    /// The payments of a dossier.
    async fn payments_of(&self, dossier_id: &str) -> Result<Vec<PaymentRecord>, StoreError>;
    /// A dossier's files, by role — what they are, not their content (a page listing
    /// five attachments of 5 MB reads none of them).
    async fn dossier_files(&self, dossier_id: &str) -> Result<Vec<DossierFileInfo>, StoreError>;
    /// One file of a dossier.
    async fn dossier_file(
        &self,
        dossier_id: &str,
        role: &str,
    ) -> Result<Option<DossierFile>, StoreError>;
    /// A dossier's history, oldest first.
    async fn dossier_events(&self, dossier_id: &str) -> Result<Vec<DossierEvent>, StoreError>;
    /// A citizen's notifications, newest first.
    async fn notifications(
        &self,
        cccd: &str,
        limit: u32,
    ) -> Result<Vec<NotificationRecord>, StoreError>;
    /// Marks a citizen's notifications up to `up_to` read; returns how many changed.
    async fn mark_notifications_read(
        &self,
        cccd: &str,
        up_to: i64,
        at: UnixTime,
    ) -> Result<u64, StoreError>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct DossierRow {
    id: String,
    receipt: String,
    procedure_code: String,
    cccd: String,
    applicant: String,
    commune_code: String,
    province_code: String,
    agency_level: String,
    state: String,
    form: String,
    fee_vnd: i64,
    fee_paid_at: Option<i64>,
    signing_request: Option<String>,
    created_at: i64,
    submitted_at: Option<i64>,
    updated_at: i64,
}

macro_rules! dossier_columns {
    () => {
        "id, receipt, procedure_code, cccd, applicant, commune_code, province_code, \
         agency_level, state, form, fee_vnd, fee_paid_at, signing_request, created_at, \
         submitted_at, updated_at"
    };
}
pub(crate) use dossier_columns;

pub(crate) fn parse_state(s: &str) -> Result<DossierState, StoreError> {
    DossierState::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown dossier state {s:?}")))
}

impl TryFrom<DossierRow> for DossierRecord {
    type Error = StoreError;
    fn try_from(r: DossierRow) -> Result<Self, StoreError> {
        Ok(DossierRecord {
            state: parse_state(&r.state)?,
            id: r.id,
            receipt: r.receipt,
            procedure: r.procedure_code,
            cccd: r.cccd,
            applicant: r.applicant,
            commune_code: r.commune_code,
            province_code: r.province_code,
            agency_level: r.agency_level,
            form: r.form,
            fee_vnd: r.fee_vnd,
            fee_paid_at: r.fee_paid_at.map(UnixTime),
            signing_request: r.signing_request,
            created_at: UnixTime(r.created_at),
            submitted_at: r.submitted_at.map(UnixTime),
            updated_at: UnixTime(r.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FileRow {
    role: String,
    file_name: String,
    mime: String,
    bytes: Vec<u8>,
    added_at: i64,
}

impl From<FileRow> for DossierFile {
    fn from(r: FileRow) -> Self {
        DossierFile {
            role: r.role,
            file_name: r.file_name,
            mime: r.mime,
            bytes: r.bytes,
            added_at: UnixTime(r.added_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    at: i64,
    actor: String,
    from_state: Option<String>,
    to_state: String,
    note: String,
}

impl TryFrom<EventRow> for DossierEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(DossierEvent {
            id: r.id,
            at: UnixTime(r.at),
            actor: r.actor,
            from: r.from_state.as_deref().map(parse_state).transpose()?,
            to: parse_state(&r.to_state)?,
            note: r.note,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    id: i64,
    cccd: String,
    dossier_id: String,
    at: i64,
    text_vi: String,
    text_en: String,
    read_at: Option<i64>,
}

impl From<NotificationRow> for NotificationRecord {
    fn from(r: NotificationRow) -> Self {
        NotificationRecord {
            id: r.id,
            cccd: r.cccd,
            dossier_id: r.dossier_id,
            at: UnixTime(r.at),
            text_vi: r.text_vi,
            text_en: r.text_en,
            read_at: r.read_at.map(UnixTime),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    reference: String,
    dossier_id: String,
    amount_vnd: i64,
    paid_at: i64,
    recorded_at: i64,
}

impl From<PaymentRow> for PaymentRecord {
    fn from(r: PaymentRow) -> Self {
        PaymentRecord {
            reference: r.reference,
            dossier_id: r.dossier_id,
            amount_vnd: r.amount_vnd,
            paid_at: UnixTime(r.paid_at),
            recorded_at: UnixTime(r.recorded_at),
        }
    }
}

macro_rules! impl_dossier_store {
    // `$lock` locks the selected row for the transaction (PostgreSQL `FOR UPDATE`; SQLite
    // write transactions are serialised already).
    ($ty:ty, $lock:literal) => {
        impl $ty {
            async fn put_dossier_files(
                tx: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
                dossier_id: &str,
                files: &[$crate::dossiers::DossierFile],
            ) -> Result<(), $crate::StoreError> {
                for f in files {
                    sqlx::query(
                        "INSERT INTO dossier_files (dossier_id, role, file_name, mime, bytes, added_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dossier_id, role) DO UPDATE SET \
                         file_name = excluded.file_name, mime = excluded.mime, bytes = excluded.bytes, \
                         added_at = excluded.added_at",
                    )
                    .bind(dossier_id)
                    .bind(&f.role)
                    .bind(&f.file_name)
                    .bind(&f.mime)
                    .bind(&f.bytes)
                    .bind(f.added_at.seconds())
                    .execute(&mut *tx)
                    .await?;
                }
                Ok(())
            }

            /// The move's writes inside the caller's transaction; the dossier after it.
            async fn apply_move(
                tx: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
                mv: &$crate::dossiers::Move,
                paid_at: Option<kyso_core::UnixTime>,
            ) -> Result<$crate::dossiers::DossierRecord, $crate::StoreError> {
                mv.check()?;
                let to = mv.to();
                let submitted = (mv.from == kyso_core::DossierState::Signing
                    && to.is_submitted())
                .then_some(mv.at.seconds());
                let (set_request, request) = match &mv.signing_request {
                    Some(r) => (true, r.clone()),
                    None => (false, None),
                };
                let changed = sqlx::query(
                    "UPDATE dossiers SET state = $1, updated_at = $2, \
                     submitted_at = COALESCE(submitted_at, $3), \
                     fee_vnd = COALESCE($4, fee_vnd), \
                     signing_request = CASE WHEN $5 THEN $6 ELSE signing_request END, \
                     fee_paid_at = COALESCE($7, fee_paid_at) \
                     WHERE id = $8 AND state = $9",
                )
                .bind(to.as_str())
                .bind(mv.at.seconds())
                .bind(submitted)
                .bind(mv.fee_vnd)
                .bind(set_request)
                .bind(request)
                .bind(paid_at.map(|t| t.seconds()))
                .bind(&mv.dossier_id)
                .bind(mv.from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed != 1 {
                    let now: Option<String> = sqlx::query_scalar("SELECT state FROM dossiers WHERE id = $1")
                        .bind(&mv.dossier_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    return Err(match now {
                        None => $crate::StoreError::Conflict(format!("no dossier {}", mv.dossier_id)),
                        Some(s) => $crate::StoreError::Conflict(format!(
                            "dossier {} is {} now, not {}: it changed meanwhile",
                            mv.dossier_id,
                            $crate::dossiers::parse_state(&s)?.label_en(),
                            mv.from.label_en()
                        )),
                    });
                }
                let mut from = mv.from;
                for &step in &mv.path {
                    sqlx::query(
                        "INSERT INTO dossier_events (dossier_id, at, actor, from_state, to_state, note) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&mv.dossier_id)
                    .bind(mv.at.seconds())
                    .bind(&mv.actor)
                    .bind(from.as_str())
                    .bind(step.as_str())
                    .bind(&mv.note)
                    .execute(&mut *tx)
                    .await?;
                    from = step;
                }
                Self::put_dossier_files(tx, &mv.dossier_id, &mv.files).await?;
                let row: $crate::dossiers::DossierRow = sqlx::query_as(concat!("SELECT ", $crate::dossiers::dossier_columns!(), " FROM dossiers WHERE id = $1"))
                .bind(&mv.dossier_id)
                .fetch_one(&mut *tx)
                .await?;
                let dossier: $crate::dossiers::DossierRecord = row.try_into()?;
                if let Some((vi, en)) = &mv.notice {
                    sqlx::query(
                        "INSERT INTO notifications (cccd, dossier_id, at, text_vi, text_en) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&dossier.cccd)
                    .bind(&mv.dossier_id)
                    .bind(mv.at.seconds())
                    .bind(vi)
                    .bind(en)
                    .execute(&mut *tx)
                    .await?;
                }
                let path: Vec<&str> = mv.path.iter().map(|s| s.as_str()).collect();
                let roles: Vec<&str> = mv.files.iter().map(|f| f.role.as_str()).collect();
                append_audit(
                    &mut *tx,
                    mv.at,
                    &[$crate::AuditEntry {
                        action: "dossier.move".into(),
                        subject: dossier.receipt.clone(),
                        detail: format!(
                            "by={} from={} to={} files=[{}] note={}",
                            mv.actor,
                            mv.from.as_str(),
                            path.join(">"),
                            roles.join(","),
                            mv.note
                        ),
                    }],
                )
                .await?;
                Ok(dossier)
            }
        }

        #[async_trait::async_trait]
        impl $crate::dossiers::DossierStore for $ty {
            async fn create_dossier(
                &self,
                d: &$crate::dossiers::DossierRecord,
                files: &[$crate::dossiers::DossierFile],
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query(concat!("INSERT INTO dossiers (", $crate::dossiers::dossier_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"))
                .bind(&d.id)
                .bind(&d.receipt)
                .bind(&d.procedure)
                .bind(&d.cccd)
                .bind(&d.applicant)
                .bind(&d.commune_code)
                .bind(&d.province_code)
                .bind(&d.agency_level)
                .bind(d.state.as_str())
                .bind(&d.form)
                .bind(d.fee_vnd)
                .bind(d.fee_paid_at.map(|t| t.seconds()))
                .bind(&d.signing_request)
                .bind(d.created_at.seconds())
                .bind(d.submitted_at.map(|t| t.seconds()))
                .bind(d.updated_at.seconds())
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, format!("dossier {} / receipt {}", d.id, d.receipt)))?;
                sqlx::query(
                    "INSERT INTO dossier_events (dossier_id, at, actor, from_state, to_state, note) \
                     VALUES ($1, $2, 'citizen', NULL, $3, '')",
                )
                .bind(&d.id)
                .bind(d.created_at.seconds())
                .bind(d.state.as_str())
                .execute(&mut *tx)
                .await?;
                Self::put_dossier_files(&mut tx, &d.id, files).await?;
                append_audit(
                    &mut tx,
                    d.created_at,
                    &[$crate::AuditEntry {
                        action: "dossier.create".into(),
                        subject: d.receipt.clone(),
                        detail: format!(
                            "id={} procedure={} cccd={} commune={} state={}",
                            d.id, d.procedure, d.cccd, d.commune_code, d.state.as_str()
                        ),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_dossier(
                &self,
                id: &str,
            ) -> Result<Option<$crate::dossiers::DossierRecord>, $crate::StoreError> {
                let row: Option<$crate::dossiers::DossierRow> = sqlx::query_as(concat!("SELECT ", $crate::dossiers::dossier_columns!(), " FROM dossiers WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn dossier_by_receipt(
                &self,
                receipt: &str,
            ) -> Result<Option<$crate::dossiers::DossierRecord>, $crate::StoreError> {
                let row: Option<$crate::dossiers::DossierRow> = sqlx::query_as(concat!("SELECT ", $crate::dossiers::dossier_columns!(), " FROM dossiers WHERE receipt = $1"))
                .bind(receipt)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn dossiers_of(
                &self,
                cccd: &str,
                limit: u32,
            ) -> Result<Vec<$crate::dossiers::DossierRecord>, $crate::StoreError> {
                let rows: Vec<$crate::dossiers::DossierRow> = sqlx::query_as(concat!("SELECT ", $crate::dossiers::dossier_columns!(), " FROM dossiers WHERE cccd = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
                .bind(cccd)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn dossier_queue(
                &self,
                filter: &$crate::dossiers::QueueFilter,
            ) -> Result<Vec<$crate::dossiers::DossierRecord>, $crate::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(concat!("SELECT ", $crate::dossiers::dossier_columns!(), " FROM dossiers WHERE state <> 'signing'"));
                if let Some(c) = &filter.commune {
                    qb.push(" AND commune_code = ").push_bind(c.clone());
                }
                if let Some(p) = &filter.province {
                    qb.push(" AND province_code = ").push_bind(p.clone());
                }
                if !filter.states.is_empty() {
                    qb.push(" AND state IN (");
                    let mut list = qb.separated(", ");
                    for s in &filter.states {
                        list.push_bind(s.as_str());
                    }
                    qb.push(")");
                }
                qb.push(" ORDER BY updated_at, id LIMIT ").push_bind(i64::from(filter.limit.max(1)));
                let rows: Vec<$crate::dossiers::DossierRow> =
                    qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn move_dossier(
                &self,
                mv: &$crate::dossiers::Move,
            ) -> Result<$crate::dossiers::DossierRecord, $crate::StoreError> {
                mv.check()?;
                let mut tx = self.begin_write().await?;
                let dossier = Self::apply_move(&mut tx, mv, None).await?;
                tx.commit().await?;
                Ok(dossier)
            }

            async fn record_payment(
                &self,
                p: &$crate::dossiers::PaymentRecord,
                mv: Option<&$crate::dossiers::Move>,
            ) -> Result<$crate::dossiers::PaymentOutcome, $crate::StoreError> {
                if let Some(mv) = mv {
                    mv.check()?;
                    if mv.dossier_id != p.dossier_id {
                        return Err($crate::StoreError::Conflict(format!(
                            "payment {} is for dossier {}, the move for {}",
                            p.reference, p.dossier_id, mv.dossier_id
                        )));
                    }
                }
                let mut tx = self.begin_write().await?;
                let exists: Option<String> = sqlx::query_scalar("SELECT id FROM dossiers WHERE id = $1")
                    .bind(&p.dossier_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err($crate::StoreError::Conflict(format!("no dossier {}", p.dossier_id)));
                }
                // The reference first: a concurrent delivery of the same payment waits on
                // the unique key until this one commits, then finds it (on PostgreSQL a
                // SELECT … FOR UPDATE of a row not yet there would lock nothing).
                let inserted = sqlx::query(
                    "INSERT INTO payments (reference, dossier_id, amount_vnd, paid_at, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (reference) DO NOTHING",
                )
                .bind(&p.reference)
                .bind(&p.dossier_id)
                .bind(p.amount_vnd)
                .bind(p.paid_at.seconds())
                .bind(p.recorded_at.seconds())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    let seen: $crate::dossiers::PaymentRow = sqlx::query_as(
                        "SELECT reference, dossier_id, amount_vnd, paid_at, recorded_at FROM payments WHERE reference = $1",
                    )
                    .bind(&p.reference)
                    .fetch_one(&mut *tx)
                    .await?;
                    return Ok($crate::dossiers::PaymentOutcome::AlreadyRecorded(seen.into()));
                }
                let due: Option<(i64, Option<i64>)> = sqlx::query_as(concat!(
                    "SELECT fee_vnd, fee_paid_at FROM dossiers WHERE id = $1",
                    $lock
                ))
                .bind(&p.dossier_id)
                .fetch_optional(&mut *tx)
                .await?;
                // Any refusal below drops the transaction: the payment row goes with it.
                match due {
                    None => return Err($crate::StoreError::Conflict(format!("no dossier {}", p.dossier_id))),
                    Some((_, Some(_))) => {
                        return Err($crate::StoreError::Conflict(format!(
                            "the fee of dossier {} is paid already",
                            p.dossier_id
                        )));
                    }
                    Some((fee, None)) if fee != p.amount_vnd => {
                        return Err($crate::StoreError::Conflict(format!(
                            "dossier {}: {} đồng paid, {} due",
                            p.dossier_id, p.amount_vnd, fee
                        )));
                    }
                    Some(_) => {}
                }
                let dossier = match mv {
                    Some(mv) => Self::apply_move(&mut tx, mv, Some(p.paid_at)).await?,
                    None => {
                        sqlx::query("UPDATE dossiers SET fee_paid_at = $1, updated_at = $2 WHERE id = $3")
                            .bind(p.paid_at.seconds())
                            .bind(p.recorded_at.seconds())
                            .bind(&p.dossier_id)
                            .execute(&mut *tx)
                            .await?;
                        let row: $crate::dossiers::DossierRow = sqlx::query_as(concat!("SELECT ", $crate::dossiers::dossier_columns!(), " FROM dossiers WHERE id = $1"))
                        .bind(&p.dossier_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        row.try_into()?
                    }
                };
                append_audit(
                    &mut tx,
                    p.recorded_at,
                    &[$crate::AuditEntry {
                        action: "dossier.payment".into(),
                        subject: dossier.receipt.clone(),
                        detail: format!("reference={} amount={} paid_at={}", p.reference, p.amount_vnd, p.paid_at.seconds()),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok($crate::dossiers::PaymentOutcome::Recorded(Box::new(dossier)))
            }

            async fn payments_of(
                &self,
                dossier_id: &str,
            ) -> Result<Vec<$crate::dossiers::PaymentRecord>, $crate::StoreError> {
                let rows: Vec<$crate::dossiers::PaymentRow> = sqlx::query_as(
                    "SELECT reference, dossier_id, amount_vnd, paid_at, recorded_at FROM payments \
                     WHERE dossier_id = $1 ORDER BY recorded_at, reference",
                )
                .bind(dossier_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn dossier_files(
                &self,
                dossier_id: &str,
            ) -> Result<Vec<$crate::dossiers::DossierFileInfo>, $crate::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT role, file_name, mime, CAST(LENGTH(bytes) AS BIGINT) AS size, added_at \
                     FROM dossier_files WHERE dossier_id = $1 ORDER BY role",
                )
                .bind(dossier_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn dossier_file(
                &self,
                dossier_id: &str,
                role: &str,
            ) -> Result<Option<$crate::dossiers::DossierFile>, $crate::StoreError> {
                let row: Option<$crate::dossiers::FileRow> = sqlx::query_as(
                    "SELECT role, file_name, mime, bytes, added_at FROM dossier_files WHERE dossier_id = $1 AND role = $2",
                )
                .bind(dossier_id)
                .bind(role)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn dossier_events(
                &self,
                dossier_id: &str,
            ) -> Result<Vec<$crate::dossiers::DossierEvent>, $crate::StoreError> {
                let rows: Vec<$crate::dossiers::EventRow> = sqlx::query_as(
                    "SELECT id, at, actor, from_state, to_state, note FROM dossier_events WHERE dossier_id = $1 ORDER BY id",
                )
                .bind(dossier_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn notifications(
                &self,
                cccd: &str,
                limit: u32,
            ) -> Result<Vec<$crate::dossiers::NotificationRecord>, $crate::StoreError> {
                let rows: Vec<$crate::dossiers::NotificationRow> = sqlx::query_as(
                    "SELECT id, cccd, dossier_id, at, text_vi, text_en, read_at FROM notifications \
                     WHERE cccd = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(cccd)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn mark_notifications_read(
                &self,
                cccd: &str,
                up_to: i64,
                at: kyso_core::UnixTime,
            ) -> Result<u64, $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let n = sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE cccd = $2 AND id <= $3 AND read_at IS NULL",
                )
                .bind(at.seconds())
                .bind(cccd)
                .bind(up_to)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(n)
            }
        }
    };
}
pub(crate) use impl_dossier_store;
