//! The [`Store`](crate::Store) methods whose SQL is the same on SQLite and PostgreSQL.
//!
//! Both dialects accept `$n` placeholders, `ON CONFLICT … DO UPDATE` and the same DDL
//! types once migrated, so the two implementations share these bodies through a macro
//! (sqlx's generic-over-database bounds are heavier than the code they would share). Each
//! backend supplies `self.pool` and `self.begin_write()`, and keeps what differs — opening,
//! pragmas, transaction modes, migrations — in its own module.

macro_rules! impl_store_common {
    // `$lock_head` is how the backend locks the audit head row inside a transaction
    // (SQLite's BEGIN IMMEDIATE already holds the write lock; PostgreSQL needs FOR UPDATE).
    ($ty:ty, $backend:literal, $lock_head:literal) => {
        #[async_trait::async_trait]
        impl $crate::Store for $ty {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn get_setting(&self, key: &str) -> Result<Option<String>, $crate::StoreError> {
                Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn put_setting(&self, key: &str, value: &str) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
                let entry = $crate::AuditEntry { action: "setting.put".into(), subject: key.into(), detail: value.into() };
                append_audit(&mut tx, kyso_core::UnixTime::from_system_time(std::time::SystemTime::now()), &[entry]).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn initialise(
                &self,
                authorities: &[$crate::NewAuthority],
                settings: &[(&str, String)],
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                // Inside the write transaction: two racing `ca init` cannot both pass.
                let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM authorities").fetch_one(&mut *tx).await?;
                if existing > 0 {
                    return Err($crate::StoreError::Duplicate("the authorities of this deployment already exist".into()));
                }
                let Some(first) = authorities.first() else { return Ok(()) };
                let at = first.authority.created_at;
                let mut entries = insert_authorities(&mut tx, authorities).await?;
                for (key, value) in settings {
                    sqlx::query(
                        "INSERT INTO settings (key, value) VALUES ($1, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(*key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
                    entries.push($crate::AuditEntry { action: "setting.put".into(), subject: (*key).into(), detail: value.clone() });
                }
                append_audit(&mut tx, at, &entries).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn authorities(&self) -> Result<Vec<$crate::AuthorityRecord>, $crate::StoreError> {
                let rows: Vec<$crate::records::AuthorityRow> = sqlx::query_as(
                    "SELECT slug, role, serial, key_id, scheme, created_at FROM authorities ORDER BY created_at, slug",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn get_key(&self, id: &str) -> Result<Option<kyso_keys::KeyRecord>, $crate::StoreError> {
                let row: Option<$crate::records::KeyRow> =
                    sqlx::query_as("SELECT id, algorithm, custody, public_key, material FROM keys WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn insert_certificates(&self, batch: &[$crate::NewIssuance]) -> Result<(), $crate::StoreError> {
                let Some(first) = batch.first() else { return Ok(()) };
                let mut tx = self.begin_write().await?;
                let keys: Vec<_> = batch.iter().filter_map(|i| i.key.as_ref()).collect();
                insert_keys(&mut tx, &keys, first.cert.created_at).await?;
                let certs: Vec<_> = batch.iter().map(|i| &i.cert).collect();
                insert_certs(&mut tx, &certs).await?;
                let entries: Vec<_> = batch.iter().map(|i| $crate::AuditEntry {
                    action: "certificate.issue".into(),
                    subject: i.cert.serial.clone(),
                    detail: format!(
                        "profile={} issuer={} key={} subject={}",
                        i.cert.profile,
                        i.cert.issuer,
                        i.cert.key_id.as_deref().unwrap_or("-"),
                        i.cert.subject
                    ),
                }).collect();
                append_audit(&mut tx, first.cert.created_at, &entries).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_certificate(&self, serial: &str) -> Result<Option<$crate::CertificateRecord>, $crate::StoreError> {
                let row: Option<$crate::records::CertRow> =
                    sqlx::query_as(concat!("SELECT ", cert_columns!(), " FROM certificates WHERE serial = $1"))
                        .bind(serial)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_certificates(
                &self,
                filter: &$crate::CertFilter,
            ) -> Result<Vec<$crate::CertificateRecord>, $crate::StoreError> {
                let rows: Vec<$crate::records::CertRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    cert_columns!(),
                    " FROM certificates WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR serial > $2) \
                     ORDER BY serial LIMIT $3"
                ))
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.after_serial.as_deref())
                .bind(filter.limit.map_or(i64::MAX, i64::from))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn count_certificates(&self) -> Result<u64, $crate::StoreError> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM certificates").fetch_one(&self.pool).await?;
                Ok(n as u64)
            }

            async fn change_status(
                &self,
                serial: &str,
                change: kyso_core::StatusChange,
                at: kyso_core::UnixTime,
            ) -> Result<$crate::CertificateRecord, $crate::StoreError> {
                // Optimistic concurrency: the UPDATE only applies if the status is still the
                // one the rules were checked against; a lost race re-reads and re-checks.
                loop {
                    let mut tx = self.begin_write().await?;
                    if !apply_status_change(&mut tx, serial, change, at).await? {
                        tx.rollback().await?;
                        continue;
                    }
                    tx.commit().await?;
                    return self
                        .get_certificate(serial)
                        .await?
                        .ok_or_else(|| $crate::StoreError::UnknownSerial(serial.to_owned()));
                }
            }

            async fn audit_log(&self, after_seq: i64, limit: u32) -> Result<Vec<$crate::AuditRecord>, $crate::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT seq, at, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after_seq)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn audit_head(&self) -> Result<(i64, Vec<u8>), $crate::StoreError> {
                Ok(sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?)
            }

            async fn revoked_entries(
                &self,
                issuer: &str,
                shard: Option<u16>,
            ) -> Result<Vec<$crate::RevokedEntry>, $crate::StoreError> {
                // Served by the partial index on (issuer, crl_shard) WHERE status <> 'valid':
                // the cost follows the number of revoked certificates, not of all issued.
                // A shard holds tens of thousands of entries at campaign scale: they come back
                // as one aggregated text (one row, not one per entry, which is where a
                // row-at-a-time driver spends its time), in serial order.
                // The partial index covers every column read, in serial order: an index-only
                // scan of the shard, no table lookups, no sort.
                let rows: Option<String> = match shard {
                    Some(n) => sqlx::query_scalar(
                        "SELECT string_agg(serial || ' ' || status || ' ' || COALESCE(CAST(status_reason AS TEXT), '-') \
                         || ' ' || CAST(COALESCE(status_changed_at, 0) AS TEXT), ',' ORDER BY serial) \
                         FROM certificates WHERE issuer = $1 AND crl_shard = $2 AND status <> 'valid'",
                    )
                    .bind(issuer)
                    .bind(i64::from(n))
                    .fetch_one(&self.pool)
                    .await?,
                    None => sqlx::query_scalar(
                        "SELECT string_agg(serial || ' ' || status || ' ' || COALESCE(CAST(status_reason AS TEXT), '-') \
                         || ' ' || CAST(COALESCE(status_changed_at, 0) AS TEXT), ',' ORDER BY serial) \
                         FROM certificates WHERE issuer = $1 AND status <> 'valid'",
                    )
                    .bind(issuer)
                    .fetch_one(&self.pool)
                    .await?,
                };
                rows.as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map($crate::records::revoked_entry_from_text)
                    .collect()
            }

            async fn next_crl_number(&self, scope: &str) -> Result<u64, $crate::StoreError> {
                let n: i64 = sqlx::query_scalar(
                    "INSERT INTO crl_numbers (scope, number) VALUES ($1, 1) \
                     ON CONFLICT (scope) DO UPDATE SET number = crl_numbers.number + 1 RETURNING number",
                )
                .bind(scope)
                .fetch_one(&self.pool)
                .await?;
                Ok(n as u64)
            }

            async fn status_changes_after(
                &self,
                after_id: i64,
                limit: u32,
            ) -> Result<Vec<(i64, String)>, $crate::StoreError> {
                Ok(sqlx::query_as("SELECT id, serial FROM status_events WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn last_status_change_id(&self) -> Result<i64, $crate::StoreError> {
                Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM status_events")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn reserve_sequence(&self, name: &str, count: u64) -> Result<u64, $crate::StoreError> {
                let count = i64::try_from(count)
                    .ok()
                    .filter(|c| *c > 0)
                    .ok_or_else(|| $crate::StoreError::Corrupt(format!("cannot reserve {count} values")))?;
                let end: i64 = sqlx::query_scalar(
                    "INSERT INTO sequences (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = sequences.value + $2 RETURNING value",
                )
                .bind(name)
                .bind(count)
                .fetch_one(&self.pool)
                .await?;
                Ok((end - count + 1) as u64)
            }

            async fn status_history(&self, serial: &str) -> Result<Vec<$crate::StatusEvent>, $crate::StoreError> {
                let rows: Vec<$crate::records::EventRow> =
                    sqlx::query_as("SELECT event, reason, at FROM status_events WHERE serial = $1 ORDER BY id")
                        .bind(serial)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }

        /// Appends entries to the hash chain inside the caller's transaction, so the change
        /// and its audit record commit together or not at all.
        async fn append_audit(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            at: kyso_core::UnixTime,
            entries: &[$crate::AuditEntry],
        ) -> Result<(), $crate::StoreError> {
            let (mut seq, mut hash): (i64, Vec<u8>) =
                sqlx::query_as(concat!("SELECT seq, hash FROM audit_head WHERE id = 1", $lock_head))
                    .fetch_one(&mut *conn)
                    .await?;
            let mut rows = Vec::with_capacity(entries.len());
            for e in entries {
                seq += 1;
                let next = $crate::audit::entry_hash(&hash, seq, at, e);
                rows.push((seq, e, std::mem::replace(&mut hash, next.clone()), next));
            }
            for chunk in rows.chunks($crate::backend::ROWS_PER_STATEMENT) {
                let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                    "INSERT INTO audit_log (seq, at, action, subject, detail, prev_hash, hash) ",
                );
                qb.push_values(chunk, |mut b, (seq, e, prev, this)| {
                    b.push_bind(*seq)
                        .push_bind(at.seconds())
                        .push_bind(e.action.clone())
                        .push_bind(e.subject.clone())
                        .push_bind(e.detail.clone())
                        .push_bind(prev.clone())
                        .push_bind(this.clone());
                });
                qb.build().execute(&mut *conn).await?;
            }
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(&hash)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Multi-row INSERTs: one statement per chunk instead of one round trip per row,
        /// which is what makes bulk issuance fast on PostgreSQL.
        async fn insert_keys(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            keys: &[&kyso_keys::KeyRecord],
            created_at: kyso_core::UnixTime,
        ) -> Result<(), $crate::StoreError> {
            for chunk in keys.chunks($crate::backend::ROWS_PER_STATEMENT) {
                let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                    "INSERT INTO keys (id, algorithm, custody, public_key, material, created_at) ",
                );
                qb.push_values(chunk, |mut b, key| {
                    b.push_bind(key.id.clone())
                        .push_bind(key.algorithm.as_str())
                        .push_bind(key.custody.as_str())
                        .push_bind(key.public_key_der.clone())
                        .push_bind(key.material.clone())
                        .push_bind(created_at.seconds());
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Applies a status change inside `conn`'s transaction: checks it against the rules,
        /// compare-and-sets the status, appends the audit entry and the status event.
        /// `Ok(false)` if the status moved since it was read (the caller retries).
        async fn apply_status_change(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            serial: &str,
            change: kyso_core::StatusChange,
            at: kyso_core::UnixTime,
        ) -> Result<bool, $crate::StoreError> {
            let current: Option<String> = sqlx::query_scalar("SELECT status FROM certificates WHERE serial = $1")
                .bind(serial)
                .fetch_optional(&mut *conn)
                .await?;
            let current: kyso_core::CertStatus = current
                .ok_or_else(|| $crate::StoreError::UnknownSerial(serial.to_owned()))?
                .parse()
                .map_err(|e: kyso_core::StatusError| $crate::StoreError::Corrupt(e.to_string()))?;
            let next = current
                .apply(change)
                .map_err(|source| $crate::StoreError::Status { serial: serial.to_owned(), source })?;
            let reason = match change {
                kyso_core::StatusChange::Revoke(r) => Some(i64::from(r.code())),
                kyso_core::StatusChange::Suspend => Some(i64::from(kyso_core::RevocationReason::CertificateHold.code())),
                kyso_core::StatusChange::Resume => None,
            };
            let updated = sqlx::query(
                "UPDATE certificates SET status = $1, status_reason = $2, status_changed_at = $3 \
                 WHERE serial = $4 AND status = $5",
            )
            .bind(next.as_str())
            .bind(reason)
            .bind(at.seconds())
            .bind(serial)
            .bind(current.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if updated == 0 {
                return Ok(false);
            }
            let entry = $crate::AuditEntry {
                action: format!("certificate.{}", change.event_name()),
                subject: serial.to_owned(),
                detail: match change {
                    kyso_core::StatusChange::Revoke(r) => format!("reason={r}"),
                    kyso_core::StatusChange::Suspend => "reason=certificateHold".into(),
                    kyso_core::StatusChange::Resume => String::new(),
                },
            };
            append_audit(&mut *conn, at, &[entry]).await?;
            // A revoked certificate can no longer be anyone's campaign certificate: its
            // enrolment ends with it (a switch has already ended it; then nothing moves),
            // and the citizen may enrol again.
            if let kyso_core::StatusChange::Revoke(r) = change {
                sqlx::query(
                    "UPDATE enrolments SET status = 'ended', ended_at = $1, end_reason = $2 \
                     WHERE serial = $3 AND status = 'active'",
                )
                .bind(at.seconds())
                .bind(format!("revoked ({r})"))
                .bind(serial)
                .execute(&mut *conn)
                .await?;
            }
            // Suspension, resumption and revocation move the campaign's coverage.
            refresh_coverage_of_serial(&mut *conn, serial, at).await?;
            // After the audit append, which holds the chain's head lock: event ids are
            // then assigned in commit order, which `status_changes_after` relies on.
            sqlx::query("INSERT INTO status_events (serial, event, reason, at) VALUES ($1, $2, $3, $4)")
                .bind(serial)
                .bind(change.event_name())
                .bind(reason)
                .bind(at.seconds())
                .execute(&mut *conn)
                .await?;
            Ok(true)
        }

        /// Keys, certificates and authority rows of new authorities; their audit entries.
        async fn insert_authorities(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            authorities: &[$crate::NewAuthority],
        ) -> Result<Vec<$crate::AuditEntry>, $crate::StoreError> {
            let Some(first) = authorities.first() else { return Ok(Vec::new()) };
            let at = first.authority.created_at;
            let keys: Vec<_> = authorities.iter().map(|a| &a.key).collect();
            insert_keys(&mut *conn, &keys, at).await?;
            let certs: Vec<_> = authorities.iter().map(|a| &a.cert).collect();
            insert_certs(&mut *conn, &certs).await?;
            let mut entries = Vec::new();
            for a in authorities.iter().map(|a| &a.authority) {
                sqlx::query(
                    "INSERT INTO authorities (slug, role, serial, key_id, scheme, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&a.slug)
                .bind(&a.role)
                .bind(&a.serial)
                .bind(&a.key_id)
                .bind(&a.scheme)
                .bind(a.created_at.seconds())
                .execute(&mut *conn)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, format!("authority {}", a.slug)))?;
                entries.push($crate::AuditEntry {
                    action: "authority.create".into(),
                    subject: a.slug.clone(),
                    detail: format!("role={} serial={} key={}", a.role, a.serial, a.key_id),
                });
            }
            Ok(entries)
        }

        async fn insert_certs(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            certs: &[&$crate::CertificateRecord],
        ) -> Result<(), $crate::StoreError> {
            for chunk in certs.chunks($crate::backend::ROWS_PER_STATEMENT) {
                let mut qb =
                    sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(concat!("INSERT INTO certificates (", cert_columns!(), ") "));
                qb.push_values(chunk, |mut b, c| {
                    b.push_bind(c.serial.clone())
                        .push_bind(c.issuer.clone())
                        .push_bind(c.profile.clone())
                        .push_bind(c.subject.clone())
                        .push_bind(c.subject_id.clone())
                        .push_bind(c.not_before.seconds())
                        .push_bind(c.not_after.seconds())
                        .push_bind(c.der.clone())
                        .push_bind(c.key_id.clone())
                        .push_bind(i64::from(c.crl_shard))
                        .push_bind(c.status.as_str())
                        .push_bind(c.status_reason.map(|r| i64::from(r.code())))
                        .push_bind(c.status_changed_at.map(|t| t.seconds()))
                        .push_bind(c.created_at.seconds());
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }
    };
}

macro_rules! cert_columns {
    () => {
        "serial, issuer, profile, subject, subject_id, not_before, not_after, der, key_id, crl_shard, \
         status, status_reason, status_changed_at, created_at"
    };
}

pub(crate) use {cert_columns, impl_store_common};

/// Rows per multi-row INSERT: 14 columns × 400 = 5,600 bind parameters, well inside
/// SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const ROWS_PER_STATEMENT: usize = 400;

/// Maps a store type to its sqlx database.
pub(crate) trait HasDb {
    type Db: sqlx::Database;
}
pub(crate) type DbOf<T> = <T as HasDb>::Db;
