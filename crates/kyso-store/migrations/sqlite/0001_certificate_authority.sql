-- kyso schema, SQLite flavour. Times are Unix seconds (INTEGER); serials lower-case hex.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Keys in custody. `material` is wrapped key material or an HSM object id, never a clear key.
CREATE TABLE keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    custody     TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    material    BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE certificates (
    serial            TEXT PRIMARY KEY,
    issuer            TEXT NOT NULL,
    profile           TEXT NOT NULL,
    subject           TEXT NOT NULL,
    subject_id        TEXT,
    not_before        INTEGER NOT NULL,
    not_after         INTEGER NOT NULL,
    der               BLOB NOT NULL,
    key_id            TEXT REFERENCES keys (id),
    crl_shard         INTEGER NOT NULL,
    status            TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'suspended', 'revoked')),
    status_reason     INTEGER,
    status_changed_at INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE INDEX certificates_status ON certificates (status, serial);
CREATE INDEX certificates_subject_id ON certificates (subject_id);
-- CRL shards list only the few certificates that are not valid.
CREATE INDEX certificates_unvalid_by_shard ON certificates (issuer, crl_shard) WHERE status <> 'valid';

-- Every status change, in order: the three-state validity history of Decree 23/2025.
CREATE TABLE status_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    serial  TEXT NOT NULL REFERENCES certificates (serial),
    event   TEXT NOT NULL,
    reason  INTEGER,
    at      INTEGER NOT NULL
);
CREATE INDEX status_events_serial ON status_events (serial, id);

-- CAs and infrastructure signers (OCSP, TSA) of this deployment.
CREATE TABLE authorities (
    slug        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    serial      TEXT NOT NULL REFERENCES certificates (serial),
    key_id      TEXT NOT NULL REFERENCES keys (id),
    scheme      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
