import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSONL_LINE } from '../../../shared/batch-format';
import { openCore } from '../../../electron/core/app-core';
import { createHandlers } from '../../../electron/core/handlers';
import { fileKeyCipher } from '../../../electron/core/secrets/cipher';
import { FIXTURES } from '../../fakes/base';
import { cleanEnv, ensureCliBuilt, exitOf, killAll, talkbatch } from '../../reliability/lib/cli';

/**
 * The issue's bad-input cases that test/integration/admission.test.ts (admission in-process) and
 * test/unit/batch-format.test.ts (the parsers) do not already cover end to end, through the real
 * `talkbatch run`: duplicate headers, a BOM with CRLF line ends (accepted), a giant JSONL line, an aisa
 * reference image that cannot be fitted to the video size (a URL), and file-name templates with
 * traversal or reserved names (Settings). Each is refused with a message naming the row (where there
 * is one), the field and what is accepted; nothing is queued; the batch already queued is untouched.
 */

let work: string;
let dataDir: string;
const env = cleanEnv();
const cli = (args: string[]) => talkbatch([...args, '--data-dir', dataDir], { cwd: work, env });
const write = (name: string, text: string) => {
  writeFileSync(path.join(work, name), text);
  return path.join(work, name);
};

async function run(args: string[]) {
  const r = cli(args);
  const exit = await exitOf(r, 30_000, `talkbatch ${args.join(' ')}`);
  return { code: exit.code, stdout: r.stdout(), stderr: r.stderr() };
}

/** The queue as `talkbatch jobs --json` shows it. */
async function queue(): Promise<unknown> {
  const r = await run(['jobs', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { id: string; status: string; input: { title: string } }[]).map((j) => [j.id, j.status, j.input.title]);
}

beforeAll(async () => {
  ensureCliBuilt();
  work = mkdtempSync(path.join(tmpdir(), 'tb-bad-input-'));
  dataDir = path.join(work, 'data');
  for (const f of ['avatar.png', 'voice.wav']) copyFileSync(path.join(FIXTURES, f), path.join(work, f));
  const core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: false, noLock: true });
  core.settings.set({ aisaEnabled: true });
  await core.close();
  // Already queued, and must stay exactly so whatever is refused after it.
  const seeded = await run(['run', write('seed.csv', 'title,provider,script,avatar,audio\nSeed one,local,Hello,avatar.png,voice.wav\nSeed two,local,Hi,avatar.png,voice.wav\n')]);
  expect(seeded.code, seeded.stderr).toBe(0);
}, 60_000);

afterAll(() => {
  killAll();
  rmSync(work, { recursive: true, force: true });
});

describe('refused batch files', () => {
  it.each([
    [
      'duplicate headers (differing only in case)',
      'dupes.csv',
      'title,provider,script,Script,avatar\nA,local,one,two,avatar.png\n',
      [/^ {2}Script: the column "Script" appears twice \(accepted: each column once\)$/m],
    ],
    [
      'a JSONL line over 1 MiB',
      'giant.jsonl',
      `{"title":"Fine","provider":"local","script":"Hi","avatar":"avatar.png"}\n${JSON.stringify({ title: 'Giant', provider: 'local', script: 'x'.repeat(MAX_JSONL_LINE), avatar: 'avatar.png' })}\n`,
      [/^ {2}row 2, file: the line is 1025 KB long \(accepted: lines up to 1024 KB\)$/m],
    ],
    [
      'an aisa reference image that cannot be fitted to the video size (a URL)',
      'aisa-ref.csv',
      'title,provider,prompt,avatar,param.size\nFramed,aisa,A presenter waves,https://cdn.example.com/face.png,1280x720\n',
      [/^ {2}row 1, avatar: aisa needs the reference image resized to the exact video size before upload, so the image must be a local file .*\(accepted: .+\)$/m],
    ],
    [
      'bad quoting',
      'quotes.csv',
      'title,provider,script,avatar\nFine,local,Hi,avatar.png\n"Broken,local,Oops,avatar.png\n',
      [/^ {2}row 2, file: CSV has an unclosed quote \(accepted: standard CSV.*\)$/m],
    ],
  ])('%s: exit 2, the row and field named with what is accepted, nothing queued', async (_what, name, text, lines) => {
    const before = await queue();
    const file = write(name, text);
    const r = await run(['run', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+ problem\\(s\\) found; nothing was queued\\.$`, 'm'));
    for (const l of lines) expect(r.stderr).toMatch(l);
    expect(await queue()).toEqual(before);
  });

  it('a BOM and CRLF line ends (Excel) are read as they should be, and queued', async () => {
    const before = (await queue()) as unknown[];
    const r = await run(['run', write('excel.csv', '\uFEFFtitle,provider,script,avatar,audio\r\nFrom Excel,local,"Hello, world",avatar.png,voice.wav\r\n')]);
    expect(r.code, r.stderr).toBe(0);
    const after = (await queue()) as [string, string, string][];
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map(([, status, title]) => [status, title])).toEqual([['queued', 'From Excel']]);
  });
});

describe('file-name templates (Settings)', () => {
  it.each([
    ['../{title}', 'must not contain / \\ or ..'],
    ['{batch}/{title}', 'must not contain / \\ or ..'],
    ['CON', '"CON" makes reserved file names (CON, PRN, AUX, NUL, COM1–9, LPT1–9)'],
    ['nul.{row}', '"nul.{row}" makes reserved file names (CON, PRN, AUX, NUL, COM1–9, LPT1–9)'],
    ['{row}-{titel}', 'unknown token {titel}'],
  ])('%s is refused, naming the field and the tokens accepted; the setting is unchanged', async (template, message) => {
    const core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: false, noLock: true });
    try {
      const handlers = createHandlers(core, { version: 'test', mode: 'server' });
      await expect(Promise.resolve().then(() => handlers['settings:set']({ patch: { fileNameTemplate: template } }))).rejects.toMatchObject({
        code: 'invalid_settings',
        issues: expect.arrayContaining([{ field: 'fileNameTemplate', message, accepted: 'text and the tokens {row} {title} {provider} {batch} {date} {job} {model}' }]),
      });
      expect(core.settings.get().fileNameTemplate).toBe('{row}-{title}-{provider}');
    } finally {
      // Whatever happened, the next case starts from the default.
      core.settings.set({ fileNameTemplate: '{row}-{title}-{provider}' });
      await core.close();
    }
  });
});
