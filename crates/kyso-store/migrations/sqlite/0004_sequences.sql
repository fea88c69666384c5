-- Named sequences reserved in blocks (the TSA's serial numbers): `value` is the last value
-- handed out, so the next reservation starts after it, whatever happened in between.
CREATE TABLE sequences (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
