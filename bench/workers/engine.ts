import { openCore, type Core } from '../../electron/core/app-core';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { allAdapters } from '../../electron/core/providers';
import type { AdapterContext, ProviderAdapter } from '../../electron/core/providers/types';
import { Engine } from '../../electron/core/queue/engine';
import type { ProviderId } from '../../shared/providers';
import type { JobStatus } from '../../shared/lifecycle';
import type { BatchRow } from '../../shared/model';
import type { SettingsPatch } from '../../shared/settings';
import { serve } from '../lib/rpc';
import { providerClock, sleep } from '../lib/util';

/**
 * The real core (SQLite, vault, asset store, library, scheduler, adapters) in its own process, pointed
 * at the fakes by environment variables, as server mode runs it.
 */

let core: Core | null = null;

function need(): Core {
  if (!core) throw new Error('core not open');
  return core;
}

export type JobTimes = Readonly<{
  id: string;
  provider: string;
  providerJobId: string | null;
  status: JobStatus;
  submittedAt: number | null;
  /** When the job reached downloading (or completed) in the database: the moment the app noticed. */
  noticedAt: number | null;
}>;

/**
 * The adapters, reading the provider clock instead of Date.now (a provider and its client share one
 * clock; on compressed time that is the fakes' clock). Nothing else about them changes.
 */
function onClock(adapters: ReadonlyMap<ProviderId, ProviderAdapter>, now: () => number): ReadonlyMap<ProviderId, ProviderAdapter> {
  const isContext = (a: unknown): a is AdapterContext => typeof a === 'object' && a !== null && 'http' in a && 'credentials' in a && typeof (a as AdapterContext).now === 'function';
  const wrap = (adapter: ProviderAdapter): ProviderAdapter =>
    new Proxy(adapter, {
      get(target, key, receiver) {
        const v: unknown = Reflect.get(target, key, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => (v as (...a: unknown[]) => unknown).apply(target, args.map((a) => (isContext(a) ? { ...a, now } : a)));
      },
    });
  return new Map([...adapters].map(([id, a]) => [id, wrap(a)]));
}

const api = {
  open(p: { dataDir: string; env: Record<string, string>; settings: SettingsPatch; engine?: { timeScale?: number; idleMs?: number }; providerClock?: { t0: number; timeScale: number } }) {
    core = openCore({
      dataDir: p.dataDir,
      ...(p.providerClock ? { adapters: onClock(allAdapters(), providerClock(p.providerClock.t0, p.providerClock.timeScale)) } : {}),
      mode: 'server',
      cipher: (paths) => fileKeyCipher(paths.root),
      env: { ...process.env, ...p.env },
      credentialsFromEnv: true,
      ...(p.engine ? { engine: p.engine } : {}),
    });
    core.settings.set(p.settings);
    return null;
  },
  setSettings(patch: SettingsPatch) {
    need().settings.set(patch);
    return null;
  },
  async admit(p: { rows: BatchRow[]; baseDir: string; name: string }) {
    const c = need();
    const res = await c.admission.admit({ name: p.name, rows: p.rows, baseDir: p.baseDir, source: 'bench' });
    for (const id of res.jobIds) c.engine.markChanged(id);
    c.engine.wake();
    return { batchId: res.batchId, jobs: res.jobIds.length };
  },
  start() {
    need().engine.start();
    return null;
  },
  /**
   * Set-up only: sends every queued job with a concurrency above the settings' cap (64 per provider),
   * so that many renders can be in flight at once; then stops. The measured engine is core.engine.
   */
  async submitAll(p: { concurrency: number; rpm: number; timeoutMs: number }) {
    const c = need();
    const engine = new Engine({
      jobs: c.jobs,
      batches: c.batches,
      library: c.library,
      adapters: c.adapters,
      contextFor: (provider, signal) => c.contextFor(provider, signal),
      limits: () => ({ concurrency: p.concurrency, rpm: p.rpm, ready: true }),
      queuePaused: () => false,
      stallMs: () => 24 * 3_600_000,
      emit: () => {},
      log: c.log,
      idleMs: 200,
    });
    engine.start();
    const deadline = Date.now() + p.timeoutMs;
    try {
      for (;;) {
        const counts = c.jobs.countsByStatus();
        if (!counts.queued && !counts.submitting && !counts.submit_unknown) break;
        if (Date.now() > deadline) throw new Error(`set-up did not send every job in time: ${JSON.stringify(counts)}`);
        await sleep(100);
      }
    } finally {
      await engine.stop();
    }
    return c.jobs.countsByStatus();
  },
  counts() {
    return need().jobs.countsByStatus();
  },
  /** Waits until no job is in any of `active` (checked every 100 ms). */
  async waitUntilNone(p: { active: JobStatus[]; timeoutMs: number }) {
    const c = need();
    const deadline = Date.now() + p.timeoutMs;
    for (;;) {
      const counts = c.jobs.countsByStatus();
      if (p.active.every((s) => !counts[s])) return counts;
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(counts)}`);
      await sleep(100);
    }
  },
  jobTimes(): JobTimes[] {
    const rows = need()
      .db.prepare(
        `SELECT j.id, j.provider, j.provider_job_id AS providerJobId, j.status, j.submitted_at AS submittedAt,
                (SELECT min(e.at) FROM job_events e WHERE e.job_id = j.id AND e.to_status IN ('downloading', 'completed')) AS noticedAt
           FROM jobs j`,
      )
      .all() as JobTimes[];
    return rows;
  },
  async close() {
    await core?.close();
    core = null;
    return null;
  },
};

export type Api = typeof api;
serve(api);
