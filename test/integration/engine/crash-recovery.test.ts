import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore } from '../../../electron/core/app-core';
import { fileKeyCipher } from '../../../electron/core/secrets/cipher';
import { FIXTURES, sampleMp4, type FakeServer, type RequestLogEntry } from '../../fakes/base';
import { startAllFakes, type AllFakes } from '../../fakes/index';
import { CREATE_ROUTES, describeJobs, listFiles, rendersAt } from '../../helpers/engine-harness';

/**
 * Crash safety of the real `talkbatch` command: `run --wait` is killed with SIGKILL while every row's
 * create has reached its provider unanswered, `work` is killed while it checks those jobs with their
 * providers and again in the middle of a download, and a last `work` finishes the batch. Every job completes with one render at its provider, every library file is the
 * provider's bytes, nothing partial is left, and the database is intact.
 *
 * The CLI runs on the real clock (a job's first poll comes 30 s after its submit; a job found by
 * reconcile is polled at once); the fakes run in this process with a small timeScale.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'electron', 'cli.cjs');
const BIN = path.join(ROOT, 'bin', 'talkbatch.cjs');

/** Newest modification time under the folders the CLI bundle is built from. */
function newestSource(): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, f.name);
      if (f.isDirectory()) walk(abs);
      else if (/\.(ts|mjs|json)$/.test(f.name)) newest = Math.max(newest, statSync(abs).mtimeMs);
    }
  };
  for (const d of ['electron', 'shared', 'test/fakes']) walk(path.join(ROOT, d));
  return Math.max(newest, statSync(path.join(ROOT, 'scripts', 'build-node.mjs')).mtimeMs, statSync(path.join(ROOT, 'package.json')).mtimeMs);
}

let fakes: AllFakes;
let work: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < newestSource()) execFileSync('npm', ['run', '--silent', 'build:node'], { cwd: ROOT, stdio: 'pipe' });
  fakes = await startAllFakes({ timeScale: 0.01 });
  work = mkdtempSync(path.join(tmpdir(), 'tb-crash-'));
  dataDir = path.join(work, 'data');
  env = { ...process.env, ...fakes.env, TALKBATCH_DATA_DIR: '' };
  // Settings in the data folder, as the app would write them: aisa.one on (it is off by default since
  // Sora 2 was retired), and little request spacing so every row is sent in the first moments.
  const core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env, credentialsFromEnv: true, noLock: true });
  core.settings.set({ aisaEnabled: true, rateLimits: { sync: 6000, aisa: 6000 } });
  await core.close();
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await fakes?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

type Run = { child: ChildProcess; out: string[]; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> };
const children: ChildProcess[] = [];

function cli(args: readonly string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => out.push(c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, out, exited };
}

/** Calls `fn` synchronously when the fake logs a request (before its route handler runs). */
function onLogged(server: FakeServer, fn: (e: RequestLogEntry) => void): () => void {
  const log = server.log;
  const push = log.push.bind(log);
  log.push = (...entries: RequestLogEntry[]) => {
    const n = push(...entries);
    for (const e of entries) fn(e);
    return n;
  };
  return () => {
    log.push = push;
  };
}

