import os from 'node:os';
import path from 'node:path';
import type { Figure } from './lib/figure';
import { machine, type FigureResult, type SuiteResult } from './lib/report';
import { enqueue } from './enqueue';
import { idleEngine } from './idle-engine';
import { pollEconomy } from './poll-economy';
import { startup } from './startup';
import { ui } from './ui';
import { download, upload } from './transfer';

/** Every figure of the benchmark suite, in the order they run and print. */
export const FIGURES: readonly Figure[] = [pollEconomy, enqueue, idleEngine, download, upload, startup, ui];

export const RESULTS_DIR = path.resolve(__dirname, 'results');

export type SuiteOptions = Readonly<{
  quick: boolean;
  /** Figure ids to run (default: all). */
  only?: readonly string[];
  /** Run the figures at once (the smoke test: it checks the machinery, the numbers mean nothing then). */
  parallel?: boolean;
  log?: (line: string) => void;
}>;

/** Runs the figures (one after another by default); a figure that throws is reported as an error, the rest still run. */
export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const m = machine();
  const one = async (f: Figure): Promise<FigureResult> => {
    const t0 = Date.now();
    log(`▶ ${f.title}${o.quick ? ' (quick)' : ''}`);
    let r: FigureResult;
    try {
      r = { id: f.id, title: f.title, ...(await f.run({ quick: o.quick, log: (line) => log(`  ${line}`) })), seconds: (Date.now() - t0) / 1000 };
    } catch (e) {
      r = { id: f.id, title: f.title, rows: [], notes: [], details: {}, seconds: (Date.now() - t0) / 1000, error: String((e as Error)?.stack ?? e) };
    }
    log(`  ${f.title} done in ${r.seconds.toFixed(1)} s`);
    return r;
  };
  const chosen = FIGURES.filter((f) => !o.only?.length || o.only.includes(f.id));
  const figures: FigureResult[] = [];
  if (o.parallel) figures.push(...(await Promise.all(chosen.map(one))));
  else for (const f of chosen) figures.push(await one(f));
  const loadAvgAtEnd = Math.round(os.loadavg()[0]! * 100) / 100;
  return { startedAt: new Date(started).toISOString(), quick: o.quick, machine: { ...m, loadAvgAtEnd }, figures, seconds: (Date.now() - started) / 1000 };
}
