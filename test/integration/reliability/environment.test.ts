import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_IDS, type ProviderId } from '../../../shared/providers';
import { openCore } from '../../../electron/core/app-core';
import { fileKeyCipher } from '../../../electron/core/secrets/cipher';
import { FIXTURES, type RequestLogEntry } from '../../fakes/base';
import { startAllFakes, type AllFakes } from '../../fakes/index';
import { CLOUD_PROVIDERS, CREATE_ROUTES } from '../../helpers/engine-harness';
import { integrity, ledgerProblems, libraryProblems, tempFiles } from '../../reliability/lib/checks';
import { cleanEnv, ensureCliBuilt, exitOf, killAll, talkbatch, until } from '../../reliability/lib/cli';
import { smallDisk, type SmallDisk } from '../../reliability/lib/disk';
import { openRig, type Rig } from '../../reliability/lib/rig';

/**
 * The environment failures: the database's disk full, the library folder removed or
 * unwritable, a second instance on the same data folder. In each: a clear message naming the folder,
 * no job lost or sent twice, `PRAGMA integrity_check` = ok, and the queue goes on by itself once the
 * condition is fixed (no restart, no retry by hand).
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(killAll);

const tmp = (prefix: string) => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

async function rigAt(dataDir: string): Promise<Rig> {
  const rig = await openRig(dataDir);
  cleanups.push(() => rig.close());
  return rig;
}

const ONE_EACH: readonly ProviderId[] = [...CLOUD_PROVIDERS, 'local'];

/** The end state every case must reach: all completed, one render each, the providers' bytes, nothing half-written, an intact database. */
function expectWhole(rig: Rig, o: Readonly<{ removedFiles?: boolean }> = {}): void {
  const jobs = rig.core.jobs.list();
  expect(jobs.filter((j) => j.status !== 'completed').map((j) => `row ${j.row} ${j.provider} ${j.status}: ${j.error?.message ?? ''}`)).toEqual([]);
  expect(ledgerProblems(rig.core, rig.fakes)).toEqual([]);
  const lib = libraryProblems(rig.core);
  expect(o.removedFiles ? lib.filter((p) => !/ is missing$/.test(p)) : lib).toEqual([]);
  expect(tempFiles(rig.dataDir)).toEqual([]);
  expect(integrity(rig.core.paths.db)).toBe('ok');
}

