import path from 'node:path';
import { markdownTable, notesText, writeResults } from './lib/report';
import { FIGURES, RESULTS_DIR, runSuite } from './suite';

/**
 * `npm run bench` (builds first): runs every figure, prints one results table and writes it as JSON
 * to bench/results/. It reports; it does not gate: a figure that misses its target prints FAIL and the
 * exit code stays 0. Only a figure that could not run at all (an error in the bench) exits 1.
 *
 *   npm run bench                      the full suite (~10 minutes on 2 cores)
 *   npm run bench -- --quick           small sizes (what the smoke test runs)
 *   npm run bench -- --only=download,upload
 */
async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? onlyArg.slice('--only='.length).split(',').filter(Boolean) : undefined;
  if (argv.includes('--help')) {
    process.stdout.write(`usage: npm run bench -- [--quick] [--only=${FIGURES.map((f) => f.id).join(',')}]\n`);
    return 0;
  }
  const unknown = only?.filter((id) => !FIGURES.some((f) => f.id === id)) ?? [];
  if (unknown.length) {
    process.stderr.write(`unknown figure(s): ${unknown.join(', ')}; known: ${FIGURES.map((f) => f.id).join(', ')}\n`);
    return 2;
  }
  const result = await runSuite({ quick, ...(only ? { only } : {}) });
  const file = writeResults(result, RESULTS_DIR);
  const m = result.machine;
  process.stdout.write(
    `\nTalkbatch benchmarks${quick ? ' (--quick: small sizes, not comparable with the targets)' : ''} — ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}, load average ${m.loadAvgAtStart} at start, ${m.loadAvgAtEnd ?? '?'} at end\n\n`,
  );
  process.stdout.write(`${markdownTable(result.figures)}\n\n${notesText(result.figures)}\n\n`);
  process.stdout.write(`Results written to ${path.relative(process.cwd(), file)} (${result.seconds.toFixed(0)} s in all)\n`);
  return result.figures.some((f) => f.error) ? 1 : 0;
}

// Ctrl+C: exit through process.exit so the temp folders and worker bundles are removed.
process.once('SIGINT', () => {
  process.stderr.write('\nbench: interrupted\n');
  process.exit(130);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${String((e as Error)?.stack ?? e)}\n`);
    process.exitCode = 1;
  },
);
