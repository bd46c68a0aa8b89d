import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate, NewerDatabaseError, SCHEMA_VERSION } from './migrate';

export type Db = Database.Database;

/**
 * Opens talkbatch.db with the pragmas every connection needs: WAL (readers never block the
 * scheduler), foreign keys, synchronous=FULL (a status change that records a provider id is on
 * disk before we act on it: the job that was paid for is never forgotten).
 */
export function openDatabase(file: string, nativeBinding?: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  // Electron passes the binding built for its own Node ABI (./native-binding.ts); Node uses node_modules'.
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  try {
    // Refuse a newer database before any pragma writes to it (journal_mode = WAL is stored in the
    // file): NewerDatabaseError promises that nothing was changed.
    const found = db.pragma('user_version', { simple: true }) as number;
    if (found > SCHEMA_VERSION) throw new NewerDatabaseError(found, SCHEMA_VERSION);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
