-- Citizen services: the free year and signing quotas, one-time codes to the registered
-- phone, staff accounts with their scope, and the log of every staff read of a citizen's
-- personal data.

-- Campaign credentials are metered: public-service signatures are free until free_until
-- (12 months from the first campaign certificate, carried across a provider switch); every
-- other signature is charged against signature_quota, checked and counted in the same
-- write as the signature's SAD, so concurrent signatures cannot overrun it. NULL quota =
-- not metered (credentials made outside a campaign).
ALTER TABLE credentials ADD COLUMN free_until BIGINT;
ALTER TABLE credentials ADD COLUMN signature_quota BIGINT;
ALTER TABLE credentials ADD COLUMN signatures_free BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN signatures_charged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN signatures_refused BIGINT NOT NULL DEFAULT 0;

-- One-time codes sent to a citizen's registered phone (online enrolment, citizen login).
-- Only a peppered HMAC of the code is kept; a code is single-use and allows 5 attempts.
CREATE TABLE otp_challenges (
    id          TEXT PRIMARY KEY,
    cccd        TEXT NOT NULL REFERENCES people (cccd),
    purpose     TEXT NOT NULL,
    code_hash   BLOB NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX otp_challenges_citizen ON otp_challenges (cccd, created_at);

-- What kyso handed to the SMS gateway (the outbox a gateway adapter drains; the demo and
-- the tests read it).
CREATE TABLE sms_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    phone       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT
);

-- Staff: commune officers (scope = commune code), provider staff (scope = provider id),
-- province administrators (scope = province code). Password: salt ‖ peppered HMAC.
CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('commune', 'provider', 'province')),
    scope         TEXT NOT NULL,
    password_hash BLOB NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Every staff read of a citizen's personal data, allowed or refused: who, when, why.
CREATE TABLE access_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    staff       TEXT NOT NULL,
    cccd        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    what        TEXT NOT NULL,
    allowed     BIGINT NOT NULL
);
CREATE INDEX access_log_citizen ON access_log (cccd, at);
CREATE INDEX access_log_staff ON access_log (staff, at);

-- Who suspended a campaign certificate (citizen, provider, operator): a citizen may lift
-- only their own suspension.
ALTER TABLE enrolments ADD COLUMN suspended_by TEXT;
