import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../../../electron/core/data-dir';
import { NewerDatabaseError } from '../../../electron/core/db/migrate';
import { explainStartupFailure } from '../../../electron/shell/startup';

/** Every start-up failure is put in words with what to do (issue 19 item 2); main.ts shows it in a dialog. */
const dir = path.resolve('/home/me/.config/Talkbatch');
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('explainStartupFailure', () => {
  it('Electron loading the Node build of better-sqlite3: names the command that fixes it', () => {
    const e = new Error(
      "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 150.",
    );
    const f = explainStartupFailure(e, dir);
    expect(f.title).toBe('Talkbatch cannot start');
    expect(f.message).toContain('npm run native:electron');
    expect(f.message).toContain("Details: The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'");
  });

  it.each([
    ['SQLITE_NOTADB', 'is damaged (SQLITE_NOTADB)'],
    ['SQLITE_CORRUPT', 'is damaged (SQLITE_CORRUPT)'],
    ['EACCES', `cannot write to its data folder ${dir} (EACCES)`],
    ['EROFS', `cannot write to its data folder ${dir} (EROFS)`],
    ['SQLITE_READONLY', `cannot write to its data folder ${dir} (SQLITE_READONLY)`],
    ['ENOSPC', `The disk holding ${dir} is full`],
  ])('%s → %s', (code, want) => {
    expect(explainStartupFailure(withCode('boom', code), dir).message).toContain(want);
  });

  it('a locked keychain, the lock of another Talkbatch, a newer database: said as they are', () => {
    expect(explainStartupFailure(new Error('safeStorage cannot be used: the keyring is locked'), dir).message).toMatch(/^Talkbatch could not reach the system keychain/);
    const locked = new DataDirLockedError(dir, { pid: 42, mode: 'server', startedAt: 0 });
    expect(explainStartupFailure(locked, dir).message).toBe(locked.message);
    const newer = new NewerDatabaseError(9, 2);
    expect(explainStartupFailure(newer, dir).message).toBe(newer.message);
  });

  it('anything else: the first line of the error and where the log is', () => {
    const f = explainStartupFailure(new TypeError('x is not a function\n    at stack frame'), dir);
    expect(f.message).toBe(`x is not a function\n\nStart Talkbatch again; if this happens again, the log ${path.join(dir, 'logs', 'talkbatch.log')} has the details (keys are never written there).`);
    expect(explainStartupFailure('a string was thrown', dir).message).toMatch(/^a string was thrown/);
  });
});
