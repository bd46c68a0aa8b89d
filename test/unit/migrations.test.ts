import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { raceInProcesses } from '../helpers/race';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, NewerDatabaseError, SCHEMA_VERSION, type Migration } from '../../electron/core/db/migrate';
import { openDatabase } from '../../electron/core/db/open';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tb-migr-'));
  dirs.push(dir);
  return path.join(dir, 'talkbatch.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Starts `n` processes (tsx) that run `imports` and wait; then releases them all at once, so they
 * race for real. Each prints one line of JSON: what `body` returned, or its error.
 */

const TABLES = ['assets', 'asset_uploads', 'batches', 'credentials', 'job_events', 'jobs', 'outputs', 'provider_state', 'settings'];

describe('openDatabase on a fresh file', () => {
  it('migrates to SCHEMA_VERSION with WAL, foreign keys and FULL sync', () => {
    const db = openDatabase(tempDb());
    try {
      expect(SCHEMA_VERSION).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      // 2 = FULL
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      db.close();
    }
  });

  it('creates every table STRICT', () => {
    const db = openDatabase(tempDb());
    try {
      const list = db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
        name: string;
        strict: number;
      }[];
      expect(list.map((t) => t.name).sort()).toEqual([...TABLES].sort());
      for (const t of list) expect({ table: t.name, strict: t.strict }).toEqual({ table: t.name, strict: 1 });
      // STRICT really rejects a wrongly typed value.
      expect(() => db.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b', 'B', 'yesterday')").run()).toThrow(/cannot store TEXT value in INTEGER column/i);
    } finally {
      db.close();
    }
  });

  it('enforces foreign keys (a job needs its batch; deleting a batch removes its jobs and events)', () => {
    const db = openDatabase(tempDb());
    try {
      const insertJob = db.prepare(
        "INSERT INTO jobs (id, batch_id, row, provider, status, input, idempotency_key, created_at, updated_at) VALUES (?, ?, 1, 'local', 'queued', '{}', 'k', 0, 0)",
      );
      expect(() => insertJob.run('j1', 'no-such-batch')).toThrow(/FOREIGN KEY/);
      db.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b1', 'B', 0)").run();
      insertJob.run('j1', 'b1');
      db.prepare("INSERT INTO job_events (job_id, at, kind, message) VALUES ('j1', 0, 'note', 'x')").run();
      db.prepare("DELETE FROM batches WHERE id = 'b1'").run();
      expect(db.prepare('SELECT count(*) AS n FROM jobs').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM job_events').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('several processes opening the same fresh database at once all succeed, and it is migrated once', async () => {
    const file = tempDb();
    const openModule = path.resolve(__dirname, '../../electron/core/db/open.ts');
    const results = await raceInProcesses(
      4,
      path.dirname(file),
      `import { openDatabase } from ${JSON.stringify(openModule)};`,
      `const db = openDatabase(${JSON.stringify(file)}); const v = db.pragma('user_version', { simple: true }); db.close(); return v;`,
    );
    for (const r of results) {
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expect(JSON.parse(r.out)).toEqual({ ok: true, result: SCHEMA_VERSION });
    }
    const db = openDatabase(file);
    try {
      expect((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  });

  it('is idempotent: opening again changes nothing', () => {
    const file = tempDb();
    openDatabase(file).close();
    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    } finally {
      db.close();
    }
  });
});

describe('migration 1 indexes', () => {
  const EXPECTED: Record<string, string> = {
    jobs_next_action: 'jobs',
    jobs_status_due: 'jobs',
    jobs_batch_row: 'jobs',
    jobs_status: 'jobs',
    job_events_job: 'job_events',
    outputs_job: 'outputs',
    credentials_provider: 'credentials',
  };

  it('creates the indexes the scheduler and the timeline rely on', () => {
    const db = openDatabase(tempDb());
    try {
      const rows = db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string; tbl_name: string }[];
      const found = Object.fromEntries(rows.map((r) => [r.name, r.tbl_name]));
      expect(found).toEqual(EXPECTED);
      const partial = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'jobs_next_action'").get() as { sql: string };
      expect(partial.sql).toMatch(/WHERE next_action_at IS NOT NULL/i);
    } finally {
      db.close();
    }
  });

  it('answers the scheduler query (what is due next) from an index, not a table scan', () => {
    const db = openDatabase(tempDb());
    try {
      const plan = db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE status = 'queued' AND provider = 'local' AND next_action_at IS NOT NULL AND next_action_at <= 5 ORDER BY priority, next_action_at, row LIMIT 10",
        )
        .all() as { detail: string }[];
      const text = plan.map((p) => p.detail).join('\n');
      expect(text).toMatch(/USING INDEX (jobs_status_due|jobs_next_action|jobs_status)/);
      const events = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM job_events WHERE job_id = 'x' ORDER BY id").all() as { detail: string }[];
      expect(events.map((p) => p.detail).join('\n')).toMatch(/USING (COVERING )?INDEX job_events_job/);
    } finally {
      db.close();
    }
  });
});

describe('a database written by a newer Talkbatch', () => {
  it('is refused with NewerDatabaseError and left byte-for-byte unchanged', () => {
    const file = tempDb();
    const newer = new Database(file);
    newer.exec('CREATE TABLE from_the_future (x TEXT) STRICT');
    newer.prepare("INSERT INTO from_the_future VALUES ('keep me')").run();
    newer.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    newer.close();
    const before = readFileSync(file);

    let thrown: unknown;
    try {
      openDatabase(file).close();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(NewerDatabaseError);
    const err = thrown as NewerDatabaseError;
    expect(err.found).toBe(SCHEMA_VERSION + 5);
    expect(err.supported).toBe(SCHEMA_VERSION);
    expect(err.message).toMatch(/newer Talkbatch/);
    expect(err.message).toMatch(/--data-dir/);
    expect(err.message).toMatch(/Nothing was changed/);

    // Nothing was changed: same bytes, no WAL files, no tables of ours added.
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 5);
      expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
      const names = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(['from_the_future']);
    } finally {
      check.close();
    }
  });

  it('migrate() itself refuses and runs no migration', () => {
    const db = new Database(':memory:');
    try {
      db.pragma('user_version = 99');
      expect(() => migrate(db)).toThrow(NewerDatabaseError);
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe('migrate', () => {
  it('runs each migration in one transaction with its version bump: a failing one leaves the previous version intact', () => {
    const db = new Database(':memory:');
    const steps: Migration[] = [
      { version: 1, name: 'one', up: (d) => d.exec('CREATE TABLE one (x TEXT) STRICT') },
      {
        version: 2,
        name: 'two fails half-way',
        up: (d) => {
          d.exec('CREATE TABLE two (x TEXT) STRICT');
          throw new Error('disk on fire');
        },
      },
    ];
    try {
      expect(() => migrate(db, steps)).toThrow(/disk on fire/);
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(['one']);
    } finally {
      db.close();
    }
  });

  it('skips migrations already applied and reports from/to', () => {
    const db = new Database(':memory:');
    const ran: number[] = [];
    const steps: Migration[] = [1, 2, 3].map((v) => ({ version: v, name: `m${v}`, up: () => void ran.push(v) }));
    try {
      db.pragma('user_version = 1');
      expect(migrate(db, steps)).toEqual({ from: 1, to: 3 });
      expect(ran).toEqual([2, 3]);
      expect(db.pragma('user_version', { simple: true })).toBe(3);
    } finally {
      db.close();
    }
  });
});
