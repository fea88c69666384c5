-- kyso schema, PostgreSQL flavour. Times are Unix seconds (BIGINT); serials lower-case hex.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Keys in custody. `material` is wrapped key material or an HSM object id, never a clear key.
CREATE TABLE keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    custody     TEXT NOT NULL,
    public_key  BYTEA NOT NULL,
    material    BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE certificates (
    -- Byte order, as SQLite compares: paging by serial must mean the same on both.
    serial            TEXT COLLATE "C" PRIMARY KEY,
    issuer            TEXT NOT NULL,
    profile           TEXT NOT NULL,
    subject           TEXT NOT NULL,
    subject_id        TEXT,
    not_before        BIGINT NOT NULL,
    not_after         BIGINT NOT NULL,
    der               BYTEA NOT NULL,
    key_id            TEXT REFERENCES keys (id),
    crl_shard         BIGINT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'suspended', 'revoked')),
    status_reason     BIGINT,
    status_changed_at BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX certificates_status ON certificates (status, serial);
CREATE INDEX certificates_subject_id ON certificates (subject_id);
-- CRL shards list only the few certificates that are not valid.
CREATE INDEX certificates_unvalid_by_shard ON certificates (issuer, crl_shard) WHERE status <> 'valid';

-- Every status change, in order: the three-state validity history of Decree 23/2025.
CREATE TABLE status_events (
    id      BIGSERIAL PRIMARY KEY,
    serial  TEXT NOT NULL REFERENCES certificates (serial),
    event   TEXT NOT NULL,
    reason  BIGINT,
    at      BIGINT NOT NULL
);
CREATE INDEX status_events_serial ON status_events (serial, id);

-- CAs and infrastructure signers (OCSP, TSA) of this deployment.
CREATE TABLE authorities (
    slug        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    serial      TEXT NOT NULL REFERENCES certificates (serial),
    key_id      TEXT NOT NULL REFERENCES keys (id),
    scheme      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
