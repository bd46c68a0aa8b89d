import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { expect } from 'vitest';
import { isTerminal } from '../../../shared/lifecycle';
import { PROVIDER_IDS, type ProviderId } from '../../../shared/providers';
import { openCore, type Core } from '../../../electron/core/app-core';
import { createHandlers } from '../../../electron/core/handlers';
import { fileKeyCipher } from '../../../electron/core/secrets/cipher';
import { FIXTURES, seededRandom, type FakeServer, type RequestLogEntry } from '../../fakes/base';
import { startAllFakes, type AllFakes } from '../../fakes/index';
import { CLOUD_PROVIDERS, CREATE_ROUTES, describeJobs, type CloudProvider } from '../../helpers/engine-harness';
import { cleanEnv, ensureCliBuilt, exitOf, talkbatch, until, type CliRun } from './cli';
import { decide, integrity, ledgerProblems, libraryProblems, openJobs, tempFiles, waitsForDecision, walk, type Decision } from './checks';

/**
 * The crash soak: a batch over all six providers run by the real `talkbatch` command in a child process
 * (`run <csv> --wait`, then `work`), killed with SIGKILL at seeded moments and started again each time,
 * while the provider fakes run in this process (their request logs outlive every kill). Kill moments:
 *  - held create: the fakes hold create requests after receiving them; the process is killed while
 *    they are held, i.e. between "create sent" and "provider id recorded". The fakes then carry the
 *    creates out for a client that is gone (the provider got them; Talkbatch never heard back);
 *  - download: the fakes cut an output download part-way and stall; killed with half a file on disk;
 *  - random: killed after a seeded delay, wherever the queue happens to be.
 * After the last restart everything must be finished: the checks in ./checks.ts, plus the decisions a
 * person makes for the jobs only they can decide (TechForge cannot look up a lost create).
 */
export type CrashSoakOptions = Readonly<{
  seed: number;
  jobs: number;
  kills: number;
  /** Fake render-time scale and the engine's TALKBATCH_ENGINE_TIMESCALE (default 0.01). */
  timeScale?: number;
  /** Longest a random kill waits after the queue starts working, in ms (default 2500). */
  maxKillDelayMs?: number;
  /** Longest the final `work` may take (default 60 s). */
  finishMs?: number;
  log?: (line: string) => void;
}>;

export type KillKind = 'held-create' | 'download' | 'random';
export type Kill = Readonly<{ kind: KillKind; delayMs: number; fraction: number }>;
export type KillReport = Readonly<{ planned: KillKind; happened: string; atMs: number }>;

export type CrashSoakResult = Readonly<{
  kills: KillReport[];
  decisions: Decision[];
  jobs: number;
  completed: number;
  byProvider: Partial<Record<ProviderId, number>>;
  caughtMidSend: number;
  resumedDownloads: number;
  elapsedMs: number;
}>;

/**
 * The kill plan: the first kill holds creates, the second cuts a download, the rest are seeded — held
 * creates only in the first half (later, every create may have been sent), downloads and random moments
 * anywhere (downloads go on to the end).
 */
