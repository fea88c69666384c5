-- Campaign operations (PostgreSQL: every text column that is compared or joined with a key
-- elsewhere uses the "C" collation like those keys, so that their indexes can be used): coverage kept up to date by the writes that change it (never
-- counted by scanning the population per page view), outreach to households, team
-- members, visits and training sessions.
--
-- Coverage: an adult is covered while they hold an active campaign enrolment whose
-- certificate is good (not suspended, not revoked). `coverage_state` holds one row per
-- covered adult; every write that can change an adult's coverage (enrolment, switch,
-- renewal, suspension, resumption, revocation) recomputes that one adult's row in the
-- same transaction and moves the tallies by the difference. Expiry needs no write: the
-- readers subtract the rows whose certificate has expired (an index range).

ALTER TABLE households ADD COLUMN village TEXT;
ALTER TABLE households ADD COLUMN address TEXT;
ALTER TABLE households ADD COLUMN covered_adults BIGINT NOT NULL DEFAULT 0;
ALTER TABLE households ADD COLUMN assigned_to TEXT;
ALTER TABLE households ADD COLUMN assigned_at BIGINT;
ALTER TABLE households ADD COLUMN last_outcome TEXT;
ALTER TABLE households ADD COLUMN last_visit_at BIGINT;
ALTER TABLE households ADD COLUMN revisit_on BIGINT;
CREATE INDEX households_outreach ON households (commune_code, covered_adults, village, id);
CREATE INDEX households_assigned ON households (assigned_to, covered_adults, id);

ALTER TABLE people ADD COLUMN covered BIGINT NOT NULL DEFAULT 0;
CREATE INDEX people_outreach ON people (commune_code, covered, household_id);

CREATE INDEX enrolments_serial ON enrolments (serial);
ALTER TABLE enrolments ADD COLUMN first_used_at BIGINT;

CREATE TABLE coverage_state (
    cccd           TEXT COLLATE "C" PRIMARY KEY REFERENCES people (cccd),
    province_code  TEXT COLLATE "C" NOT NULL,
    commune_code   TEXT COLLATE "C" NOT NULL,
    household_id   TEXT COLLATE "C" NOT NULL,
    provider       TEXT COLLATE "C" NOT NULL,
    channel        TEXT COLLATE "C" NOT NULL,
    serial         TEXT COLLATE "C" NOT NULL,
    since          BIGINT NOT NULL,
    valid_until    BIGINT NOT NULL,
    free_until     BIGINT
);
CREATE INDEX coverage_state_expiry ON coverage_state (province_code, valid_until);
CREATE INDEX coverage_state_free ON coverage_state (province_code, free_until);
CREATE INDEX coverage_state_household ON coverage_state (household_id);

CREATE TABLE coverage_tally (
    province_code  TEXT COLLATE "C" NOT NULL,
    commune_code   TEXT COLLATE "C" NOT NULL,
    provider       TEXT COLLATE "C" NOT NULL,
    channel        TEXT COLLATE "C" NOT NULL,
    covered        BIGINT NOT NULL DEFAULT 0,
    first_use_30d  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (province_code, commune_code, provider, channel)
);

-- Net change of covered adults per Vietnamese calendar day (day = days since 1970-01-01
-- in UTC+7); commune_code '' holds the province's total.
CREATE TABLE coverage_daily (
    province_code  TEXT COLLATE "C" NOT NULL,
    commune_code   TEXT COLLATE "C" NOT NULL,
    day            BIGINT NOT NULL,
    covered_delta  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (province_code, commune_code, day)
);

