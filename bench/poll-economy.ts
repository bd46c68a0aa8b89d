import { DEFAULT_RPM } from '../electron/core/providers';
import { FIXTURES } from '../test/fakes/base';
import { rowFor } from '../test/helpers/engine-harness';
import type { Figure } from './lib/figure';
import { CLOUD, statusKind, type CloudProvider } from './lib/routes';
import { startWorker } from './lib/rpc';
import { fmtNum, fmtPct, mean, median, quantile, tempDir, toProviderTime } from './lib/util';
import type { Api as EngineApi } from './workers/engine';
import type { Api as FakesApi } from './workers/fakes';

/**
 * Poll economy: the real engine (its own process, default concurrency) drives the five provider fakes
 * (another process) through 200 jobs, each with its own render time, on compressed time: the fakes and
 * the adapters read a provider clock running 1/timeScale times faster than real time, and the engine
 * scales its own waits by timeScale. Status requests (GETs of a job or a job list) are counted in the
 * fakes' request logs; re-reads made by the download stage after a job was noticed are left out. The
 * notice delay is when the job reached `downloading` in the database minus when its fake finished it,
 * both in provider time, over its render time. Baseline: fixed 5-second polling of the same jobs
 * (render time / 5 requests; notices 2.5 s late on average).
 */
