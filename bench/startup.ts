import { statSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../electron/core/db/open';
import type { Figure } from './lib/figure';
import { startWorker } from './lib/rpc';
import { seedJobs, type StatusMix } from './lib/seed';
import { fmtBytes, fmtMs, fmtNum, median, tempDir } from './lib/util';
import type { Api } from './workers/startup';

/** 100,000 jobs as a long-used install has them: mostly finished, a few thousand still live. */
function mixFor(total: number): StatusMix {
  const live = (share: number) => Math.round(total * share);
  const mix: [StatusMix[number][0], number][] = [
    ['queued', live(0.015)],
    ['running', live(0.01)],
    ['downloading', live(0.002)],
    ['paused', live(0.003)],
    ['failed', live(0.03)],
    ['canceled', live(0.01)],
  ];
  const rest = total - mix.reduce((a, [, n]) => a + n, 0);
  return [['completed', rest], ...mix];
}

/**
 * Start-up: core ready (database opened, migrations checked, queue recovered) in a fresh process with
 * 100,000 jobs in the database (timeline events and library outputs included), against the same
 * start-up with an empty data folder in the same run. Median of 5 fresh processes each.
 */
export const startup: Figure = {
  id: 'startup',
  title: 'Start-up',
  async run(o) {
    const total = o.quick ? 2_000 : 100_000;
    const reps = o.quick ? 1 : 5;
    const tmp = tempDir('startup');
    try {
      const full = path.join(tmp.dir, 'full');
      const empty = path.join(tmp.dir, 'empty');
      const t0 = Date.now();
      const db = openDatabase(path.join(full, 'talkbatch.db'));
      const mix = mixFor(total);
      seedJobs(db, { perBatch: 1000, mix, thumbnail: 'thumb.jpg' });
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      o.log(`start-up: seeded ${total} jobs in ${((Date.now() - t0) / 1000).toFixed(1)} s (${fmtBytes(statSync(path.join(full, 'talkbatch.db')).size)})`);
      const measure = async (dataDir: string) => {
        const w = await startWorker<Api>('startup');
        try {
          return await w.call('measure', { dataDir });
        } finally {
          await w.close();
        }
      };
      const fullRuns = [];
      const emptyRuns = [];
      for (let i = 0; i < reps; i++) {
        emptyRuns.push(await measure(empty));
        fullRuns.push(await measure(full));
      }
      const readyMs = median(fullRuns.map((r) => r.readyMs));
      const emptyMs = median(emptyRuns.map((r) => r.readyMs));
      return {
        rows: [
          {
            figure: `Start-up: core ready with ${total.toLocaleString('en-US')} jobs in the database`,
            value: fmtMs(readyMs),
            baseline: `${fmtMs(emptyMs)} (empty data folder)`,
            ratio: `${fmtNum(readyMs / emptyMs)}×`,
            target: '≤ 300 ms',
            pass: readyMs <= 300,
            raw: { value: readyMs, baseline: emptyMs, ratio: readyMs / emptyMs, unit: 'ms' },
          },
        ],
        notes: [
          `Job mix: ${mix.map(([s, n]) => `${n} ${s}`).join(', ')}; ${fmtBytes(statSync(path.join(full, 'talkbatch.db')).size)} database. Median of ${reps} fresh processes.`,
          `Split (median): open core ${fmtMs(median(fullRuns.map((r) => r.openMs)))} + recover queue ${fmtMs(median(fullRuns.map((r) => r.resumeMs)))}; initialising the core's modules first took ${fmtMs(median(fullRuns.map((r) => r.importMs)))} (not counted).`,
        ],
        details: { total, mix, fullRuns, emptyRuns },
      };
    } finally {
      tmp.cleanup();
    }
  },
};
