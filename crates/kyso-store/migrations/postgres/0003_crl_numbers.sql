-- CRL numbers: one monotonically increasing counter per CRL scope (an issuer's shard, or
-- an issuer's full CRL), incremented in the database so that every process agrees.
CREATE TABLE crl_numbers (
    scope   TEXT PRIMARY KEY,
    number  BIGINT NOT NULL
);
