import type { FakeServer } from '../../test/fakes/base';
import { startAllFakes, type AllFakes } from '../../test/fakes/index';
import { CLOUD, statusKind, type CloudProvider, type LoggedRequest } from '../lib/routes';
import { serve } from '../lib/rpc';
import { providerClock, rng } from '../lib/util';

/**
 * Every provider fake in its own process (so serving them costs the measured engine nothing), with a
 * render time per job drawn from a seeded range. Request times and job times are on the provider clock.
 */

let fakes: AllFakes | null = null;

const serverOf = (f: AllFakes, p: CloudProvider): FakeServer => f[p].server;

export type SimJobTimes = Readonly<{ provider: CloudProvider; providerJobId: string; createdAt: number; renderMs: number }>;

const api = {
  /**
   * Starts every fake on the provider clock: it runs `1 / timeScale` times faster than real time from
   * now on (timeScale 1: the real clock), so render times, timestamps and long-polls are all in
   * provider time. Returns the clock's origin (the engine process builds the same clock from it).
   */
  async start(p: { timeScale: number; renderSec: number | readonly [number, number]; seed: number }) {
    const draw = rng(p.seed);
    const r = p.renderSec;
    const renderSecFor = typeof r === 'number' ? () => r : () => r[0] + draw() * (r[1] - r[0]);
    const t0 = Date.now();
    fakes = await startAllFakes({ timeScale: 1, renderSecFor, now: providerClock(t0, p.timeScale) });
    return { t0, env: fakes.env, assetHost: fakes.assetHost, techforgeProjectId: fakes.techforgeProjectId };
  },
  requests(p: { from?: number; to?: number } = {}): LoggedRequest[] {
    const f = need();
    const out: LoggedRequest[] = [];
    for (const provider of CLOUD) {
      for (const e of serverOf(f, provider).log) {
        if ((p.from !== undefined && e.at < p.from) || (p.to !== undefined && e.at > p.to)) continue;
        out.push({ provider, method: e.method, path: e.path, at: e.at, status: e.status ?? null, query: e.query });
      }
    }
    return out;
  },
  /** Requests per provider in a time window: status checks (list, single) and everything else. */
  requestCounts(p: { from: number; to: number }) {
    const out: Record<string, { list: number; single: number; other: number }> = {};
    for (const r of api.requests(p)) {
      const c = (out[r.provider] ??= { list: 0, single: 0, other: 0 });
      const k = statusKind(r).kind;
      if (k === 'list') c.list++;
      else if (k === 'single') c.single++;
      else c.other++;
    }
    return out;
  },
  jobs(): SimJobTimes[] {
    const f = need();
    const out: SimJobTimes[] = [];
    for (const [id, j] of f.oshara.jobs) out.push({ provider: 'oshara', providerJobId: String(id), createdAt: j.createdAt, renderMs: j.renderMs });
    for (const [id, j] of f.techforge.jobs) out.push({ provider: 'techforge', providerJobId: id, createdAt: j.createdAt, renderMs: j.renderMs });
    for (const [id, j] of f.aisa.videos) out.push({ provider: 'aisa', providerJobId: id, createdAt: j.createdAt, renderMs: j.renderMs });
    for (const [id, j] of f.sync.jobs) out.push({ provider: 'sync', providerJobId: id, createdAt: j.createdAt, renderMs: j.renderMs });
    // Avatar and lipsync jobs finish with their first phase (templates would add a preview first).
    for (const [id, j] of f.creatify.jobs) out.push({ provider: 'creatify', providerJobId: id, createdAt: j.createdAt, renderMs: j.product === 'template' ? j.firstMs + j.renderMs : j.firstMs });
    return out;
  },
  async close() {
    await fakes?.close();
    fakes = null;
    return null;
  },
};

function need(): AllFakes {
  if (!fakes) throw new Error('fakes not started');
  return fakes;
}

export type Api = typeof api;
serve(api);
