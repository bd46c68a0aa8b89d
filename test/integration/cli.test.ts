import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * The `talkbatch` command as a user runs it: `node bin/talkbatch.cjs …` in child processes, against
 * the bundle `npm run build:node` makes.
 */

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'talkbatch.cjs');
const FIXTURES = path.join(REPO, 'test', 'fixtures');

type Run = { code: number | null; stdout: string; stderr: string };

/** The environment without any TALKBATCH_* variable of the machine (keys, data dir, base URLs). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TALKBATCH_')));
}

function cli(args: readonly string[], o: { stdin?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: cleanEnv(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`talkbatch ${args.join(' ')} did not finish within ${o.timeoutMs ?? 25_000} ms\n${stdout}\n${stderr}`));
    }, o.timeoutMs ?? 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(o.stdin ?? '');
  });
}

let work: string;
let dataDir: string;
const started: ChildProcessWithoutNullStreams[] = [];

beforeAll(() => {
  execFileSync('npm', ['run', 'build:node'], { cwd: REPO, stdio: 'pipe' });
  expect(existsSync(path.join(REPO, 'dist', 'electron', 'cli.cjs'))).toBe(true);
}, 60_000);

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'tb-cli-'));
  dataDir = path.join(work, 'data');
  for (const f of ['avatar.png', 'voice.wav']) copyFileSync(path.join(FIXTURES, f), path.join(work, f));
});

afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const D = () => ['--data-dir', dataDir];
const write = (name: string, text: string) => {
  writeFileSync(path.join(work, name), text);
  return path.join(work, name);
};

/** Two quick local drafts (480p, no captions) in the examples/ style: paths relative to the CSV. */
const GOOD_CSV = [
  'title,provider,script,avatar,audio,param.aspect_ratio,param.height,param.captions',
  'Welcome,local,"Hi, and welcome.",avatar.png,voice.wav,1:1,480,off',
  'Tip one,local,"Use a window as your key light.",avatar.png,,16:9,480,off',
].join('\n');

async function jobsJson(): Promise<{ status: string; row: number; input: { title: string } }[]> {
  const r = await cli(['jobs', '--json', ...D()]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { status: string; row: number; input: { title: string } }[];
}

describe('talkbatch --help', () => {
  it('prints the usage and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Talkbatch \d+\.\d+\.\d+ — batch talking-video production/);
    for (const cmd of ['talkbatch run <batch.csv|batch.jsonl>', 'talkbatch work', 'talkbatch jobs', 'talkbatch keys set <provider>', 'talkbatch serve']) {
      expect(r.stdout).toContain(cmd);
    }
    expect(r.stdout).toContain('Exit code: 0 all completed, 1 any failed or canceled, 2 invalid input.');
    expect(r.stderr).toBe('');
  });

  it('prints the version; no command or an unknown one is a usage error (2)', async () => {
    const [v, none, unknown, badFlag] = await Promise.all([cli(['--version']), cli([]), cli(['launch', ...D()]), cli(['run', 'x.csv', '--frobnicate'])]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(none.code).toBe(2);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Unknown command "launch"\./);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--frobnicate'/);
  });
});

