import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownTable, writeResults } from '../../bench/lib/report';
import { removeBundles } from '../../bench/lib/rpc';
import { tempDir } from '../../bench/lib/util';
import { FIGURES, runSuite } from '../../bench/suite';

/**
 * A short run of the benchmark suite (`npm run bench -- --quick` sizes, every figure at once): proves
 * the bench machinery still works — workers, fakes, measurements, table and JSON. The numbers of a
 * quick run mean nothing and are not checked against the targets.
 */
describe('benchmark suite (quick smoke run)', () => {
  afterAll(() => removeBundles());

  it('runs every figure and reports each as a table row with numbers', { timeout: 90_000 }, async () => {
    const lines: string[] = [];
    const result = await runSuite({ quick: true, parallel: true, log: (l) => lines.push(l) });

    expect(result.figures.map((f) => f.id)).toEqual(FIGURES.map((f) => f.id));
    for (const f of result.figures) {
      expect(f.error, `${f.title} failed:\n${f.error}\n${lines.join('\n')}`).toBeUndefined();
      expect(f.rows.length, f.title).toBeGreaterThan(0);
      for (const r of f.rows) {
        // Measured rows carry their numbers; SKIP rows (no curl, no Chromium, UI not built) say why.
        if (r.pass === null) expect(r.baseline, r.figure).not.toBe('');
        else {
          expect(Number.isFinite(r.raw.value), `${r.figure}: value ${r.raw.value}`).toBe(true);
          expect(Number.isFinite(r.raw.baseline), `${r.figure}: baseline ${r.raw.baseline}`).toBe(true);
        }
      }
    }

    const byId = new Map(result.figures.map((f) => [f.id, f]));
    // Every simulated render completed and was counted.
    expect(byId.get('poll-economy')!.details.counts).toEqual({ completed: 10 });
    // The download cut at 50% resumed from where it stopped, with an identical file.
    const resume = byId.get('download')!.rows.find((r) => r.figure.includes('resume'))!;
    expect(resume.raw.ratio).toBeGreaterThan(0.45);
    expect(resume.raw.ratio).toBeLessThan(0.55);

    const table = markdownTable(result.figures);
    for (const f of result.figures) for (const r of f.rows) expect(table).toContain(r.figure);
    const out = tempDir('smoke');
    try {
      const file = writeResults(result, out.dir);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ quick: true, figures: expect.any(Array) });
    } finally {
      out.cleanup();
    }
  });
});