CREATE TABLE population_tally (
    commune_code        TEXT COLLATE "C" PRIMARY KEY,
    province_code       TEXT COLLATE "C" NOT NULL,
    adults              BIGINT NOT NULL DEFAULT 0,
    households          BIGINT NOT NULL DEFAULT 0,
    households_covered  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX population_tally_province ON population_tally (province_code);

-- What already exists when this migration runs.
INSERT INTO coverage_state (cccd, province_code, commune_code, household_id, provider, channel,
                            serial, since, valid_until, free_until)
SELECT p.cccd, p.province_code, p.commune_code, p.household_id, e.provider, e.channel, e.serial,
       e.created_at, c.not_after, (SELECT MAX(cr.free_until) FROM credentials cr WHERE cr.serial = e.serial)
FROM enrolments e
JOIN people p ON p.cccd = e.cccd
JOIN certificates c ON c.serial = e.serial
WHERE e.status = 'active' AND c.status = 'valid';

UPDATE people SET covered = 1 WHERE cccd IN (SELECT cccd FROM coverage_state);
UPDATE households SET covered_adults =
    (SELECT COUNT(*) FROM coverage_state s WHERE s.household_id = households.id)
WHERE id IN (SELECT household_id FROM coverage_state);

INSERT INTO coverage_tally (province_code, commune_code, provider, channel, covered)
SELECT province_code, commune_code, provider, channel, COUNT(*)
FROM coverage_state GROUP BY province_code, commune_code, provider, channel;

INSERT INTO coverage_daily (province_code, commune_code, day, covered_delta)
SELECT province_code, commune_code, (since + 25200) / 86400, COUNT(*)
FROM coverage_state GROUP BY province_code, commune_code, (since + 25200) / 86400;
INSERT INTO coverage_daily (province_code, commune_code, day, covered_delta)
SELECT province_code, '', (since + 25200) / 86400, COUNT(*)
FROM coverage_state GROUP BY province_code, (since + 25200) / 86400;

INSERT INTO population_tally (commune_code, province_code, adults, households, households_covered)
SELECT h.commune_code, h.province_code,
       (SELECT COUNT(*) FROM people p WHERE p.commune_code = h.commune_code),
       COUNT(*), SUM(CASE WHEN h.covered_adults > 0 THEN 1 ELSE 0 END)
FROM households h GROUP BY h.commune_code, h.province_code;

-- A campaign: territory (the province, or some of its communes), target share of adults
-- in per mille, phases (JSON: name, dates, channels) and the participating providers.
CREATE TABLE campaigns (
    id             TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT COLLATE "C" NOT NULL,
    province_code  TEXT COLLATE "C" NOT NULL,
    communes       TEXT COLLATE "C" NOT NULL,
    target_permille BIGINT NOT NULL,
    phases         TEXT COLLATE "C" NOT NULL,
    providers      TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX campaigns_province ON campaigns (province_code);

-- Door-to-door visits; the household's latest outcome and revisit day are kept on the
-- household itself so that lists read one row per household.
CREATE TABLE visits (
    id             BIGSERIAL PRIMARY KEY,
    household_id   TEXT COLLATE "C" NOT NULL REFERENCES households (id),
    commune_code   TEXT COLLATE "C" NOT NULL,
    province_code  TEXT COLLATE "C" NOT NULL,
    member         TEXT COLLATE "C" NOT NULL,
    at             BIGINT NOT NULL,
    day            BIGINT NOT NULL,
    outcome        TEXT COLLATE "C" NOT NULL CHECK (outcome IN ('registered', 'not_home', 'refused', 'no_smartphone', 'needs_relative')),
    revisit_on     BIGINT,
    note           TEXT
);
CREATE INDEX visits_household ON visits (household_id, at);
CREATE INDEX visits_commune_day ON visits (commune_code, day, member);
CREATE INDEX visits_province_day ON visits (province_code, day);

CREATE TABLE training_sessions (
    id             TEXT COLLATE "C" PRIMARY KEY,
    commune_code   TEXT COLLATE "C" NOT NULL,
    province_code  TEXT COLLATE "C" NOT NULL,
    place          TEXT COLLATE "C" NOT NULL,
    starts_at      BIGINT NOT NULL,
    topic          TEXT COLLATE "C" NOT NULL,
    created_by     TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX training_sessions_commune ON training_sessions (commune_code, starts_at);

CREATE TABLE training_attendees (
    session_id     TEXT COLLATE "C" NOT NULL REFERENCES training_sessions (id),
    cccd           TEXT COLLATE "C" NOT NULL REFERENCES people (cccd),
    added_at       BIGINT NOT NULL,
    PRIMARY KEY (session_id, cccd)
);

-- Team members (community digital teams): scope = their commune.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('commune', 'provider', 'province', 'team'));
