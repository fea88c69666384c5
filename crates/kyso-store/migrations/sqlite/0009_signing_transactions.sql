-- Signature requests waiting for the citizen: a portal asks (NEAC-style `sign`, or CSC
-- `credentials/authorize` without PIN), the citizen sees it on the phone page and approves
-- with PIN [+ OTP] or rejects. `result` holds the signatures (NEAC) or the wrapped SAD
-- (CSC) once approved.
CREATE TABLE signing_transactions (
    id             TEXT PRIMARY KEY,
    api            TEXT NOT NULL,
    client_id      TEXT NOT NULL REFERENCES clients (client_id),
    credential_id  TEXT NOT NULL REFERENCES credentials (id),
    subject_id     TEXT NOT NULL,
    documents      TEXT NOT NULL,
    description    TEXT NOT NULL,
    short_code     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('waiting', 'approved', 'rejected')),
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    decided_at     BIGINT,
    result         TEXT
);
CREATE INDEX signing_transactions_subject ON signing_transactions (subject_id, status, expires_at);
