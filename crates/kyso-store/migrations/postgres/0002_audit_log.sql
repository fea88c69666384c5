-- Tamper-evident audit log: every state change, hash-chained. Each entry's hash covers the
-- previous entry's hash, so altering, removing or reordering any entry breaks the chain
-- from that point on; audit_head holds the latest (seq, hash) and serialises appenders
-- (SELECT … FOR UPDATE on its single row).
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BYTEA NOT NULL,
    hash       BYTEA NOT NULL
);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