export const pollEconomy: Figure = {
  id: 'poll-economy',
  title: 'Poll economy',
  async run(o) {
    const jobsTotal = o.quick ? 10 : 200;
    const timeScale = o.quick ? 0.01 : 0.02;
    const renderSec: [number, number] = o.quick ? [30, 90] : [30, 600];
    const seed = 20_251_122;
    const tmp = tempDir('poll');
    const fakes = await startWorker<FakesApi>('fakes');
    const engine = await startWorker<EngineApi>('engine');
    try {
      const started = await fakes.call('start', { timeScale, renderSec, seed });
      // The providers' request-rate limits are per real minute; on compressed time they are scaled
      // the same way (the settings allow at most 6,000 requests a minute).
      const rateLimits = Object.fromEntries(CLOUD.map((p) => [p, Math.min(6000, Math.round(DEFAULT_RPM[p] / timeScale))]));
      await engine.call('open', {
        dataDir: tmp.dir,
        env: started.env,
        settings: { aisaEnabled: true, assetHost: started.assetHost, rateLimits },
        engine: { timeScale, idleMs: 1000 },
        providerClock: { t0: started.t0, timeScale },
      });
      const rows = Array.from({ length: jobsTotal }, (_, i) => rowFor(CLOUD[i % CLOUD.length]!, `Poll economy ${i + 1}`, { techforgeProjectId: started.techforgeProjectId }));
      await engine.call('admit', { rows, baseDir: FIXTURES, name: 'Poll economy' });
      const t0 = Date.now();
      await engine.call('start');
      o.log(`poll economy: ${jobsTotal} jobs, render ${renderSec[0]}–${renderSec[1]} s, time scale ${timeScale}`);
      const counts = await engine.call('waitUntilNone', { active: ['queued', 'submitting', 'submit_unknown', 'running', 'downloading', 'stalled'], timeoutMs: o.quick ? 60_000 : 480_000 });
      const wallSec = (Date.now() - t0) / 1000;
      const times = await engine.call('jobTimes');
      const sims = await fakes.call('jobs');
      const requests = await fakes.call('requests');

      // Everything below is in provider time: the fakes' clock, and the database's times converted to it.
      const sim = new Map(sims.map((s) => [`${s.provider}:${s.providerJobId}`, s]));
      const noticedAt = (t: { noticedAt: number | null }) => (t.noticedAt === null ? null : toProviderTime(t.noticedAt, started.t0, timeScale));
      const noticed = new Map(times.filter((t) => t.providerJobId).map((t) => [`${t.provider}:${t.providerJobId}`, noticedAt(t)]));
      type Per = { jobs: number; renderSec: number[]; delays: number[]; list: number; single: number; outputReads: number };
      const per = new Map<CloudProvider, Per>(CLOUD.map((p) => [p, { jobs: 0, renderSec: [], delays: [], list: 0, single: 0, outputReads: 0 }]));
      const delays: number[] = [];
      const fixedDelays: number[] = [];
      const completed = times.filter((t) => t.status === 'completed');
      for (const t of completed) {
        const s = sim.get(`${t.provider}:${t.providerJobId}`);
        const at = noticedAt(t);
        if (!s || at === null) continue;
        const p = per.get(s.provider)!;
        const sec = s.renderMs / 1000;
        p.jobs++;
        p.renderSec.push(sec);
        const delay = (at - (s.createdAt + s.renderMs)) / s.renderMs;
        delays.push(delay);
        p.delays.push(delay);
        // Fixed 5-second polling notices a job 2.5 s after it finishes, on average.
        fixedDelays.push(2.5 / sec);
      }
      for (const r of requests) {
        const k = statusKind(r);
        if (!k.kind) continue;
        const p = per.get(r.provider)!;
        if (k.kind === 'list') p.list++;
        else {
          const at = noticed.get(`${r.provider}:${k.id}`);
          // A read of a job after it was noticed belongs to the download stage (a fresh output URL).
          if (at !== undefined && at !== null && r.at >= at) p.outputReads++;
          else p.single++;
        }
      }
      const all = [...per.values()];
      const done = all.reduce((a, p) => a + p.jobs, 0);
      const statusRequests = all.reduce((a, p) => a + p.list + p.single, 0);
      const perJob = statusRequests / Math.max(1, done);
      const fixedPerJob = mean(all.flatMap((p) => p.renderSec.map((s) => s / 5)));
      const ratio = fixedPerJob / perJob;
      const medDelay = median(delays);
      const medFixed = median(fixedDelays);
      const breakdown = CLOUD.map((p) => {
        const x = per.get(p)!;
        const fixed = x.renderSec.reduce((a, s) => a + s / 5, 0);
        return `${p} ${fmtNum((x.list + x.single) / Math.max(1, x.jobs))}/job (${x.list} list + ${x.single} single for ${x.jobs} jobs; fixed polling ${fmtNum(fixed / Math.max(1, x.jobs))}/job → ${fmtNum(fixed / Math.max(1, x.list + x.single))}× fewer; median notice ${fmtPct(median(x.delays))})`;
      });
      const failed = times.length - completed.length;
      return {
        rows: [
          {
            figure: `Poll economy: status requests per completed job (${done} jobs, 5 fakes)`,
            value: `${fmtNum(perJob)} req/job`,
            baseline: `${fmtNum(fixedPerJob)} req/job (fixed 5 s polling of the same jobs)`,
            ratio: `${fmtNum(ratio, 2)}× fewer`,
            target: '≥ 5× fewer',
            pass: done > 0 && ratio >= 5,
            raw: { value: perJob, baseline: fixedPerJob, ratio, unit: 'requests/job' },
          },
          {
            figure: 'Poll economy: median notice delay / render time',
            value: fmtPct(medDelay),
            baseline: `${fmtPct(medFixed)} (fixed 5 s polling)`,
            ratio: `${fmtNum(medDelay / medFixed)}×`,
            target: '≤ 10%',
            pass: done > 0 && medDelay <= 0.1,
            raw: { value: medDelay, baseline: medFixed, ratio: medDelay / medFixed, unit: 'fraction of render time' },
          },
        ],
        notes: [
          `${jobsTotal} jobs (${jobsTotal / CLOUD.length} per provider, default concurrency), render times uniform in ${renderSec[0]}–${renderSec[1]} s, time compressed ${Math.round(1 / timeScale)}×: the fakes and the adapters read a provider clock running that much faster, the engine scales its waits by the same factor, and the request-rate limits are scaled to match (Sync capped at the 6,000/min the settings allow); ${fmtNum(wallSec, 0)} s wall.`,
          `Per provider: ${breakdown.join('; ')}.`,
          `Not counted: ${all.reduce((a, p) => a + p.outputReads, 0)} re-reads of a job made by the download stage after it was noticed (a fresh output URL).`,
          `Notice delay / render time: median ${fmtPct(medDelay)}, p90 ${fmtPct(quantile(delays, 0.9))}, max ${fmtPct(Math.max(...delays))}.`,
          ...(failed ? [`${failed} job(s) did not complete: ${JSON.stringify(counts)}.`] : []),
        ],
        details: { jobsTotal, timeScale, renderSec, rateLimits, counts, perProvider: Object.fromEntries(per), delays, wallSec },
      };
    } finally {
      await engine.close();
      await fakes.close();
      tmp.cleanup();
    }
  },
};
