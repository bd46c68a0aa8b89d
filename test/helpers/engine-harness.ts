import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventName } from '../../shared/contract';
import type { JobStatus } from '../../shared/lifecycle';
import type { BatchRow, Money } from '../../shared/model';
import type { ProviderId } from '../../shared/providers';
import { AppError, formatIssue } from '../../shared/result';
import type { SettingsPatch } from '../../shared/settings';
import { openCore, type Core } from '../../electron/core/app-core';
import type { JobInternal } from '../../electron/core/db/jobs';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { FIXTURES, type FakeOptions, type FakeServer, type RequestLogEntry } from '../fakes/base';
import { startAllFakes, type AllFakes } from '../fakes/index';

/**
 * The engine harness: a real core (SQLite, vault, asset store, library, scheduler) in a temp data
 * dir, pointed at every provider fake, with a shared test clock. Tests wait on core events (with a
 * short re-check interval and a deadline), never on fixed sleeps.
 *
 * Why a clock: the scheduler's poll timing comes from each provider's typical render time (Oshara's
 * first poll is 45 s after submit), which no fake `timeScale` can shorten. The engine (next-action
 * times, backoffs, Retry-After, stall detection) and the fakes (render progress, signed-URL expiry,
 * request log times) read one clock that runs `speed` times faster than real time, and that a test
 * can jump forward (`clock.advance`) to make a job stall. The engine still sleeps at most `idleMs`
 * (200 ms real) between looks, and adapters keep the real clock for their own expiry guesses.
 */
export class TestClock {
  private readonly realStart = Date.now();
  private offset = 0;

  constructor(readonly speed = 100) {}

  readonly now = (): number => this.realStart + (Date.now() - this.realStart) * this.speed + this.offset;

  advance(ms: number): void {
    this.offset += ms;
  }
}

/** Inputs per provider, with files from test/fixtures (admission copies them into the asset store). */
export function rowFor(provider: ProviderId, title: string, fakes: Pick<AllFakes, 'techforgeProjectId'>): BatchRow {
  switch (provider) {
    case 'local':
      return { title, provider, script: 'Hello there.', avatar: 'avatar.png', audio: 'voice.wav', params: { height: 480, aspect_ratio: '1:1', captions: 'off' } };
    case 'oshara':
      // Video from your own audio (a TTS row would need a 10–30 s voice sample).
      return { title, provider, avatar: 'avatar.png', audio: 'voice.mp3' };
    case 'techforge':
      return { title, provider, avatar: 'avatar.png', audio: 'voice.wav', params: { project_id: fakes.techforgeProjectId } };
    case 'aisa':
      return { title, provider, prompt: `A presenter in a bright studio introduces ${title}.`, params: { seconds: '4' } };
    case 'sync':
      return { title, provider, video: 'sample.mp4', audio: 'voice.wav' };
    case 'creatify':
      return { title, provider, avatar: 'avatar.png', audio: 'voice.mp3' };
  }
}

/** The request(s) that create a render at each fake. */
export const CREATE_ROUTES: Readonly<Record<Exclude<ProviderId, 'local'>, RegExp>> = {
  oshara: /^\/api\/(video-jobs|video-only)\/$/,
  techforge: /^\/jobs\/v2$/,
  aisa: /^\/v1\/videos$/,
  sync: /^\/v2\/generate$/,
  creatify: /^\/api\/(aurora|lipsyncs|custom_template_jobs\/preview)\/$/,
};

export type CloudProvider = keyof typeof CREATE_ROUTES;
export const CLOUD_PROVIDERS = Object.keys(CREATE_ROUTES) as CloudProvider[];

export function fakeServerOf(fakes: AllFakes, p: CloudProvider): FakeServer {
  return fakes[p].server;
}

/** Create requests a fake received (faulted ones included). */
export function createRequests(fakes: AllFakes, p: CloudProvider): RequestLogEntry[] {
  return fakeServerOf(fakes, p).requests('POST', CREATE_ROUTES[p]);
}

