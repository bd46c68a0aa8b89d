import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/app-core';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';

/** The decisions the app offers for a lost answer or a stalled job can be made from the CLI too. */
const ROOT = path.resolve(__dirname, '..', '..');
const cli = (dataDir: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'talkbatch.cjs'), ...args, '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, TALKBATCH_DATA_DIR: '' } });

describe('talkbatch decision commands', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build:node'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  it('mark-failed and send-again act on jobs that need a decision; other jobs are left alone with the reason', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tb-cli-decide-'));
    const core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: false, noLock: true });
    const ids = core.jobs.createBatch({ name: 'decide', source: null, budget: null, estimate: [] }, [1, 2, 3].map((row) => ({ row, provider: 'techforge' as const, input: { title: `t${row}`, params: {} }, costEstimate: null, status: 'queued' as const }))).jobIds;
    for (const id of ids.slice(0, 2)) {
      core.jobs.transition(id, 'submitting', { nextActionAt: null }, { message: 'sending' });
      core.jobs.transition(id, 'submit_unknown', { nextActionAt: null }, { message: 'answer lost', errorCode: 'reconcile_unknown' });
    }
    void core.close();

    const failed = cli(dataDir, 'mark-failed', ids[0]!);
    expect(failed.status).toBe(0);
    expect(failed.stdout).toContain('1 job(s) marked failed.');
    const again = cli(dataDir, 'send-again', ids[1]!, ids[2]!);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('1 job(s) sent again');
    expect(again.stdout).toContain('1 skipped: only jobs that need a decision can be sent again this way');

    const jobs = JSON.parse(cli(dataDir, 'jobs', '--json').stdout) as { id: string; status: string; attempt: number }[];
    const byId = new Map(jobs.map((j) => [j.id, j]));
    expect(byId.get(ids[0]!)!.status).toBe('failed');
    expect(byId.get(ids[1]!)).toMatchObject({ status: 'queued', attempt: 2 });
    expect(byId.get(ids[2]!)!.status).toBe('queued');
  }, 60_000);
});
