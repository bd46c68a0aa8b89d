import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import type { BatchRow } from '../shared/model';
import { PROVIDER_IDS } from '../shared/providers';
import { FIXTURES } from '../test/fakes/base';
import { rowFor } from '../test/helpers/engine-harness';
import type { Figure } from './lib/figure';
import { startWorker } from './lib/rpc';
import { fmtMs, fmtNum, median, tempDir } from './lib/util';
import type { Api } from './workers/enqueue';

const TECHFORGE_PROJECT = '468ea7a0-66e1-4357-a760-236e54167f3e';

/** A batch CSV of `n` rows over every provider, reusing a few input files (as a real batch does). */
export function batchCsv(n: number): string {
  const rows: BatchRow[] = Array.from({ length: n }, (_, i) => {
    const r = rowFor(PROVIDER_IDS[i % PROVIDER_IDS.length]!, `Product tip ${i + 1}`, { techforgeProjectId: TECHFORGE_PROJECT });
    if (r.script) return { ...r, script: `Tip ${i + 1}: keep your receipts for thirty days, and ask about the extended warranty at the counter.` };
    if (r.prompt) return { ...r, prompt: `A presenter in a bright studio explains tip number ${i + 1} with a smile.` };
    return r;
  });
  const params = [...new Set(rows.flatMap((r) => Object.keys(r.params ?? {})))].sort();
  const header = ['title', 'provider', 'script', 'avatar', 'audio', 'video', 'prompt', ...params.map((k) => `param.${k}`)];
  const data = rows.map((r) => [r.title, r.provider, r.script ?? '', r.avatar ?? '', r.audio ?? '', r.video ?? '', r.prompt ?? '', ...params.map((k) => String(r.params?.[k] ?? ''))]);
  return Papa.unparse({ fields: header, data }, { newline: '\n' });
}

/**
 * Enqueue: a 10,000-row CSV read, parsed, checked (the few distinct input files are probed) and stored
 * in one transaction by the real admission, against the raw better-sqlite3 insert rate of the same rows
 * into the same table (one transaction, same pragmas). Median of 3 alternating runs in one process.
 */
export const enqueue: Figure = {
  id: 'enqueue',
  title: 'Enqueue',
  async run(o) {
    const n = o.quick ? 300 : 10_000;
    const reps = 3;
    const tmp = tempDir('enqueue');
    const worker = await startWorker<Api>('enqueue');
    try {
      for (const f of ['avatar.png', 'voice.wav', 'voice.mp3', 'sample.mp4']) copyFileSync(path.join(FIXTURES, f), path.join(tmp.dir, f));
      const csvFile = path.join(tmp.dir, 'batch.csv');
      writeFileSync(csvFile, batchCsv(n));
      const app: { ms: number; parseMs: number; admitMs: number }[] = [];
      const raw: number[] = [];
      for (let i = 0; i < reps; i++) {
        raw.push((await worker.call('raw', { dbFile: path.join(tmp.dir, `raw-${i}`, 'raw.db'), csvFile })).ms);
        const a = await worker.call('app', { dataDir: path.join(tmp.dir, `data-${i}`), csvFile, baseDir: tmp.dir, settings: { aisaEnabled: true } });
        if (a.rows !== n) throw new Error(`admitted ${a.rows} of ${n} rows`);
        app.push(a);
      }
      const appMs = median(app.map((a) => a.ms));
      const rawMs = median(raw);
      const appRate = n / (appMs / 1000);
      const rawRate = n / (rawMs / 1000);
      const share = appRate / rawRate;
      o.log(`enqueue: app ${fmtMs(appMs)}, raw ${fmtMs(rawMs)}`);
      return {
        rows: [
          {
            figure: `Enqueue: ${n.toLocaleString('en-US')}-row CSV validated and persisted`,
            value: fmtMs(appMs),
            baseline: `${fmtMs(rawMs)} (raw inserts, one transaction)`,
            ratio: `${fmtNum(appMs / rawMs)}× the raw time`,
            target: '≤ 1 s',
            pass: appMs <= 1000,
            raw: { value: appMs, baseline: rawMs, ratio: appMs / rawMs, unit: 'ms' },
          },
          {
            figure: 'Enqueue: rate vs raw better-sqlite3 inserts',
            value: `${Math.round(appRate).toLocaleString('en-US')} rows/s`,
            baseline: `${Math.round(rawRate).toLocaleString('en-US')} rows/s`,
            ratio: `${fmtNum(share * 100, 0)}%`,
            target: '≥ 25% of raw',
            pass: share >= 0.25,
            raw: { value: appRate, baseline: rawRate, ratio: share, unit: 'rows/s' },
          },
        ],
        notes: [
          `${n} rows over all six providers, 4 distinct input files; median of ${reps} runs in one process (app runs: ${app.map((a) => fmtMs(a.ms)).join(', ')}; raw: ${raw.map(fmtMs).join(', ')}).`,
          `App time split (median run): read + parse ${fmtMs(median(app.map((a) => a.parseMs)))}, check + store ${fmtMs(median(app.map((a) => a.admitMs)))}.`,
        ],
        details: { n, app, raw },
      };
    } finally {
      await worker.close();
      tmp.cleanup();
    }
  },
};
