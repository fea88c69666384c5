-- The population registry a campaign works from: households and the adults in them,
-- loaded by `kyso population import` (all or nothing per file). Codes are the 2025
-- administrative units (2-digit province, 5-digit commune). An adult's commune is its
-- household's, by a composite foreign key: concurrent imports that disagree about a
-- household's commune cannot both commit.
CREATE TABLE households (
    id             TEXT PRIMARY KEY,
    commune_code   TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    UNIQUE (id, commune_code)
);
CREATE INDEX households_commune ON households (commune_code);

CREATE TABLE people (
    cccd           TEXT PRIMARY KEY,
    full_name      TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('Nam', 'Nữ')),
    phone          TEXT,
    household_id   TEXT NOT NULL,
    commune_code   TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    imported_at    BIGINT NOT NULL,
    FOREIGN KEY (household_id, commune_code) REFERENCES households (id, commune_code)
);
CREATE INDEX people_commune ON people (commune_code);
CREATE INDEX people_household ON people (household_id);