/** Renders that exist at a fake (what a provider would bill). */
export function rendersAt(fakes: AllFakes, p: CloudProvider): number {
  return p === 'aisa' ? fakes.aisa.videos.size : fakes[p].jobs.size;
}

export type HarnessOptions = Readonly<{
  /** Clock speed (virtual ms per real ms). */
  speed?: number;
  /** Fake render-time scale (on the virtual clock). */
  timeScale?: number;
  fakeOptions?: FakeOptions;
  settings?: SettingsPatch;
  /** Environment on top of the fakes' (e.g. other asset host keys). */
  env?: Readonly<Record<string, string>>;
  engine?: Readonly<{ idleMs?: number; maxDownloads?: number }>;
  /** Start the engine right away (default true). */
  start?: boolean;
  /** A talkbatch.db to start from (copied into the data folder before the core opens it, e.g. an older release's). */
  database?: string;
}>;

export type SeenEvent = Readonly<{ name: EventName; payload: unknown; at: number }>;

export type Harness = Readonly<{
  core: Core;
  fakes: AllFakes;
  clock: TestClock;
  dataDir: string;
  /** Every pushed event, in order. */
  events: SeenEvent[];
  row: (provider: ProviderId, title: string) => BatchRow;
  admit: (rows: readonly BatchRow[], o?: Readonly<{ name?: string; budget?: Money; testFirst?: number }>) => Promise<{ batchId: string; jobIds: string[] }>;
  start: () => void;
  job: (id: string) => JobInternal;
  /** Resolves with the first truthy value of `check`, re-checked on every core event and every 25 ms. */
  waitFor: <T>(check: () => T | undefined | null | false, o?: Readonly<{ timeoutMs?: number; what?: string }>) => Promise<T>;
  /** Waits until every job is in one of `statuses`; returns them. */
  waitForStatus: (ids: readonly string[], statuses: JobStatus | readonly JobStatus[], timeoutMs?: number) => Promise<JobInternal[]>;
  /** Waits for a notice whose message matches. */
  waitForNotice: (re: RegExp, timeoutMs?: number) => Promise<string>;
  /** Stops the core (the engine finishes what is in flight) and opens a new one on the same data dir, started. */
  restart: () => Promise<void>;
  creates: (p: CloudProvider) => RequestLogEntry[];
  /** Files under the library folder, relative to it (the .partial folder included). */
  libraryFiles: () => string[];
  close: () => Promise<void>;
}>;