describe('talkbatch run with invalid input', () => {
  it('exits 2, prints each problem with its row and field, and queues nothing', async () => {
    const csv = write(
      'bad.csv',
      [
        'title,provider,avatar,audio,script',
        'Good,local,avatar.png,voice.wav,Hello',
        'CON,local,avatar.png,voice.wav,Reserved title',
        'Elsewhere,heygen,avatar.png,voice.wav,Unknown provider',
        'Missing,local,missing.png,voice.wav,No such file',
      ].join('\n') + '\n',
    );
    const r = await cli(['run', csv, ...D()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`${csv}: 3 problem(s) found; nothing was queued.`);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}row 2, title: "CON" cannot name a file .*\(accepted: a plain title, e\.g\. "_CON"\)$/),
      expect.stringMatching(/^ {2}row 3, provider: "heygen" is not a provider \(accepted: .*local\)$/),
      expect.stringMatching(/^ {2}row 4, avatar: .*missing\.png does not exist \(accepted: a path to an existing file/),
    ]);
    const [jobs, batches] = await Promise.all([jobsJson(), cli(['batches', '--json', ...D()])]);
    expect(jobs).toEqual([]);
    expect(JSON.parse(batches.stdout)).toEqual([]);
  });

  it('reports parameter problems with the param.<name> field', async () => {
    const csv = write('params.csv', 'title,provider,avatar,audio,param.height,param.fps\nTall,local,avatar.png,voice.wav,999,60\n');
    const r = await cli(['run', csv, ...D()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ {2}row 1, param\.height: .* \(accepted: 480, 720, 1080\)$/m);
    expect(r.stderr).toMatch(/^ {2}row 1, params: Unrecognized key: "fps" \(accepted: only these parameters: aspect_ratio, height, captions\)$/m);
    expect(await jobsJson()).toEqual([]);
  });

  it('exits 2 on a broken CSV before checking any file', async () => {
    const csv = write('broken.csv', 'title,provider,avatar,audio\nFine,local,avatar.png,voice.wav\nShort,local\n"Open,local,avatar.png,voice.wav\n');
    const r = await cli(['run', csv, ...D()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('  row 2, file: has 2 fields, the header has 4 (accepted: the same number of fields on every line)');
    expect(r.stderr).toContain('  row 3, file: CSV has an unclosed quote');
    expect(await jobsJson()).toEqual([]);
  });

  it('--json prints the problems as JSON', async () => {
    const csv = write('bad.jsonl', '{"title":"x","provider":"local","avatar":"nope.png","script":"Hi"}\n');
    const r = await cli(['run', csv, '--json', ...D()]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { ok: boolean; file: string; issues: { row: number; field: string; accepted: string }[] };
    expect(out).toMatchObject({ ok: false, file: csv });
    expect(out.issues).toEqual([expect.objectContaining({ row: 1, field: 'avatar', accepted: expect.stringContaining('existing file') })]);
    expect(await jobsJson()).toEqual([]);
  });

  it('exits 2 when the batch file cannot be read', async () => {
    const r = await cli(['run', path.join(work, 'nope.csv'), ...D()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Cannot read .*nope\.csv/);
  });
});

describe('talkbatch run --wait with the local renderer', () => {
  it('renders every row, exits 0, and the videos are in the library', async () => {
    const csv = write('drafts.csv', GOOD_CSV);
    const r = await cli(['run', csv, '--wait', ...D()], { timeoutMs: 55_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^Queued 2 job\(s\) as batch [0-9a-f-]{36} — estimated cost free\./m);
    expect(r.stdout).toMatch(/2\/2 done/);
    expect(r.stdout).toContain(`Library: ${path.join(dataDir, 'Library')}`);

    const folder = path.join(dataDir, 'Library', 'drafts');
    const files = readdirSync(folder).sort();
    expect(files.filter((f) => f.endsWith('.mp4'))).toEqual(['001-Welcome-local.mp4', '002-Tip one-local.mp4']);
    expect(files.filter((f) => f.endsWith('.json'))).toEqual(['001-Welcome-local.json', '002-Tip one-local.json']);
    for (const f of files.filter((x) => x.endsWith('.mp4'))) {
      const bytes = readFileSync(path.join(folder, f));
      expect(bytes.length).toBeGreaterThan(1000);
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    }
    const sidecar = JSON.parse(readFileSync(path.join(folder, '001-Welcome-local.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ provider: 'local', title: 'Welcome' });
    expect((await jobsJson()).map((j) => [j.row, j.status])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
    ]);
    // The lock was released at the end.
    expect(existsSync(path.join(dataDir, 'talkbatch.lock'))).toBe(false);
  }, 60_000);
});

describe('talkbatch keys', () => {
  const KEY = 'sk-sync-CANARY-3f9a8b7c6d5e4f21';

  it('reads the key from stdin, lists only its last 4 characters, and never prints or logs it', async () => {
    const set = await cli(['keys', 'set', 'sync', '--label', 'Work', ...D()], { stdin: `${KEY}\n` });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout.trim()).toBe('Saved "Work" for sync: apiKey=••••4f21');

    const list = await cli(['keys', 'list', ...D()]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^[0-9a-f-]{36} {2}sync {6}Work \(active\) {2}apiKey=••••4f21$/m);

    const multi = await cli(['keys', 'set', 'creatify', ...D()], { stdin: 'apiId=my-public-id\napiKey=cf-CANARY-secret-9911\n' });
    expect(multi.code, multi.stderr).toBe(0);
    expect(multi.stdout).toContain('apiId=my-public-id apiKey=••••9911');

    const outputs = [set, list, multi].flatMap((r) => [r.stdout, r.stderr]).join('\n');
    expect(outputs).not.toContain(KEY);
    expect(outputs).not.toContain('CANARY');
    // Not in the log, not in the database files either.
    for (const dir of ['logs', '.']) {
      const abs = path.join(dataDir, dir);
      if (!existsSync(abs)) continue;
      for (const f of readdirSync(abs)) {
        const file = path.join(abs, f);
        if (!statSync(file).isFile()) continue;
        expect(readFileSync(file).includes(Buffer.from('CANARY')), file).toBe(false);
      }
    }
  });

  it('refuses an empty stdin and unknown providers with exit 2', async () => {
    const [empty, unknown, local] = await Promise.all([
      cli(['keys', 'set', 'sync', ...D()], { stdin: '' }),
      cli(['keys', 'set', 'heygen', ...D()], { stdin: 'x' }),
      cli(['keys', 'set', 'local', ...D()], { stdin: 'x' }),
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/Nothing read from stdin/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown provider "heygen"/);
    // The providers that take a key, from their specs (the local renderer has none), and the asset host.
    expect(unknown.stderr).toMatch(/Accepted: oshara, techforge, aisa, sync, creatify, assethost$/m);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/needs no key/);
    expect((await cli(['keys', 'list', ...D()])).stdout).toBe('');
  });
});

describe('talkbatch work', () => {
  it('exits 0 when nothing is queued', async () => {
    const r = await cli(['work', ...D()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0/0 done');
    expect(existsSync(path.join(dataDir, 'talkbatch.lock'))).toBe(false);
  });
});

describe('the data-dir lock', () => {
  it('a second run --wait while another process holds the lock: a clear message and exit 3, nothing queued', async () => {
    const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...D()], { cwd: work, env: cleanEnv(), stdio: 'pipe' });
    started.push(serve);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
      serve.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Open: ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      serve.stderr.on('data', (c: Buffer) => (out += c.toString()));
      serve.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    });

    const csv = write('drafts.csv', GOOD_CSV);
    const r = await cli(['run', csv, '--wait', ...D()]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(
      new RegExp(`^Talkbatch is already running for ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(server, process ${serve.pid}, started .*\\) at http://127\\.0\\.0\\.1:\\d+\\. Only one Talkbatch can own a queue at a time: use that one, stop it first, or choose another --data-dir\\.$`),
    );
    const work2 = await cli(['work', ...D()]);
    expect(work2.code).toBe(3);
    expect(await jobsJson()).toEqual([]);

    const exited = new Promise<number | null>((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'talkbatch.lock'))).toBe(false);
  });
});
