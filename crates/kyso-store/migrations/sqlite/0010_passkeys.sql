-- Citizens' passkeys (WebAuthn, ES256): the phone's biometric factor for approving a
-- signature request. The counter only moves forward (a cloned authenticator shows up).
CREATE TABLE passkeys (
    id          TEXT PRIMARY KEY,
    subject_id  TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    sign_count  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX passkeys_subject ON passkeys (subject_id);
