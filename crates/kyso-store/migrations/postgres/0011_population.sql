-- The population registry a campaign works from: households and the adults in them,
-- loaded by `kyso population import` (all or nothing per file). Codes are the 2025
-- administrative units (2-digit province, 5-digit commune).
CREATE TABLE households (
    id             TEXT PRIMARY KEY,
    commune_code   TEXT NOT NULL,
    province_code  TEXT NOT NULL
);
CREATE INDEX households_commune ON households (commune_code);

CREATE TABLE people (
    cccd           TEXT PRIMARY KEY,
    full_name      TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('Nam', 'Nữ')),
    phone          TEXT,
    household_id   TEXT NOT NULL REFERENCES households (id),
    commune_code   TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    imported_at    BIGINT NOT NULL
);
CREATE INDEX people_commune ON people (commune_code);
CREATE INDEX people_household ON people (household_id);
