-- What a relying party signs for: `public-service` (dossiers to the state, free in the
-- citizen's first year) or `other`. Usage is metered per credential and purpose.
ALTER TABLE clients ADD COLUMN purpose TEXT NOT NULL DEFAULT 'other';