/** Resolves when `check` is true, re-checked every 10 ms, or rejects after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs: number, run?: Run): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${run ? `\n--- CLI output ---\n${run.out.join('')}` : ''}`);
    if (run && (run.child.exitCode !== null || run.child.signalCode !== null)) throw new Error(`The CLI exited while waiting for ${what}\n${run.out.join('')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const partFiles = (): string[] => listFiles(dataDir).filter((f) => f.endsWith('.part'));

describe('SIGKILL mid-batch', () => {
  it('finishes every job after three kills, with one render per job and no partial or corrupt file', async () => {
    const csv = path.join(work, 'batch.csv');
    const a = (f: string) => path.join(FIXTURES, f);
    writeFileSync(
      csv,
      [
        'title,provider,video,audio,prompt,param.seconds',
        `Crash sync 1,sync,${a('sample.mp4')},${a('voice.wav')},,`,
        `Crash sync 2,sync,${a('sample.mp4')},${a('voice.wav')},,`,
        'Crash aisa 1,aisa,,,A presenter waves at the camera,4',
        'Crash aisa 2,aisa,,,A presenter points at a chart,4',
      ].join('\n'),
    );

    // 1. Killed once every row's create has reached its provider and none has been answered: the
    //    fakes hold each create for a moment after logging it, then carry it out for a dead client.
    for (const p of ['sync', 'aisa'] as const) fakes[p].server.inject({ kind: 'slow', method: 'POST', path: CREATE_ROUTES[p], delayMs: 500, times: 2 });
    const run1 = cli(['run', csv, '--wait']);
    const logged: string[] = [];
    const offs = (['sync', 'aisa'] as const).map((p) =>
      onLogged(fakes[p].server, (e) => {
        if (e.method === 'POST' && CREATE_ROUTES[p].test(e.path) && logged.push(p) === 4) run1.child.kill('SIGKILL');
      }),
    );
    const exit1 = await run1.exited;
    offs.forEach((off) => off());
    expect(exit1.signal, run1.out.join('')).toBe('SIGKILL');
    expect(logged.sort()).toEqual(['aisa', 'aisa', 'sync', 'sync']);
    // The providers created all four renders; Talkbatch never heard back.
    await until(() => rendersAt(fakes, 'sync') === 2 && rendersAt(fakes, 'aisa') === 2, 'the held creates to be carried out', 10_000);

    // 2. `work` checks each job with its provider; killed while Sync's checks are in flight (Sync's
    //    reconcile sends the same request again under the same Idempotency-Key: held here too).
    fakes.sync.server.inject({ kind: 'slow', method: 'POST', path: CREATE_ROUTES.sync, delayMs: 2_000, times: 2 });
    const run2 = cli(['work']);
    await until(() => fakes.sync.server.requests('POST', CREATE_ROUTES.sync).length === 4, "both Sync checks to reach Sync", 30_000, run2);
    run2.child.kill('SIGKILL');
    expect((await run2.exited).signal).toBe('SIGKILL');

    // 3. `work` again; killed while a Sync output is half downloaded.
    fakes.sync.server.cutDownload({ key: /\.mp4$/, fraction: 0.5, stallMs: 120_000 });
    const run3 = cli(['work']);
    let cutAt = 0;
    await until(
      () => {
        const cut = fakes.sync.server.requests('GET', /^\/_files\//).find((e) => e.cutAtBytes);
        cutAt = cut?.cutAtBytes ?? 0;
        return cutAt > 0 && partFiles().some((f) => statSync(path.join(dataDir, f)).size === cutAt);
      },
      'half of a Sync download on disk',
      30_000,
      run3,
    );
    run3.child.kill('SIGKILL');
    expect((await run3.exited).signal).toBe('SIGKILL');
    // The cut download (and any other caught mid-way) is left as a .part for the next run to resume.
    expect(partFiles().length).toBeGreaterThanOrEqual(1);

    // 4. `work` once more: everything finishes.
    const run4 = cli(['work']);
    const exit4 = await run4.exited;

    const core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env, credentialsFromEnv: true, noLock: true });
    try {
      expect(exit4, `${run4.out.join('')}\n${describeJobs(core)}`).toEqual({ code: 0, signal: null });
      const jobs = core.jobs.list();
      expect(jobs.map((j) => [j.input.title, j.status])).toEqual([
        ['Crash sync 1', 'completed'],
        ['Crash sync 2', 'completed'],
        ['Crash aisa 1', 'completed'],
        ['Crash aisa 2', 'completed'],
      ]);
      // One render per job at each provider, and it is the one the job points to.
      for (const p of ['sync', 'aisa'] as const) {
        const mine = jobs.filter((j) => j.provider === p);
        expect(rendersAt(fakes, p), `renders at ${p}`).toBe(mine.length);
        const ids = p === 'aisa' ? [...fakes.aisa.videos.keys()] : [...fakes.sync.jobs.keys()];
        expect(new Set(mine.map((j) => j.providerJobId))).toEqual(new Set(ids));
      }
      // Sync's reconcile repeats the same request under the same Idempotency-Key; the fake replays it.
      const syncCreates = fakes.sync.server.requests('POST', CREATE_ROUTES.sync);
      expect(syncCreates).toHaveLength(6);
      expect(new Set(syncCreates.map((c) => c.headers['idempotency-key'])).size).toBe(2);
      // Every job was caught mid-send: each was found at its provider by reconcile, none sent blindly again.
      for (const j of jobs) {
        const events = core.jobs.events(j.id);
        expect(events.some((e) => /Talkbatch stopped while this job was being sent/.test(e.message)), j.input.title).toBe(true);
        expect(events.some((e) => /^Found at .* Nothing was sent twice/.test(e.message)), j.input.title).toBe(true);
      }
      expect(fakes.aisa.server.requests('POST', CREATE_ROUTES.aisa)).toHaveLength(2);

      // The half-downloaded file was resumed where it stopped.
      const gets = fakes.sync.server.requests('GET', /^\/_files\/.*\.mp4$/);
      const resumed = gets.find((e) => e.headers.range === `bytes=${cutAt}-`);
      expect(resumed, JSON.stringify(gets.map((g) => [g.path, g.headers.range, g.status, g.cutAtBytes]))).toBeDefined();
      expect(resumed!.status).toBe(206);

      // Library: the providers' bytes, with sidecars and thumbnails; nothing partial anywhere.
      for (const j of jobs) {
        const o = core.outputs.get(j.outputId!)!;
        expect(readFileSync(path.join(core.library.dir, o.file)).equals(sampleMp4()), o.file).toBe(true);
        expect(existsSync(path.join(core.library.dir, o.sidecar))).toBe(true);
        expect(o.thumbnail && existsSync(path.join(core.library.dir, o.thumbnail))).toBe(true);
        expect((JSON.parse(readFileSync(path.join(core.library.dir, o.sidecar), 'utf8')) as { sha256: string }).sha256).toBe(o.sha256);
      }
      expect(partFiles()).toEqual([]);
      expect(listFiles(core.library.dir).filter((f) => f.endsWith('.mp4'))).toHaveLength(4);
    } finally {
      await core.close();
    }
    const db = new Database(path.join(dataDir, 'talkbatch.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 120_000);
});
