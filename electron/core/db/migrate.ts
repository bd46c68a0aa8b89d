import type Database from 'better-sqlite3';

import { MIGRATIONS } from './migrations/index';
import type { Migration } from './migrations/types';

export { MIGRATIONS, type Migration };

/**
 * Numbered migrations, tracked by PRAGMA user_version (model: Signal Desktop ts/sql/migrations).
 * Each runs in one transaction with the user_version bump, so a crash mid-migration leaves the
 * previous version intact. The migrations themselves live one per file in ./migrations/.
 */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class NewerDatabaseError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `This data folder was written by a newer Talkbatch (database version ${found}; this version understands up to ${supported}). ` +
        'Update Talkbatch, or start it with another data folder (--data-dir). Nothing was changed.',
    );
    this.name = 'NewerDatabaseError';
  }
}

export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  if (from > latest) throw new NewerDatabaseError(from, latest);
  for (const m of migrations) {
    if (m.version <= from) continue;
    // IMMEDIATE takes the write lock first, and the version is read again under it: two processes
    // opening a fresh data folder at once (two CLI commands) must not both run a migration.
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, latest) };
}
