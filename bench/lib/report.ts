import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One line of the results table. Every figure is compared with something measured in the same run
 * (these machines are noisy); `pass` is null when the figure could not be measured (SKIP).
 */
export type Row = Readonly<{
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  pass: boolean | null;
  /** The numbers behind the text, for the JSON file. */
  raw: Readonly<{ value: number | null; baseline: number | null; ratio: number | null; unit: string }>;
}>;

export type FigureResult = Readonly<{
  id: string;
  title: string;
  rows: readonly Row[];
  /** How it was measured and anything a reader of a FAIL needs. */
  notes: readonly string[];
  details: Readonly<Record<string, unknown>>;
  seconds: number;
  error?: string;
}>;

export type SuiteResult = Readonly<{
  startedAt: string;
  quick: boolean;
  machine: Readonly<{ cpus: number; cpuModel: string; memGiB: number; node: string; platform: string; loadAvgAtStart: number; loadAvgAtEnd?: number }>;
  figures: readonly FigureResult[];
  seconds: number;
}>;

export function machine(): SuiteResult['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${os.release()}`,
    // Other work on the machine (1-minute load average): these numbers are only as quiet as the machine.
    loadAvgAtStart: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export function verdict(pass: boolean | null): string {
  return pass === null ? 'SKIP' : pass ? 'PASS' : 'FAIL';
}

/** The results table as Markdown (what the terminal shows and what README's Performance section holds). */
export function markdownTable(figures: readonly FigureResult[]): string {
  const head = ['figure', 'value', 'baseline (same run)', 'ratio', 'target', 'result'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const f of figures) {
    if (f.error && !f.rows.length) {
      lines.push(`| ${f.title} | error | – | – | – | ERROR: ${oneLine(f.error).slice(0, 160)} |`);
      continue;
    }
    for (const r of f.rows) lines.push(`| ${[r.figure, r.value, r.baseline, r.ratio, r.target, verdict(r.pass)].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function cell(s: string): string {
  return oneLine(s).replace(/\|/g, '\\|');
}

export function notesText(figures: readonly FigureResult[]): string {
  const out: string[] = [];
  for (const f of figures) {
    out.push(`${f.title} (${f.seconds.toFixed(0)} s)`);
    for (const n of f.notes) out.push(`  - ${n}`);
    if (f.error) out.push(`  - ERROR: ${f.error.split('\n').slice(0, 6).join('\n    ')}`);
  }
  return out.join('\n');
}

/** Writes bench/results/bench-<time>.json and bench/results/latest.json; returns the first path. */
export function writeResults(result: SuiteResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const name = `bench-${result.startedAt.replace(/[:.]/g, '-')}${result.quick ? '-quick' : ''}.json`;
  const file = path.join(dir, name);
  const text = JSON.stringify(result, null, 2);
  writeFileSync(file, text);
  writeFileSync(path.join(dir, result.quick ? 'latest-quick.json' : 'latest.json'), text);
  return file;
}