describe('the library folder', () => {
  it('cannot be written (a file where the folder should be, or no permission): a clear notice naming it, jobs wait without using up their tries, and finish once it is fixed', async () => {
    const rig = await rigAt(path.join(tmp('tb-env-lib-'), 'data'));
    const lib = rig.core.library.dir;
    // Root ignores file permissions: a file in the folder's place is what every user can hit (a sync
    // tool, a failed move) and what root cannot write through.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) writeFileSync(lib, 'not a folder');
    else {
      mkdirSync(lib, { recursive: true });
      chmodSync(lib, 0o555);
    }
    const ids = await rig.admit(ONE_EACH.map((p, i) => rig.row(p, `Unwritable ${i + 1} ${p}`)));

    const waiting = await rig.waitFor(
      () => {
        const jobs = ids.map((id) => rig.core.jobs.mustGet(id));
        return jobs.every((j) => j.status === 'downloading' && rig.core.jobs.events(j.id).some((e) => e.errorCode === 'library_unwritable')) ? jobs : undefined;
      },
      'every job to wait for the library folder',
    );
    const reason = asRoot ? 'is not a folder \\(a file is in its place\\)' : 'Talkbatch is not allowed to write to';
    const notice = rig.notices().find((n) => new RegExp(reason).test(n));
    expect(notice, rig.notices().join('\n')).toMatch(new RegExp(`^The library folder ${lib.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*: finished videos wait until it is fixed \\(nothing is rendered again\\)\\.$`));
    // Told once, not once per job.
    expect(rig.notices().filter((n) => n === notice)).toHaveLength(1);
    for (const j of waiting) {
      expect(j.downloadAttempts, `row ${j.row}`).toBe(0);
      const last = rig.core.jobs.events(j.id).filter((e) => e.errorCode === 'library_unwritable');
      // One line in the job's timeline however often it is tried, naming the folder, not blaming the provider.
      expect(last, `row ${j.row}`).toHaveLength(1);
      expect(last[0]!.message).toContain(lib);
      expect(last[0]!.message).not.toMatch(/talking to/);
    }
    // Tried again meanwhile, never rendered again.
    const triesBefore = CLOUD_PROVIDERS.reduce((n, p) => n + rig.fakes[p].server.requests('GET', /./).length, 0);
    await rig.waitFor(() => CLOUD_PROVIDERS.reduce((n, p) => n + rig.fakes[p].server.requests('GET', /./).length, 0) > triesBefore, 'another try');

    // Fixed by the user: the queue goes on by itself.
    if (asRoot) rmSync(lib);
    else chmodSync(lib, 0o755);
    await rig.settled(ids);
    expectWhole(rig);
  });

  it('removed mid-batch (with a download half done): made again, every remaining job lands in it, nothing is rendered twice', async () => {
    const rig = await rigAt(path.join(tmp('tb-env-gone-'), 'data'));
    rig.fakes.sync.server.cutDownload({ key: /\.mp4$/, fraction: 0.5, stallMs: 400 });
    const ids = await rig.admit([...ONE_EACH, 'sync', 'aisa'].map((p, i) => rig.row(p as ProviderId, `Removed ${i + 1} ${p}`)));
    await rig.waitFor(() => rig.fakes.sync.server.requests('GET', /^\/_files\//).some((e) => e.cutAtBytes), 'a Sync download to be cut half-way');
    const before = new Set(rig.core.jobs.list({ statuses: ['completed'] }).map((j) => j.id));
    rmSync(rig.core.library.dir, { recursive: true, force: true });
    await rig.settled(ids);
    expect(existsSync(rig.core.library.dir)).toBe(true);
    // The videos finished before the removal went with the folder (the user removed them); every later one is there.
    expectWhole(rig, { removedFiles: true });
    const missing = libraryProblems(rig.core).filter((p) => / is missing$/.test(p));
    expect(missing.length).toBeLessThanOrEqual(before.size);
    expect(rig.core.jobs.list().filter((j) => !before.has(j.id)).length).toBeGreaterThan(0);
  });
});

describe('the disk holding the data folder fills up', () => {
  let disk: SmallDisk | undefined;
  afterEach(() => disk?.dispose());

  it('mid-batch, with creates answered while it is full: a clear notice, nothing lost or sent twice, and the queue goes on once there is room', async () => {
    disk = smallDisk(tmp('tb-env-full-'));
    console.log(`disk full simulated with: ${disk.kind}`);
    const rig = await rigAt(path.join(disk.root, 'data'));
    // Creates are held at the providers for a moment, so their answers arrive while the disk is full.
    for (const p of CLOUD_PROVIDERS) rig.fakes[p].server.inject({ kind: 'slow', method: 'POST', path: CREATE_ROUTES[p], delayMs: 600 });
    const ids = await rig.admit([...CLOUD_PROVIDERS, ...CLOUD_PROVIDERS, 'local'].map((p, i) => rig.row(p as ProviderId, `Full ${i + 1} ${p}`)));
    const held = () => CLOUD_PROVIDERS.flatMap((p) => rig.fakes[p].server.log.filter((e) => e.method === 'POST' && CREATE_ROUTES[p].test(e.path) && e.fault === 'slow').map((e) => [p, e] as const));
    await rig.waitFor(() => held().length >= 3, 'creates to be held at the providers');
    const caught: (readonly [string, RequestLogEntry])[] = held();

    disk.fill(rig.core.db);
    // The providers answer; Talkbatch cannot write those answers down yet.
    await rig.waitFor(() => caught.every(([, e]) => e.status !== undefined), 'the held creates to be answered');
    if (disk.kind === 'tmpfs') {
      const notice = await rig.waitFor(() => rig.notices().find((n) => /^The disk holding the data folder .* is full \([A-Z_]+\)/.test(n)), 'a disk-full notice');
      expect(notice).toContain(rig.dataDir);
      expect(notice).toMatch(/Every job is kept as it is and the queue goes on by itself once Talkbatch can write again; nothing is sent twice\.$/);
    }
    // Nothing gave up meanwhile.
    expect(rig.core.jobs.list().filter((j) => j.status === 'failed')).toEqual([]);

    disk.free(rig.core.db);
    await rig.settled(ids, 30_000);
    expectWhole(rig);
    if (disk.kind === 'tmpfs') {
      expect(rig.notices()).toContain('Talkbatch can write to its data folder again; the queue goes on.');
      // The answers that arrived while the disk was full were written down afterwards: found, not looked up again.
      const accepted = caught.filter(([p]) => rig.core.jobs.list().some((j) => j.provider === p && rig.core.jobs.events(j.id).some((e) => /^Accepted by /.test(e.message))));
      expect(accepted.length).toBe(caught.length);
    }
    expect(integrity(rig.core.paths.db)).toBe('ok');
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)('through the CLI: `run` on a full disk says so in one line and queues nothing; `run --wait` warns while it is full and finishes once there is room', async () => {
    disk = smallDisk(tmp('tb-env-cli-full-'));
    if (disk.kind !== 'tmpfs') return; // no file system of its own for a child process to fill
    ensureCliBuilt();
    const fakes: AllFakes = await startAllFakes({ timeScale: 0.01 });
    cleanups.push(() => fakes.close());
    const dataDir = path.join(disk.root, 'data');
    const env = cleanEnv({ ...fakes.env, TALKBATCH_ENGINE_TIMESCALE: '0.01' });
    const core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env, credentialsFromEnv: true, noLock: true });
    core.settings.set({ aisaEnabled: true, rateLimits: Object.fromEntries(PROVIDER_IDS.map((p) => [p, 6000])) });
    await core.close();
    const work = tmp('tb-env-cli-');
    const csv = path.join(work, 'batch.csv');
    writeFileSync(
      csv,
      ['title,provider,video,audio,prompt,param.seconds', ...[1, 2, 3].map((i) => `Full ${i},sync,${path.join(FIXTURES, 'sample.mp4')},${path.join(FIXTURES, 'voice.wav')},,`), 'Full 4,aisa,,,A presenter waves,4'].join('\n'),
    );
    const cli = (args: string[]) => talkbatch([...args, '--data-dir', dataDir], { cwd: work, env });

    disk.fill();
    const refused = cli(['run', csv]);
    const exit = await exitOf(refused, 20_000, 'run on a full disk');
    expect(exit.code).toBe(70);
    expect(refused.stderr().trim()).toMatch(new RegExp(`^The disk holding the data folder ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is full \\([A-Z_]+\\)\\. Free some space \\(or fix the folder\\) and run the command again; what was already queued is kept\\.$`));
    expect(refused.stderr()).not.toMatch(/\n\s+at /);
    disk.free();
    const none = cli(['jobs', '--json']);
    await exitOf(none, 20_000, 'jobs');
    expect(JSON.parse(none.stdout())).toEqual([]);

    // Mid-run: the answer to a held create arrives while the disk is full.
    fakes.sync.server.inject({ kind: 'slow', method: 'POST', path: CREATE_ROUTES.sync, delayMs: 800 });
    const run = cli(['run', csv, '--wait']);
    await until(() => fakes.sync.server.log.some((e) => e.fault === 'slow'), 'a create to be held', 20_000, run);
    disk.fill();
    await until(() => /Warning: The disk holding the data folder .* is full/.test(run.stderr()), 'the disk-full warning', 20_000, run);
    disk.free();
    const done = await exitOf(run, 30_000, 'run --wait after the disk was freed');
    expect(done.code, run.output()).toBe(0);
    const after = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env, credentialsFromEnv: true, noLock: true });
    try {
      expect(after.jobs.list().map((j) => j.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
      expect(ledgerProblems(after, fakes, { providers: ['sync', 'aisa'] })).toEqual([]);
      expect(libraryProblems(after)).toEqual([]);
      expect(tempFiles(dataDir)).toEqual([]);
      expect(integrity(after.paths.db)).toBe('ok');
    } finally {
      await after.close();
    }
  }, 60_000);
});

describe('a second instance on the same data folder', () => {
  it('`work`, `run --wait` and `serve` are refused with exit 3 and a message naming the running one; it finishes undisturbed', async () => {
    ensureCliBuilt();
    const fakes = await startAllFakes({ timeScale: 0.01 });
    cleanups.push(() => fakes.close());
    const work = tmp('tb-env-two-');
    const dataDir = path.join(work, 'data');
    const env = cleanEnv({ ...fakes.env, TALKBATCH_ENGINE_TIMESCALE: '0.01' });
    const core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env, credentialsFromEnv: true, noLock: true });
    core.settings.set({ aisaEnabled: true, rateLimits: Object.fromEntries(PROVIDER_IDS.map((p) => [p, 6000])) });
    await core.close();
    const csv = path.join(work, 'batch.csv');
    writeFileSync(csv, ['title,provider,video,audio,prompt,param.seconds', `Two 1,sync,${path.join(FIXTURES, 'sample.mp4')},${path.join(FIXTURES, 'voice.wav')},,`, 'Two 2,aisa,,,A presenter waves,4'].join('\n'));
    const cli = (args: string[]) => talkbatch([...args, '--data-dir', dataDir], { cwd: work, env });

    // The first instance is busy with a create the provider holds for a moment.
    fakes.sync.server.inject({ kind: 'slow', method: 'POST', path: CREATE_ROUTES.sync, delayMs: 2_500 });
    const first = cli(['run', csv, '--wait']);
    await until(() => fakes.sync.server.log.some((e) => e.fault === 'slow'), 'the first instance to be sending', 20_000, first);

    const others = [cli(['work']), cli(['run', csv, '--wait']), cli(['serve', '--port', '0'])];
    for (const o of others) {
      const exit = await exitOf(o, 20_000, 'the second instance');
      expect(exit.code, o.output()).toBe(3);
      expect(o.stderr().trim()).toMatch(
        new RegExp(`^Talkbatch is already running for ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(cli, process ${first.child.pid}, started .*\\)\\. Only one Talkbatch can own a queue at a time: use that one, stop it first, or choose another --data-dir\\.$`),
      );
    }
    expect((await exitOf(first, 30_000, 'the first instance')).code, first.output()).toBe(0);
    const after = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env, credentialsFromEnv: true, noLock: true });
    try {
      // Only the first batch exists: the refused `run --wait` queued nothing.
      expect(after.batches.summaries().map((b) => [b.total, b.completed])).toEqual([[2, 2]]);
      expect(ledgerProblems(after, fakes, { providers: ['sync', 'aisa'] })).toEqual([]);
      expect(integrity(after.paths.db)).toBe('ok');
    } finally {
      await after.close();
    }
  }, 60_000);
});
