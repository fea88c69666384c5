-- Remote signing: relying parties, citizens' credentials, signature activation data.

-- Relying parties (portals, school and health systems) registered by the operator. The
-- secret is kept only as a peppered HMAC.
CREATE TABLE clients (
    client_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    secret_hash   BYTEA NOT NULL,
    callback_url  TEXT,
    created_at    BIGINT NOT NULL
);

-- A credential is a subscriber key in custody (its id is the key's) with its certificate
-- and activation factors. PIN: salt ‖ peppered HMAC; TOTP secret: wrapped; TOTP codes are
-- single-use (last accepted step).
CREATE TABLE credentials (
    id              TEXT PRIMARY KEY REFERENCES keys (id),
    serial          TEXT NOT NULL UNIQUE REFERENCES certificates (serial),
    subject_id      TEXT NOT NULL,
    pin_hash        BYTEA NOT NULL,
    pin_failures    BIGINT NOT NULL DEFAULT 0,
    totp_secret     BYTEA,
    totp_last_step  BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX credentials_subject ON credentials (subject_id, created_at);

-- Signature activation data: single-use, short-lived, bound to client, credential and
-- hashes. Only the SHA-256 of the token is stored.
CREATE TABLE sads (
    sad_hash        BYTEA PRIMARY KEY,
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    client_id       TEXT NOT NULL REFERENCES clients (client_id),
    hashes          TEXT NOT NULL,
    num_signatures  BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
