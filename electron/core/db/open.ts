import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate } from './migrations';

export type Db = Database.Database;

/**
 * Opens talkbatch.db with the pragmas every connection needs: WAL (readers never block the
 * scheduler), foreign keys, synchronous=FULL (a status change that records a provider id is on
 * disk before we act on it: the job that was paid for is never forgotten).
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
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
