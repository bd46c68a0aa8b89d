import path from 'node:path';
import { DataDirLockedError } from '../core/data-dir';
import { NewerDatabaseError } from '../core/db/migrate';

/**
 * What the desktop app tells the user when it cannot start: the cause in words, then what to do.
 * Every start-up failure goes through here into a dialog (main.ts), never into an unhandled
 * rejection that leaves a windowless process holding the single-instance lock.
 */
export type StartupFailure = Readonly<{ title: string; message: string }>;

export function explainStartupFailure(e: unknown, dataDir: string): StartupFailure {
  const err = e as (Error & { code?: string }) | undefined;
  const raw = String(err?.message ?? e);
  const title = 'Talkbatch cannot start';
  if (e instanceof DataDirLockedError || e instanceof NewerDatabaseError) return { title, message: raw };
  const log = path.join(dataDir, 'logs', 'talkbatch.log');
  if (/NODE_MODULE_VERSION|compiled against a different Node\.js version|better_sqlite3\.node|Could not locate the bindings file/i.test(raw)) {
    return {
      title,
      message:
        'The database module (better-sqlite3) is not built for this version of Electron.\n\n' +
        'In the Talkbatch folder run:  npm run native:electron\n' +
        '(`npm start` does this by itself; it needs internet access once), then start Talkbatch again.\n\n' +
        `Details: ${firstLine(raw)}`,
    };
  }
  if (err?.code === 'SQLITE_CORRUPT' || err?.code === 'SQLITE_NOTADB') {
    return {
      title,
      message:
        `The database ${path.join(dataDir, 'talkbatch.db')} is damaged (${err.code}).\n\n` +
        'Quit, move talkbatch.db (and talkbatch.db-wal, talkbatch.db-shm) out of the data folder — keep them, they can often be repaired with the sqlite3 tool — ' +
        'and start again: Talkbatch creates a new, empty database. Your finished videos in the library are not affected.',
    };
  }
  if (err?.code === 'EACCES' || err?.code === 'EPERM' || err?.code === 'EROFS' || err?.code === 'SQLITE_READONLY' || err?.code === 'SQLITE_CANTOPEN') {
    return {
      title,
      message: `Talkbatch cannot write to its data folder ${dataDir} (${err.code}).\n\nMake the folder writable by your user (or start Talkbatch with --data-dir=<another folder>), then start again.\n\nDetails: ${firstLine(raw)}`,
    };
  }
  if (err?.code === 'ENOSPC' || err?.code === 'SQLITE_FULL') {
    return { title, message: `The disk holding ${dataDir} is full. Free some space, then start Talkbatch again.` };
  }
  if (/safeStorage|keychain|keyring|secret service|libsecret|kwallet/i.test(raw)) {
    return {
      title,
      message: `Talkbatch could not reach the system keychain, which protects your API keys.\n\nUnlock your keychain (GNOME Keyring or KWallet on Linux), then start again.\n\nDetails: ${firstLine(raw)}`,
    };
  }
  return {
    title,
    message: `${firstLine(raw)}\n\nStart Talkbatch again; if this happens again, the log ${log} has the details (keys are never written there).`,
  };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 500);
}
