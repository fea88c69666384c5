-- CRL shards are read in serial order with every column a CRL entry needs: a covering
-- partial index makes that an index-only scan (no table lookups, no sort), so publishing
-- a shard of tens of thousands of entries reads a few contiguous pages.
DROP INDEX certificates_unvalid_by_shard;
CREATE INDEX certificates_unvalid_by_shard
    ON certificates (issuer, crl_shard, serial, status, status_reason, status_changed_at)
    WHERE status <> 'valid';
