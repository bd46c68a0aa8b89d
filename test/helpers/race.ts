import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Runs `body` in `n` separate Node processes that start at the same millisecond: the way to test what
 * happens when several Talkbatch processes open one data folder at once.
 */
export async function raceInProcesses(n: number, dir: string, imports: string, body: string): Promise<{ code: number | null; out: string; err: string }[]> {
  const script = path.join(dir, `race-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    script,
    `${imports}
process.stdout.write('ready\\n');
process.stdin.once('data', async (go: Buffer) => {
  // Start together, to the millisecond: spin until the moment the parent named.
  const at = Number(go.toString().trim());
  while (Date.now() < at) {
    // spin
  }
  try {
    const result = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify({ ok: true, result }) + '\\n');
    process.exit(0);
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: String((e as Error)?.stack ?? e) }) + '\\n');
    process.exit(1);
  }
});
`,
  );
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve(__dirname, '..', '..'), stdio: 'pipe' }));
  const outputs = children.map(() => ({ out: '', err: '' }));
  children.forEach((c, i) => {
    c.stdout.on('data', (d: Buffer) => (outputs[i]!.out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (outputs[i]!.err += d.toString()));
  });
  const exited = children.map((c) => new Promise<number | null>((r) => c.once('exit', r)));
  await Promise.all(
    children.map(
      (c, i) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (outputs[i]!.out.includes('ready\n')) resolve();
          };
          c.stdout.on('data', check);
          c.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready: ${outputs[i]!.err}`)));
          check();
        }),
    ),
  );
  const at = Date.now() + 150;
  for (const c of children) c.stdin.write(`${at}\n`);
  const codes = await Promise.all(exited);
  return codes.map((code, i) => ({ code, out: outputs[i]!.out.replace('ready\n', '').trim(), err: outputs[i]!.err }));
}
