import { readFileSync } from 'node:fs';
import { openCore } from '../../electron/core/app-core';
import { openDatabase } from '../../electron/core/db/open';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { parseCsv } from '../../shared/batch-format';
import { formatIssue } from '../../shared/result';
import type { SettingsPatch } from '../../shared/settings';
import { serve } from '../lib/rpc';

/** Enqueue: a CSV read, parsed, checked and stored by the real admission, against raw inserts. */
const api = {
  /** The app's path: read the file, parse it, check every row (files probed), store the batch. Engine not started. */
  async app(p: { dataDir: string; csvFile: string; baseDir: string; settings: SettingsPatch }) {
    const core = openCore({ dataDir: p.dataDir, mode: 'cli', cipher: (paths) => fileKeyCipher(paths.root), env: {}, credentialsFromEnv: false });
    try {
      core.settings.set(p.settings);
      const t0 = performance.now();
      const parsed = parseCsv(readFileSync(p.csvFile, 'utf8'));
      if (parsed.issues.length) throw new Error(`CSV problems: ${parsed.issues.slice(0, 3).map(formatIssue).join('; ')}`);
      const t1 = performance.now();
      const res = await core.admission.admit({ name: 'Enqueue benchmark', rows: parsed.rows, baseDir: p.baseDir, source: 'bench.csv' });
      const t2 = performance.now();
      return { rows: res.jobIds.length, ms: t2 - t0, parseMs: t1 - t0, admitMs: t2 - t1 };
    } finally {
      await core.close();
    }
  },
  /** The floor: the same rows, already parsed, inserted into the same jobs table in one transaction. */
  raw(p: { dbFile: string; csvFile: string }) {
    const rows = parseCsv(readFileSync(p.csvFile, 'utf8')).rows;
    const db = openDatabase(p.dbFile);
    try {
      const now = Date.now();
      const t0 = performance.now();
      const insertJob = db.prepare(
        `INSERT INTO jobs (id, batch_id, row, provider, status, input, priority, attempt, idempotency_key, next_action_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, 1, ?, ?, ?, ?)`,
      );
      db.transaction(() => {
        db.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b', 'raw', ?)").run(now);
        rows.forEach((r, i) => insertJob.run(`j${i}`, 'b', i + 1, r.provider, JSON.stringify(r), i + 1, `k${i}`, now, now, now));
      })();
      return { rows: rows.length, ms: performance.now() - t0 };
    } finally {
      db.close();
    }
  },
};

export type Api = typeof api;
serve(api);
