-- Online public-service dossiers: the dossier and its state, its files (the application,
-- the signed application, attachments, the result document), every state change, the
-- citizen's in-app notifications and the fee payments. A state change, its event, its
-- notification and its audit entry are one transaction.
CREATE TABLE dossiers (
    id              TEXT COLLATE "C" PRIMARY KEY,
    receipt         TEXT COLLATE "C" NOT NULL UNIQUE,
    procedure_code  TEXT NOT NULL,
    cccd            TEXT COLLATE "C" NOT NULL,
    applicant       TEXT NOT NULL,
    commune_code    TEXT COLLATE "C" NOT NULL,
    province_code   TEXT COLLATE "C" NOT NULL,
    agency_level    TEXT NOT NULL,
    state           TEXT NOT NULL,
    form            TEXT NOT NULL,
    fee_vnd         BIGINT NOT NULL DEFAULT 0,
    fee_paid_at     BIGINT,
    signing_request TEXT,
    created_at      BIGINT NOT NULL,
    submitted_at    BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX dossiers_citizen ON dossiers (cccd, created_at);
-- The officers' queues: per commune, per province, by state.
CREATE INDEX dossiers_commune_queue ON dossiers (commune_code, state, updated_at);
CREATE INDEX dossiers_province_queue ON dossiers (province_code, state, updated_at);

CREATE TABLE dossier_files (
    dossier_id  TEXT COLLATE "C" NOT NULL REFERENCES dossiers (id),
    role        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    mime        TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, role)
);

CREATE TABLE dossier_events (
    id          BIGSERIAL PRIMARY KEY,
    dossier_id  TEXT COLLATE "C" NOT NULL REFERENCES dossiers (id),
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    note        TEXT NOT NULL
);
CREATE INDEX dossier_events_dossier ON dossier_events (dossier_id, id);

CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    cccd        TEXT COLLATE "C" NOT NULL,
    dossier_id  TEXT COLLATE "C" NOT NULL REFERENCES dossiers (id),
    at          BIGINT NOT NULL,
    text_vi     TEXT NOT NULL,
    text_en     TEXT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_citizen ON notifications (cccd, id);

-- The bank's (or the payment platform's) transaction reference is the key: a replayed
-- callback finds its payment already there and changes nothing.
CREATE TABLE payments (
    reference   TEXT COLLATE "C" PRIMARY KEY,
    dossier_id  TEXT COLLATE "C" NOT NULL REFERENCES dossiers (id),
    amount_vnd  BIGINT NOT NULL,
    paid_at     BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX payments_dossier ON payments (dossier_id);
