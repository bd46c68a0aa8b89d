import { FIXTURES } from '../test/fakes/base';
import { rowFor } from '../test/helpers/engine-harness';
import type { Figure } from './lib/figure';
import { CLOUD } from './lib/routes';
import { startWorker, type ProcStats, type Worker } from './lib/rpc';
import { fmtBytes, fmtNum, mean, sleep, tempDir } from './lib/util';
import type { Api as EngineApi } from './workers/engine';
import type { Api as FakesApi } from './workers/fakes';

type Window = { cpuPct: number; peakRss: number; meanRss: number; seconds: number };

/** CPU share of one core and memory of a worker over a window, sampled every 5 s (a cheap IPC call). */
async function observe(w: Worker<EngineApi>, seconds: number): Promise<Window> {
  const first: ProcStats = await w.stats();
  const t0 = performance.now();
  const rss: number[] = [first.rss];
  const end = t0 + seconds * 1000;
  let last = first;
  while (performance.now() < end) {
    await sleep(Math.min(5000, end - performance.now()));
    last = await w.stats();
    rss.push(last.rss);
  }
  const wallSec = (performance.now() - t0) / 1000;
  return { cpuPct: ((last.cpuMicros - first.cpuMicros) / 1e6 / wallSec) * 100, peakRss: last.maxRss, meanRss: mean(rss), seconds: wallSec };
}

/**
 * Idle engine: 1,000 renders in flight at the five fakes (slow: 10-hour renders, real time), the real
 * core's scheduler and pollers running in their own process with the default settings (rate limits
 * included) for 60 s. Set-up sends the jobs in another process first (the settings cap concurrency at
 * 64 per provider, so set-up uses its own engine with a higher cap); the measured process starts like
 * the app after a restart and resumes the 1,000 jobs. Baseline: the same process with no jobs.
 */
export const idleEngine: Figure = {
  id: 'idle',
  title: 'Idle engine',
  async run(o) {
    const jobsTotal = o.quick ? 20 : 1000;
    const windowSec = o.quick ? 2 : 60;
    const baselineSec = o.quick ? 1 : 20;
    const settleSec = o.quick ? 0.5 : 5;
    const tmp = tempDir('idle');
    const fakes = await startWorker<FakesApi>('fakes');
    try {
      const started = await fakes.call('start', { timeScale: 1, renderSec: 36_000, seed: 7 });
      const settings = { aisaEnabled: true, assetHost: started.assetHost };
      const openArgs = (dataDir: string) => ({ dataDir, env: started.env, settings, engine: { idleMs: 30_000 } });

      // Baseline: the same engine process with an empty queue.
      const base = await startWorker<EngineApi>('engine');
      let baseline: Window;
      try {
        await base.call('open', openArgs(`${tmp.dir}/empty`));
        await base.call('start');
        await sleep(settleSec * 1000);
        baseline = await observe(base, baselineSec);
      } finally {
        await base.close();
      }

      // Set-up: 1,000 renders in flight.
      const dataDir = `${tmp.dir}/full`;
      const setup = await startWorker<EngineApi>('engine');
      try {
        await setup.call('open', openArgs(dataDir));
        const rows = Array.from({ length: jobsTotal }, (_, i) => rowFor(CLOUD[i % CLOUD.length]!, `Idle ${i + 1}`, { techforgeProjectId: started.techforgeProjectId }));
        await setup.call('admit', { rows, baseDir: FIXTURES, name: 'Idle engine' });
        const counts = await setup.call('submitAll', { concurrency: jobsTotal, rpm: 6000, timeoutMs: 300_000 });
        if ((counts.running ?? 0) !== jobsTotal) throw new Error(`set-up left ${JSON.stringify(counts)}`);
      } finally {
        await setup.close();
      }
      o.log(`idle: ${jobsTotal} jobs in flight; measuring ${windowSec} s`);

      const w = await startWorker<EngineApi>('engine');
      let loaded: Window;
      let requests: Record<string, { list: number; single: number; other: number }>;
      let after: Partial<Record<string, number>>;
      try {
        await w.call('open', openArgs(dataDir));
        await w.call('start');
        await sleep(settleSec * 1000);
        const from = Date.now();
        loaded = await observe(w, windowSec);
        requests = await fakes.call('requestCounts', { from, to: Date.now() });
        after = await w.call('counts');
      } finally {
        await w.close();
      }
      const status = Object.values(requests).reduce((a, c) => a + c.list + c.single, 0);
      const perProvider = CLOUD.map((p) => `${p} ${(requests[p]?.list ?? 0) + (requests[p]?.single ?? 0)}`).join(', ');
      return {
        rows: [
          {
            figure: `Idle engine: CPU, ${jobsTotal.toLocaleString('en-US')} jobs in flight, ${windowSec} s`,
            value: `${fmtNum(loaded.cpuPct, 2)}% of one core`,
            baseline: `${fmtNum(baseline.cpuPct, 2)}% (no jobs)`,
            ratio: `${fmtNum(loaded.cpuPct / Math.max(0.01, baseline.cpuPct))}×`,
            target: '≤ 1% of one core',
            pass: loaded.cpuPct <= 1,
            raw: { value: loaded.cpuPct, baseline: baseline.cpuPct, ratio: loaded.cpuPct / Math.max(0.01, baseline.cpuPct), unit: '% of one core' },
          },
          {
            figure: `Idle engine: resident memory, ${jobsTotal.toLocaleString('en-US')} jobs in flight`,
            value: `${fmtBytes(loaded.peakRss)} peak (${fmtBytes(loaded.meanRss)} mean)`,
            baseline: `${fmtBytes(baseline.peakRss)} peak (no jobs)`,
            ratio: `${fmtNum(loaded.peakRss / baseline.peakRss)}×`,
            target: '≤ 150 MB',
            pass: loaded.peakRss <= 150e6,
            raw: { value: loaded.peakRss, baseline: baseline.peakRss, ratio: loaded.peakRss / baseline.peakRss, unit: 'bytes' },
          },
        ],
        notes: [
          `Engine process (the core bundled as the app bundles it; no interface). Measured ${fmtNum(loaded.seconds, 0)} s after a ${settleSec} s settle; baseline ${fmtNum(baseline.seconds, 0)} s. Peak = the process's peak resident size since it started (recovery included).`,
          `${status} status requests reached the fakes in the window (${perProvider}); jobs afterwards: ${JSON.stringify(after)}.`,
        ],
        details: { jobsTotal, windowSec, baseline, loaded, requests, after },
      };
    } finally {
      await fakes.close();
      tmp.cleanup();
    }
  },
};
