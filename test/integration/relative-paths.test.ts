import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRow } from '../../shared/model';
import { openCore, type Core } from '../../electron/core/app-core';
import { createHandlers } from '../../electron/core/handlers';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';

/**
 * Issue 19 item 11: relative paths in a batch are relative to the batch file's folder. When that folder
 * is unknown (the desktop app started from Finder has "/" as its working folder), they are not resolved
 * against the process's working folder: the row asks for an absolute path or the file from disk.
 */

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
let root: string;
let batchDir: string;
let core: Core;
let handlers: ReturnType<typeof createHandlers>;
const cwd = process.cwd();

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'tb-relative-'));
  batchDir = path.join(root, 'my batch');
  mkdirSync(batchDir, { recursive: true });
  copyFileSync(path.join(FIXTURES, 'avatar.png'), path.join(batchDir, 'avatar.png'));
  copyFileSync(path.join(FIXTURES, 'voice.wav'), path.join(batchDir, 'voice.wav'));
  core = openCore({ dataDir: path.join(root, 'data'), mode: 'electron', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: false });
  handlers = createHandlers(core, { version: 't', mode: 'electron' });
  // The working folder holds files of the same names: a resolver that used it would find them.
  process.chdir(batchDir);
});

afterAll(async () => {
  process.chdir(cwd);
  await core.close();
  rmSync(root, { recursive: true, force: true });
});

const row: BatchRow = { title: 'Hello', provider: 'local', avatar: 'avatar.png', audio: 'voice.wav', script: 'Hello there.' };

describe('relative paths in a batch', () => {
  it('resolve against the batch file folder when it is known', async () => {
    const report = await handlers['batches:preflight']({ rows: [row], baseDir: batchDir });
    expect(report.ok).toBe(true);
  });

  it('are not resolved against the working folder when the batch file folder is unknown: the row asks', async () => {
    for (const baseDir of [undefined, '', 'relative/folder']) {
      const report = await handlers['batches:preflight']({ rows: [row], ...(baseDir !== undefined ? { baseDir } : {}) });
      expect(report.ok, String(baseDir)).toBe(false);
      expect(report.rows[0]!.issues).toEqual([
        {
          row: 1,
          field: 'avatar',
          message: '"avatar.png" is a relative path, and the folder of the batch file is not known',
          accepted: 'an absolute path, or open the batch file from your disk (drop it or choose it in the desktop app) so paths are taken relative to its folder',
        },
        expect.objectContaining({ row: 1, field: 'audio', message: '"voice.wav" is a relative path, and the folder of the batch file is not known' }),
      ]);
    }
  });

  it('absolute paths work without a batch folder', async () => {
    const report = await handlers['batches:preflight']({ rows: [{ ...row, avatar: path.join(batchDir, 'avatar.png'), audio: path.join(batchDir, 'voice.wav') }] });
    expect(report.ok).toBe(true);
  });
});