export function killPlan(seed: number, kills: number, maxDelayMs: number): Kill[] {
  const rand = seededRandom(seed ^ 0x5eed);
  return Array.from({ length: kills }, (_, i) => ({
    kind: i === 0 ? 'held-create' : i === 1 ? 'download' : pick(rand, i < kills / 2 ? ['held-create', 'download', 'random'] : ['download', 'random']),
    delayMs: Math.round(300 + rand() * Math.max(0, maxDelayMs - 300)),
    fraction: 0.2 + rand() * 0.6,
  }));
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** Rows over all six providers in a seeded order (a few local drafts: they render on this machine). */
export function soakRows(seed: number, n: number, techforgeProjectId: string): Record<string, string>[] {
  const rand = seededRandom(seed);
  const local = Math.max(2, Math.round(n * 0.07));
  const providers: ProviderId[] = Array.from({ length: n }, (_, i) => (i < local ? 'local' : CLOUD_PROVIDERS[(i - local) % CLOUD_PROVIDERS.length]!));
  for (let i = providers.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [providers[i], providers[j]] = [providers[j]!, providers[i]!];
  }
  const f = (name: string) => path.join(FIXTURES, name);
  return providers.map((p, i) => {
    const title = `Soak ${String(i + 1).padStart(3, '0')} ${p}`;
    const base: Record<string, string> = { title, provider: p };
    switch (p) {
      case 'local':
        return { ...base, script: 'Hello there.', avatar: f('avatar.png'), audio: f('voice.wav'), 'param.height': '480', 'param.aspect_ratio': '1:1', 'param.captions': 'off' };
      case 'oshara':
        return { ...base, avatar: f('avatar.png'), audio: f('voice.mp3') };
      case 'techforge':
        return { ...base, avatar: f('avatar.png'), audio: f('voice.wav'), 'param.project_id': techforgeProjectId };
      case 'aisa':
        return { ...base, prompt: `A presenter in a bright studio introduces ${title}.`, 'param.seconds': '4' };
      case 'sync':
        return { ...base, video: f('sample.mp4'), audio: f('voice.wav') };
      case 'creatify':
        return { ...base, avatar: f('avatar.png'), audio: f('voice.mp3') };
    }
  });
}

const COLUMNS = ['title', 'provider', 'script', 'avatar', 'audio', 'video', 'prompt', 'param.height', 'param.aspect_ratio', 'param.captions', 'param.project_id', 'param.seconds'];

/** Output files a fake serves (Sync/Oshara/TechForge/Creatify `.mp4`, aisa `<id>.video`). */
const VIDEO_KEY = /\.(mp4|video)$/;

export async function runCrashSoak(o: CrashSoakOptions): Promise<CrashSoakResult> {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const timeScale = o.timeScale ?? 0.01;
  ensureCliBuilt();
  const fakes = await startAllFakes({ timeScale });
  const work = mkdtempSync(path.join(tmpdir(), 'tb-soak-'));
  const dataDir = path.join(work, 'data');
  try {
    return await soak(o, fakes, work, dataDir, timeScale, log, started);
  } catch (e) {
    if (e instanceof Error) e.message = `[seed ${o.seed}: rerun with TALKBATCH_SEED=${o.seed}] ${e.message}`;
    throw e;
  } finally {
    await fakes.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function soak(o: CrashSoakOptions, fakes: AllFakes, work: string, dataDir: string, timeScale: number, log: (l: string) => void, started: number): Promise<CrashSoakResult> {
  // Creatify's Aurora list is [UNCONFIRMED]; the fake offers it, so Creatify can look up a lost create.
  fakes.creatify.auroraList = 'available';
  const env = cleanEnv({ ...fakes.env, TALKBATCH_ENGINE_TIMESCALE: String(timeScale) });
  const openHere = (): Core => openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env, credentialsFromEnv: true, noLock: true });
  // Settings as the app would have written them: aisa.one on, the asset host, little request spacing.
  const setup = openHere();
  const fast = Object.fromEntries(PROVIDER_IDS.map((p) => [p, 6000]));
  setup.settings.set({ aisaEnabled: true, assetHost: fakes.assetHost, rateLimits: fast, concurrency: { oshara: 8, techforge: 8, aisa: 8, sync: 8, creatify: 8 } });
  await setup.close();

  const rows = soakRows(o.seed, o.jobs, fakes.techforgeProjectId);
  const csv = path.join(work, 'soak.csv');
  writeFileSync(csv, Papa.unparse({ fields: COLUMNS, data: rows.map((r) => COLUMNS.map((c) => r[c] ?? '')) }));
  const cli = (args: string[]) => talkbatch([...args, '--data-dir', dataDir], { cwd: work, env });

  const plan = killPlan(o.seed, o.kills, o.maxKillDelayMs ?? 2500);
  const kills: KillReport[] = [];
  for (let i = 0; i < plan.length; i++) {
    const run = cli(i === 0 ? ['run', csv, '--wait'] : ['work']);
    // The queue is working once the batch is queued (run) or the first progress line is out (work).
    await until(() => /Queued \d+ job|\d+\/\d+ done/.test(run.stdout()) || !run.alive(), 'the queue to start', 30_000, run);
    if (!run.alive()) throw new Error(`talkbatch exited before kill ${i + 1}: ${JSON.stringify(await run.exited)}\n${run.output().slice(-3000)}`);
    const report = await killAt(plan[i]!, run, fakes, dataDir);
    kills.push(report);
    log(`kill ${i + 1}/${plan.length}: ${report.happened} after ${report.atMs} ms — ${run.stdout().trim().split('\n').at(-1)}`);
  }

  // The last restart runs to the end.
  let last = cli(['work']);
  let exit = await exitOf(last, o.finishMs ?? 60_000, 'the last `talkbatch work`');
  let core = openHere();
  let decisions: Decision[] = [];
  try {
    const waiting = core.jobs.list().filter((j) => waitsForDecision(core, j));
    // Only a provider that cannot look a lost create up leaves a job to a person.
    expect(waiting.map((j) => `row ${j.row} ${j.provider}`).filter((w) => !w.endsWith('techforge')), `${last.output().slice(-3000)}\n${describeJobs(core)}`).toEqual([]);
    expect(exit.code, last.output().slice(-3000)).toBe(waiting.length ? 1 : 0);
    decisions = decide(core, fakes, waiting);
    const handlers = createHandlers(core, { version: 'soak', mode: 'server' });
    for (const d of decisions) expect(await handlers['jobs:action']({ ids: [d.jobId], action: d.action })).toEqual({ changed: 1, skipped: [] });
    log(`decisions: ${decisions.map((d) => `${d.action}${d.renderId ? ` (render ${d.renderId} found at TechForge)` : ''}`).join(', ') || 'none needed'}`);
  } finally {
    await core.close();
  }
  if (decisions.some((d) => d.action === 'resubmit')) {
    last = cli(['work']);
    exit = await exitOf(last, o.finishMs ?? 60_000, '`talkbatch work` after the decisions');
  }

  core = openHere();
  try {
    const jobs = core.jobs.list();
    const problems: string[] = [];
    const marked = new Set(decisions.filter((d) => d.action === 'mark_failed').map((d) => d.jobId));
    for (const j of jobs) {
      if (!isTerminal(j.status)) continue;
      if (j.status !== 'completed' && !(marked.has(j.id) && j.error?.code === 'marked_failed')) problems.push(`row ${j.row} ${j.provider} ended ${j.status}: ${j.error?.message ?? ''}`);
    }
    problems.push(...openJobs(core));
    problems.push(...ledgerProblems(core, fakes, { decided: decisions }));
    problems.push(...libraryProblems(core));
    problems.push(...tempFiles(dataDir).map((f) => `temp file left: ${path.relative(dataDir, f)}`));
    const check = integrity(core.paths.db);
    if (check !== 'ok') problems.push(`integrity_check: ${check}`);
    expect(problems, `${problems.join('\n')}\n--- last run ---\n${last.output().slice(-3000)}\n${describeJobs(core)}`).toEqual([]);
    expect(kills.map((k) => k.planned)).toEqual(plan.map((k) => k.kind));

    const byProvider: Partial<Record<ProviderId, number>> = {};
    for (const j of jobs) byProvider[j.provider] = (byProvider[j.provider] ?? 0) + 1;
    const caughtMidSend = jobs.filter((j) => core.jobs.events(j.id).some((e) => /Talkbatch stopped while this job was being sent/.test(e.message))).length;
    const resumedDownloads = CLOUD_PROVIDERS.reduce((n, p) => n + fakes[p].server.requests('GET', /^\/_files\//).filter((e) => e.headers.range && e.status === 206).length, 0);
    return {
      kills,
      decisions,
      jobs: jobs.length,
      completed: jobs.filter((j) => j.status === 'completed').length,
      byProvider,
      caughtMidSend,
      resumedDownloads,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await core.close();
  }
}

const isCreate = (p: CloudProvider, e: RequestLogEntry) => e.method === 'POST' && CREATE_ROUTES[p].test(e.path);

/** Arms the kill's trap at the fakes, kills when it springs (or after a fallback delay), disarms what is left. */
async function killAt(kill: Kill, run: CliRun, fakes: AllFakes, dataDir: string): Promise<KillReport> {
  const t0 = Date.now();
  const servers = CLOUD_PROVIDERS.map((p) => [p, fakes[p].server] as const);
  const killNow = async (happened: string): Promise<KillReport> => {
    const exit = await run.kill();
    if (exit.signal !== 'SIGKILL') throw new Error(`talkbatch ended by itself (${JSON.stringify(exit)}) before kill "${kill.kind}": the batch was too short for the plan\n${run.output().slice(-3000)}`);
    return { planned: kill.kind, happened, atMs: Date.now() - t0 };
  };

  if (kill.kind === 'random') {
    await until(() => Date.now() - t0 >= kill.delayMs || !run.alive(), 'the kill moment', kill.delayMs + 5_000);
    return await killNow('random moment');
  }

  if (kill.kind === 'held-create') {
    // Every fake holds its next create for a while after receiving it whole.
    const logFrom = new Map(servers.map(([p, s]) => [p, s.log.length]));
    for (const [p, s] of servers) s.inject({ kind: 'slow', method: 'POST', path: CREATE_ROUTES[p], delayMs: 2_500 });
    const held = () =>
      servers.flatMap(([p, s]) => s.log.slice(logFrom.get(p)).filter((e) => isCreate(p, e) && e.fault === 'slow').map((e) => [p, e] as const));
    let firstAt = 0;
    await until(
      () => {
        const n = held().length;
        if (n && !firstAt) firstAt = Date.now();
        // Several providers caught mid-send, TechForge among them (it cannot look a lost create up: a
        // person decides), or whatever is held a second after the first (creates stay held 2.5 s).
        const tf = held().some(([p]) => p === 'techforge');
        return (n >= 2 && tf) || (n >= 1 && Date.now() - firstAt > 1_000) || Date.now() - t0 > 15_000 || !run.alive();
      },
      'creates to be held',
      20_000,
    );
    const caught = held();
    const report = await killNow(caught.length ? `held creates at ${caught.map(([p]) => p).join(', ')}` : 'no create was sent in time (killed anyway)');
    disarm(servers.map(([, s]) => s));
    // The provider received each held create and carries it out (for a client that is gone) before
    // anyone asks about it: what a provider does with a request it got whole.
    await until(() => caught.every(([, e]) => e.status !== undefined), 'the held creates to be carried out', 10_000);
    return report;
  }

  // download: the next output download at every fake stops part-way and stalls.
  for (const [, s] of servers) s.cutDownload({ key: VIDEO_KEY, fraction: kill.fraction, stallMs: 60_000 });
  const from = new Map(servers.map(([p, s]) => [p, s.log.length]));
  const newCuts = () => servers.flatMap(([p, s]) => s.log.slice(from.get(p)).filter((e) => e.method === 'GET' && e.cutAtBytes !== undefined));
  // Killed once the bytes sent before the cut are on disk (the .part of that download has them all).
  const onDisk = () => {
    const cuts = newCuts();
    if (!cuts.length) return false;
    const dir = path.join(dataDir, 'Library', '.partial');
    const sizes = walk(dir)
      .filter((f) => f.endsWith('.part'))
      .map((f) => statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0);
    return cuts.some((e) => sizes.includes(e.cutAtBytes!));
  };
  await until(() => onDisk() || Date.now() - t0 > 15_000 || !run.alive(), 'a download to stop half-way', 20_000);
  const report = await killNow(onDisk() ? 'a download half on disk' : newCuts().length ? 'a download cut (killed before its bytes were on disk)' : 'no download started in time (killed anyway)');
  disarm(servers.map(([, s]) => s));
  return report;
}

function disarm(servers: readonly FakeServer[]): void {
  for (const s of servers) {
    s.faults.length = 0;
    s.cuts.length = 0;
  }
}
