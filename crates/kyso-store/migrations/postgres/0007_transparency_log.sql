-- The signature transparency log: every authorisation and every signature, as leaves of an
-- append-only Merkle tree (RFC 9162). log_state holds the tree's size and right-edge
-- frontier, updated in the transaction that appends; log_heads holds signed tree heads.
CREATE TABLE log_entries (
    idx            BIGINT PRIMARY KEY,
    credential_id  TEXT NOT NULL,
    kind           TEXT NOT NULL,
    at             BIGINT NOT NULL,
    leaf           BYTEA NOT NULL
);
CREATE INDEX log_entries_credential ON log_entries (credential_id, idx);

CREATE TABLE log_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    size      BIGINT NOT NULL,
    frontier  BYTEA NOT NULL
);
INSERT INTO log_state (id, size, frontier) VALUES (1, 0, '\x'::bytea);

CREATE TABLE log_heads (
    size       BIGINT PRIMARY KEY,
    root       BYTEA NOT NULL,
    at         BIGINT NOT NULL,
    signature  BYTEA NOT NULL
);
