import type { Migration } from './types';

/** The schema of the first release. */
export const m0001InitialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  up: (db) => {
    db.exec(`
      CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        source TEXT,
        created_at INTEGER NOT NULL,
        budget_amount REAL,
        budget_unit TEXT,
        estimate TEXT NOT NULL DEFAULT '[]'
      ) STRICT;

      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        row INTEGER NOT NULL,
        provider TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        attempt INTEGER NOT NULL DEFAULT 1,
        idempotency_key TEXT NOT NULL,
        provider_job_id TEXT,
        provider_status TEXT,
        provider_state TEXT NOT NULL DEFAULT '{}',
        progress REAL,
        eta_sec REAL,
        cost_unit TEXT,
        cost_estimate REAL,
        cost_used REAL,
        error_code TEXT,
        error_message TEXT,
        output_id TEXT,
        next_action_at INTEGER,
        poll_count INTEGER NOT NULL DEFAULT 0,
        last_progress_at INTEGER,
        download_attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        submitted_at INTEGER,
        finished_at INTEGER
      ) STRICT;
      -- The scheduler's only index: what is due next. No timer per job.
      CREATE INDEX jobs_next_action ON jobs(next_action_at) WHERE next_action_at IS NOT NULL;
      CREATE INDEX jobs_status_due ON jobs(status, provider, next_action_at);
      CREATE INDEX jobs_batch_row ON jobs(batch_id, row);
      CREATE INDEX jobs_status ON jobs(status);

      CREATE TABLE job_events (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        message TEXT NOT NULL,
        provider_job_id TEXT,
        request_id TEXT,
        error_code TEXT
      ) STRICT;
      CREATE INDEX job_events_job ON job_events(job_id, id);

      CREATE TABLE assets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        mime TEXT NOT NULL,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        width INTEGER,
        height INTEGER,
        duration_sec REAL,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- One upload per asset and target (provider or asset host): reused across rows.
      CREATE TABLE asset_uploads (
        asset_id TEXT NOT NULL,
        target TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (asset_id, target)
      ) STRICT;

      CREATE TABLE outputs (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        file TEXT NOT NULL,
        thumbnail TEXT,
        sidecar TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        duration_sec REAL,
        created_at INTEGER NOT NULL,
        review TEXT,
        tags TEXT NOT NULL DEFAULT '[]'
      ) STRICT;
      CREATE INDEX outputs_job ON outputs(job_id);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      -- Encrypted blobs only (the vault encrypts before anything reaches SQLite).
      CREATE TABLE credentials (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        label TEXT NOT NULL,
        blob BLOB NOT NULL,
        scheme TEXT NOT NULL,
        hints TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX credentials_provider ON credentials(provider);

      -- Adapter session state (e.g. Oshara access/refresh tokens): secrets too, so encrypted.
      CREATE TABLE provider_state (
        provider TEXT NOT NULL,
        key TEXT NOT NULL,
        blob BLOB NOT NULL,
        PRIMARY KEY (provider, key)
      ) STRICT;
    `);
  },
};