export async function openHarness(o: HarnessOptions = {}): Promise<Harness> {
  const clock = new TestClock(o.speed ?? 100);
  const fakes = await startAllFakes({ timeScale: o.timeScale ?? 0.05, now: clock.now, ...(o.fakeOptions ?? {}) });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tb-engine-'));
  if (o.database) copyFileSync(o.database, path.join(dataDir, 'talkbatch.db'));
  const open = (): Core =>
    openCore({
      dataDir,
      mode: 'server',
      cipher: (p) => fileKeyCipher(p.root),
      env: { ...process.env, ...fakes.env, ...(o.env ?? {}) },
      credentialsFromEnv: true,
      engine: { idleMs: 200, now: clock.now, ...(o.engine ?? {}) },
    });
  let core = open();
  core.settings.set({ assetHost: fakes.assetHost, aisaEnabled: true, ...(o.settings ?? {}) });
  const events: SeenEvent[] = [];
  const listeners = new Set<() => void>();
  const subscribe = (c: Core) =>
    c.events.on((name, payload) => {
      events.push({ name, payload, at: Date.now() });
      for (const l of [...listeners]) l();
    });
  let off = subscribe(core);

  const waitFor = async <T>(check: () => T | undefined | null | false, w: Readonly<{ timeoutMs?: number; what?: string }> = {}): Promise<T> => {
    const timeoutMs = w.timeoutMs ?? 20_000;
    const first = check();
    if (first) return first;
    return await new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        listeners.delete(onEvent);
        clearInterval(interval);
        clearTimeout(deadline);
        fn();
      };
      const evaluate = () => {
        try {
          const v = check();
          if (v) finish(() => resolve(v));
        } catch (e) {
          finish(() => reject(e as Error));
        }
      };
      const onEvent = () => evaluate();
      listeners.add(onEvent);
      const interval = setInterval(evaluate, 25);
      const deadline = setTimeout(() => finish(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${w.what ?? 'a condition'}\n${describeJobs(core)}`))), timeoutMs);
    });
  };

  const h: Harness = {
    get core() {
      return core;
    },
    fakes,
    clock,
    dataDir,
    events,
    row: (p, title) => rowFor(p, title, fakes),
    admit: async (rows, a = {}) => {
      const res = await core.admission
        .admit({
          name: a.name ?? 'Engine test',
          rows,
          baseDir: FIXTURES,
          source: 'test',
          ...(a.budget ? { budget: a.budget } : {}),
          ...(a.testFirst !== undefined ? { testFirst: a.testFirst } : {}),
        })
        .catch((e: unknown) => {
          const issues = e instanceof AppError ? (e.issues ?? []).map((i) => `\n  ${formatIssue(i)}`).join('') : '';
          throw new Error(`${(e as Error).message}${issues}`, { cause: e });
        });
      // What the batches:create handler does after admission.
      for (const id of res.jobIds) core.engine.markChanged(id);
      core.engine.wake();
      return { batchId: res.batchId, jobIds: res.jobIds };
    },
    start: () => core.engine.start(),
    job: (id) => core.jobs.mustGet(id),
    waitFor,
    waitForStatus: async (ids, statuses, timeoutMs) => {
      const want = typeof statuses === 'string' ? [statuses] : statuses;
      return await waitFor(
        () => {
          const jobs = ids.map((id) => core.jobs.mustGet(id));
          return jobs.every((j) => want.includes(j.status)) ? jobs : undefined;
        },
        { ...(timeoutMs !== undefined ? { timeoutMs } : {}), what: `jobs to be ${want.join('/')}` },
      );
    },
    waitForNotice: async (re, timeoutMs) =>
      await waitFor(
        () => {
          const n = events.find((e) => e.name === 'notice' && re.test((e.payload as { message: string }).message));
          return n ? (n.payload as { message: string }).message : undefined;
        },
        { ...(timeoutMs !== undefined ? { timeoutMs } : {}), what: `a notice matching ${re}` },
      ),
    restart: async () => {
      off();
      await core.close();
      core = open();
      off = subscribe(core);
      core.engine.start();
    },
    creates: (p) => createRequests(fakes, p),
    libraryFiles: () => listFiles(core.library.dir),
    close: async () => {
      off();
      listeners.clear();
      await core.close();
      await fakes.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (o.start ?? true) h.start();
  return h;
}

/** Every job's status and last events: what a timeout message should show. */
export function describeJobs(core: Core): string {
  return core.jobs
    .list()
    .map((j) => {
      const last = core.jobs
        .events(j.id)
        .slice(-8)
        .map((e) => `      ${e.toStatus ?? '·'} ${e.errorCode ? `[${e.errorCode}] ` : ''}${e.message}`)
        .join('\n');
      return `  row ${j.row} ${j.provider} ${j.status} next=${j.nextActionAt} provider=${j.providerJobId ?? '-'}${j.error ? ` error=${j.error.code}: ${j.error.message}` : ''}\n${last}`;
    })
    .join('\n');
}

export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const abs = path.join(d, f);
      if (statSync(abs).isDirectory()) walk(abs);
      else out.push(path.relative(dir, abs));
    }
  };
  walk(dir);
  return out.sort();
}
