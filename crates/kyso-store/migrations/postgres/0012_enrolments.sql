-- Trust-service providers taking part in a campaign (each issues from its own CA), and
-- enrolments: a citizen's campaign certificate, by channel and provider. The partial
-- unique index is the rule "one campaign certificate per citizen", enforced by the
-- database itself: concurrent enrolments through any channels and providers cannot both
-- commit, and the loser's certificate is rolled back with it.
CREATE TABLE providers (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE enrolments (
    id          TEXT COLLATE "C" PRIMARY KEY,
    cccd        TEXT COLLATE "C" NOT NULL REFERENCES people (cccd),
    provider    TEXT COLLATE "C" NOT NULL REFERENCES providers (id),
    channel     TEXT NOT NULL CHECK (channel IN ('door_to_door', 'online', 'provincial_app', 'vneid')),
    serial      TEXT NOT NULL REFERENCES certificates (serial),
    status      TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    created_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    end_reason  TEXT
);
CREATE UNIQUE INDEX enrolments_one_active_per_citizen ON enrolments (cccd) WHERE status = 'active';
CREATE INDEX enrolments_provider ON enrolments (provider, status);
