import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCsv } from '../../shared/batch-format';
import type { BatchRow } from '../../shared/model';
import { AppError, type Issue } from '../../shared/result';
import { openCore, type Core } from '../../electron/core/app-core';
import { ffmpegPath } from '../../electron/core/media/binaries';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';

/**
 * Admission refuses bad input before anything is stored or sent: every problem names the row, the
 * field and what is accepted; nothing of the batch is queued; the batches already queued are untouched.
 */

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
let inputs: string;
const F = (name: string) => path.join(inputs, name);

beforeAll(() => {
  inputs = mkdtempSync(path.join(tmpdir(), 'tb-admission-inputs-'));
  for (const f of ['avatar.png', 'voice.wav', 'voice.mp3', 'sample.mp4']) copyFileSync(path.join(FIXTURES, f), F(f));
  const png = readFileSync(F('avatar.png'));
  writeFileSync(F('truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  execFileSync(ffmpegPath(), ['-v', 'error', '-i', F('avatar.png'), '-y', F('avatar.jpg')]);
  const jpg = readFileSync(F('avatar.jpg'));
  writeFileSync(F('truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
  copyFileSync(F('avatar.jpg'), F('really-a-jpeg.png'));
  writeFileSync(F('notes.wav'), 'These are my notes for the voice-over, not audio.\n');
  writeFileSync(F('empty.png'), '');
  writeFileSync(F('empty.wav'), '');
  writeFileSync(F('script.txt'), 'Hello');
  mkdirSync(F('a-folder.png'));
  // A valid PNG of 51 MiB (a private ancillary chunk of zeros before IEND): over the local
  // renderer's 50 MiB image limit, yet it decodes.
  const iend = png.length - 12;
  const data = Buffer.alloc(51 * 1024 * 1024);
  const type = Buffer.from('tbPd');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(type)) >>> 0);
  writeFileSync(F('huge.png'), Buffer.concat([png.subarray(0, iend), len, type, data, crc, png.subarray(iend)]));
  // 61 s of audio: over Creatify aurora_v2's 59.7 s.
  execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=220:duration=61', '-y', F('long.wav')]);
});
afterAll(() => rmSync(inputs, { recursive: true, force: true }));

let dataDir: string;
let core: Core;

function open(): Core {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tb-admission-'));
  return openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: false });
}

async function closeCore(): Promise<void> {
  await core.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const fine = (title = 'Fine'): BatchRow => ({ title, provider: 'local', avatar: 'avatar.png', audio: 'voice.wav', script: 'Hello there.' });

/** Everything admission could have touched. */
function snapshot() {
  const count = (t: string) => (core.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.relative(core.paths.assets, path.join(dir, e.name))]));
  return {
    batches: core.batches.summaries(),
    jobs: core.jobs.list(),
    events: count('job_events'),
    assets: core.db.prepare('SELECT * FROM assets ORDER BY id').all(),
    store: files(core.paths.assets).sort(),
  };
}

type Want = Readonly<{ row: number; field: string; message: RegExp; accepted: RegExp }>;

/** Admits `rows` (row 1 is always valid), expects a refusal naming `want`, and checks nothing changed. */
async function expectRejected(rows: readonly BatchRow[], want: Want, baseDir = inputs): Promise<readonly Issue[]> {
  const before = snapshot();
  const err = await core.admission.admit({ name: 'Bad batch', rows, baseDir }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'the batch was admitted').toBeInstanceOf(AppError);
  const e = err as AppError;
  expect(e.code).toBe('invalid_batch');
  expect(e.message).toMatch(/^\d+ problems? found; nothing was queued$/);
  const issues = e.issues ?? [];
  expect(issues).toContainEqual(expect.objectContaining({ row: want.row, field: want.field, message: expect.stringMatching(want.message), accepted: expect.stringMatching(want.accepted) }));
  for (const i of issues) {
    expect(i.row, JSON.stringify(i)).toBeTypeOf('number');
    expect(i.field).toMatch(/\S/);
    expect(i.message).toMatch(/\S/);
    expect(i.accepted ?? '', `no "accepted" in ${JSON.stringify(i)}`).toMatch(/\S/);
  }
  // The valid row is not blamed for the bad one.
  expect(issues.filter((i) => i.row === 1 && want.row !== 1)).toEqual([]);
  // Nothing was queued and the rest of the queue is as it was.
  expect(snapshot()).toEqual(before);
  // Preflight says the same, without touching anything either.
  const report = await core.admission.preflight(rows, baseDir);
  expect(report.ok).toBe(false);
  expect(report.rows.find((r) => r.row === want.row)?.issues).toContainEqual(expect.objectContaining({ field: want.field }));
  expect(snapshot()).toEqual(before);
  return issues;
}

describe('admission refuses bad input', () => {
  let seeded: { batchId: string; jobIds: string[] };

  beforeEach(async () => {
    core = open();
    seeded = await core.admission.admit({ name: 'Already queued', rows: [fine('Seed one'), fine('Seed two')], baseDir: inputs });
    expect(seeded.jobIds).toHaveLength(2);
  });
  afterEach(async () => {
    // The seeded batch is still there, whole, whatever the test did.
    try {
      expect(core.jobs.list({ batchId: seeded.batchId }).map((j) => j.status)).toEqual(['queued', 'queued']);
    } finally {
      await closeCore();
    }
  });

  describe('files', () => {
    it('a truncated PNG', async () => {
      await expectRejected([fine(), { ...fine('Broken PNG'), avatar: 'truncated.png' }], {
        row: 2,
        field: 'avatar',
        message: /^truncated\.png cannot be read as an image: /,
        accepted: /^an undamaged image file$/,
      });
    });

    it('a truncated JPG', async () => {
      await expectRejected([fine(), { ...fine('Broken JPG'), avatar: 'truncated.jpg' }], {
        row: 2,
        field: 'avatar',
        message: /^truncated\.jpg cannot be read as an image: /,
        accepted: /undamaged image/,
      });
    });

    it('a text file named .wav', async () => {
      await expectRejected([fine(), { ...fine('Notes'), audio: 'notes.wav' }], {
        row: 2,
        field: 'audio',
        message: /^notes\.wav is named \.wav but is not a media file$/,
        accepted: /a real \.wav file, or rename it to its real type/,
      });
    });

    it('a JPEG named .png', async () => {
      await expectRejected([fine(), { ...fine('Renamed'), avatar: 'really-a-jpeg.png' }], {
        row: 2,
        field: 'avatar',
        message: /is named \.png but is really a JPEG file/,
        accepted: /rename it/,
      });
    });

    it('a 0-byte image', async () => {
      await expectRejected([fine(), { ...fine('Empty image'), avatar: 'empty.png' }], {
        row: 2,
        field: 'avatar',
        message: /^empty\.png is empty \(0 bytes\)$/,
        accepted: /a file with content/,
      });
    });

    it('a 0-byte audio file', async () => {
      await expectRejected([fine(), { ...fine('Empty audio'), audio: 'empty.wav' }], {
        row: 2,
        field: 'audio',
        message: /^empty\.wav is empty \(0 bytes\)$/,
        accepted: /a file with content/,
      });
    });

    it('a folder as a path', async () => {
      await expectRejected([fine(), { ...fine('Folder'), avatar: 'a-folder.png' }], {
        row: 2,
        field: 'avatar',
        message: /a-folder\.png is a folder, not a file$/,
        accepted: /^a file: .*\.png/,
      });
    });

    it('a missing file', async () => {
      await expectRejected([fine(), { ...fine('Missing'), audio: 'nowhere/voice-final.wav' }], {
        row: 2,
        field: 'audio',
        message: /nowhere\/voice-final\.wav does not exist$/,
        accepted: /relative paths are relative to the batch file/,
      });
    });

    it('an unsupported file type', async () => {
      await expectRejected([fine(), { ...fine('Text'), audio: 'script.txt' }], {
        row: 2,
        field: 'audio',
        message: /^script\.txt: \.txt files are not supported$/,
        accepted: /\.png.*\.wav.*\.mp4/,
      });
    });

    it('a file over the provider’s size limit (a 51 MiB image for the local renderer, 50 MiB)', async () => {
      expect(statSync(F('huge.png')).size).toBeGreaterThan(50 * 1024 * 1024);
      await expectRejected([fine(), { ...fine('Huge'), avatar: 'huge.png' }], {
        row: 2,
        field: 'avatar',
        message: /^huge\.png is 51 MB$/,
        accepted: /^at most 50 MB$/,
      });
    });

    it('audio longer than the provider allows (Creatify aurora_v2: 59.7 s)', async () => {
      await expectRejected(
        [fine(), { title: 'Long', provider: 'creatify', avatar: 'avatar.png', audio: 'long.wav', params: { model_version: 'aurora_v2' } }],
        { row: 2, field: 'audio', message: /long\.wav lasts 61\.0 s/, accepted: /at most 59\.7 s/ },
      );
    });

    it('an audio file where an image is expected', async () => {
      await expectRejected([fine(), { ...fine('Swapped'), avatar: 'voice.wav' }], {
        row: 2,
        field: 'avatar',
        message: /voice\.wav is an audio file/,
        accepted: /image or video/,
      });
    });

    it('a source video for the local renderer (it does not lip-sync)', async () => {
      await expectRejected([fine(), { ...fine('With video'), video: 'sample.mp4' }], {
        row: 2,
        field: 'video',
        message: /does not lip-sync a video/,
        accepted: /video avatar in the avatar column/,
      });
    });
  });

  describe('URLs', () => {
    it.each([
      ['ftp://files.example.com/avatar.png', /"ftp:\/\/files\.example\.com\/avatar\.png" is not an http\(s\) URL/],
      ['file:///etc/passwd', /"file:\/\/\/etc\/passwd" is not an http\(s\) URL/],
      ['javascript:alert(1)', /"javascript:alert\(1\)" is not an http\(s\) URL/],
      ['data:image/png;base64,iVBORw0KGgo=', /is not an http\(s\) URL/],
    ])('an asset URL that is not http(s): %s', async (url, message) => {
      await expectRejected([fine(), { title: 'Remote', provider: 'sync', video: url, audio: 'https://cdn.example.com/voice.wav' }], {
        row: 2,
        field: 'video',
        message,
        accepted: /a local file path or an http:\/\/ or https:\/\/ URL/,
      });
    });

    it('a malformed http URL', async () => {
      await expectRejected([fine(), { title: 'Remote', provider: 'sync', video: 'https://', audio: 'voice.wav' }], {
        row: 2,
        field: 'video',
        message: /"https:\/\/" is not a valid URL/,
        accepted: /http\(s\) URL/,
      });
    });

    it('a URL for the offline local renderer', async () => {
      await expectRejected([fine(), { ...fine('Remote avatar'), avatar: 'https://cdn.example.com/face.png' }], {
        row: 2,
        field: 'avatar',
        message: /works offline and cannot fetch https:\/\/cdn\.example\.com\/face\.png/,
        accepted: /image .* on this computer/,
      });
    });
  });

  describe('scripts, providers and parameters', () => {
    it('a script over the limit (local: 5000 characters)', async () => {
      await expectRejected([fine(), { ...fine('Long script'), script: 'word '.repeat(1001).trim() + 'x' }], {
        row: 2,
        field: 'script',
        message: /^the script has 500\d characters$/,
        accepted: /^at most 5000 characters$/,
      });
    });

    it('an empty script where one is required (local, image and no audio)', async () => {
      await expectRejected([fine(), { title: 'Silent', provider: 'local', avatar: 'avatar.png', script: '   ' }], {
        row: 2,
        field: 'script',
        message: /give a script, an audio file, or both/,
        accepted: /a script of up to 5000 characters/,
      });
    });

    it('an unknown provider', async () => {
      await expectRejected([fine(), { ...fine('Elsewhere'), provider: 'heygen' }], {
        row: 2,
        field: 'provider',
        message: /^"heygen" is not a provider$/,
        accepted: /^oshara, techforge, aisa, sync, creatify, local$/,
      });
    });

    it('an empty provider', async () => {
      await expectRejected([fine(), { ...fine('Nobody'), provider: '' }], { row: 2, field: 'provider', message: /^is empty$/, accepted: /local/ });
    });

    it('an unknown parameter', async () => {
      await expectRejected([fine(), { ...fine('Fast'), params: { fps: '60' } }], {
        row: 2,
        field: 'params',
        message: /Unrecognized key: "fps"/,
        accepted: /aspect_ratio, height, captions/,
      });
    });

    it('a parameter of the wrong type', async () => {
      await expectRejected([fine(), { title: 'Lively', provider: 'sync', video: 'sample.mp4', audio: 'voice.wav', params: { temperature: 'very' } }], {
        row: 2,
        field: 'param.temperature',
        message: /expected number/,
        accepted: /^a number: How expressive/,
      });
    });

    it('a parameter value out of its set', async () => {
      await expectRejected([fine(), { ...fine('Tall'), params: { height: '999' } }], {
        row: 2,
        field: 'param.height',
        message: /Invalid/,
        accepted: /^480, 720, 1080$/,
      });
    });

    it('aisa while it is turned off (the default)', async () => {
      await expectRejected([fine(), { title: 'Sora', provider: 'aisa', prompt: 'A presenter in a studio waves.' }], {
        row: 2,
        field: 'provider',
        message: /aisa\.one is turned off: OpenAI retired the Sora 2 API/,
        accepted: /^oshara, techforge, sync, creatify, local$/,
      });
    });

    it('aisa with sora-2 at 1024x1792 (only sora-2-pro renders it)', async () => {
      core.settings.set({ aisaEnabled: true });
      const issues = await expectRejected([fine(), { title: 'Sora', provider: 'aisa', prompt: 'A presenter in a studio waves.', params: { model: 'sora-2', size: '1024x1792' } }], {
        row: 2,
        field: 'param.size',
        message: /sora-2 cannot render 1024x1792; only sora-2-pro offers 1024x1792 and 1792x1024/,
        accepted: /(720x1280 or 1280x720|1280x720 or 720x1280) with sora-2, or choose model sora-2-pro/,
      });
      expect(issues.map((i) => i.field)).not.toContain('provider');
    });
  });

  describe('titles', () => {
    it.each(['../../outside', 'a/b', 'a\\b', '..'])('a title with path traversal: %j', async (title) => {
      await expectRejected([fine(), { ...fine(), title }], {
        row: 2,
        field: 'title',
        message: /cannot name a file \(it contains \/ \\ \.\. or is a reserved name\)/,
        accepted: /^a plain title, e\.g\. "[^/\\]+"$/,
      });
    });

    it.each(['CON', 'nul', 'com1', 'LPT9'])('a reserved device name as title: %s', async (title) => {
      await expectRejected([fine(), { ...fine(), title }], { row: 2, field: 'title', message: /reserved name/, accepted: /a plain title/ });
    });

    it('an empty title', async () => {
      await expectRejected([fine(), { ...fine(), title: '  ' }], { row: 2, field: 'title', message: /^is empty$/, accepted: /names the output file/ });
    });

    it('a title over 200 characters', async () => {
      await expectRejected([fine(), { ...fine(), title: 'T'.repeat(201) }], { row: 2, field: 'title', message: /^is 201 characters long$/, accepted: /^at most 200 characters$/ });
    });
  });

  describe('CSV problems, through parseCsv and then admission', () => {
    it('an unclosed quote swallows the rest of the file', async () => {
      const csv = 'title,provider,avatar,audio,script\nFine,local,avatar.png,voice.wav,Hello\n"Broken,local,avatar.png,voice.wav,Oops\nThird,local,avatar.png,voice.wav,Bye\n';
      const parsed = parseCsv(csv);
      expect(parsed.issues).toContainEqual(expect.objectContaining({ row: 2, field: 'file', message: 'CSV has an unclosed quote' }));
      expect(parsed.rows).toHaveLength(2);
      await expectRejected(parsed.rows, { row: 2, field: 'provider', message: /^is empty$/, accepted: /local/ });
    });

    it('a missing provider column', async () => {
      const parsed = parseCsv('title,avatar,audio,script\nFine,avatar.png,voice.wav,Hello\n');
      expect(parsed.issues).toContainEqual(expect.objectContaining({ field: 'provider', message: 'the column "provider" is missing' }));
      await expectRejected([fine(), ...parsed.rows], { row: 2, field: 'provider', message: /^is empty$/, accepted: /local/ });
    });

    it('a ragged row loses its audio', async () => {
      const parsed = parseCsv('title,provider,avatar,audio\nFine,local,avatar.png,voice.wav\nShort,local,avatar.png\n');
      expect(parsed.issues).toEqual([expect.objectContaining({ row: 2, field: 'file', message: 'has 3 fields, the header has 4' })]);
      await expectRejected(parsed.rows, { row: 2, field: 'script', message: /give a script, an audio file, or both/, accepted: /audio file/ });
    });

    it('a param column with a value the provider does not take', async () => {
      const parsed = parseCsv('title,provider,avatar,audio,param.aspect_ratio\r\nFine,local,avatar.png,voice.wav,9:16\r\nWide,local,avatar.png,voice.wav,21:9\r\n');
      expect(parsed.issues).toEqual([]);
      await expectRejected(parsed.rows, { row: 2, field: 'param.aspect_ratio', message: /Invalid option/, accepted: /^9:16, 16:9, 1:1$/ });
    });

    it('names every bad row of a file at once', async () => {
      const parsed = parseCsv('title,provider,avatar,audio\nFine,local,avatar.png,voice.wav\nCON,local,avatar.png,voice.wav\nX,nobody,avatar.png,voice.wav\nY,local,missing.png,voice.wav\n');
      const issues = await expectRejected(parsed.rows, { row: 2, field: 'title', message: /reserved name/, accepted: /plain title/ });
      expect(issues.map((i) => [i.row, i.field])).toEqual([
        [2, 'title'],
        [3, 'provider'],
        [4, 'avatar'],
      ]);
    });
  });
});

describe('a valid mixed batch', () => {
  beforeEach(() => {
    core = open();
  });
  afterEach(closeCore);

  it('is admitted, with every input copied once into the content-addressed store', async () => {
    copyFileSync(F('avatar.png'), F('same-bytes-other-name.png'));
    const spy = vi.spyOn(core.assets, 'importFile');
    const rows: BatchRow[] = [
      { title: 'Draft one', provider: 'local', avatar: 'avatar.png', audio: 'voice.wav', script: 'One.' },
      { title: 'Draft two', provider: 'local', avatar: './avatar.png', audio: 'voice.wav', params: { height: '480', captions: 'off' } },
      { title: 'Draft three', provider: 'local', avatar: F('avatar.png'), script: 'Three, from a script only.' },
      { title: 'Lip-sync', provider: 'sync', video: 'sample.mp4', audio: 'voice.wav', params: { temperature: '0.7' } },
      { title: 'Aurora', provider: 'creatify', avatar: 'avatar.png', audio: 'voice.mp3' },
      { title: 'From the web', provider: 'sync', video: 'https://cdn.example.com/clip.mp4', audio: 'https://cdn.example.com/voice.wav' },
      { title: 'Same picture, other name', provider: 'local', avatar: 'same-bytes-other-name.png', audio: 'voice.mp3' },
    ];
    const res = await core.admission.admit({ name: 'Mixed', rows, baseDir: inputs, testFirst: 6 });
    expect(res.report.ok).toBe(true);
    expect(res.jobIds).toHaveLength(rows.length);

    const jobs = core.jobs.list({ batchId: res.batchId });
    expect(jobs.map((j) => [j.row, j.provider, j.status])).toEqual([
      [1, 'local', 'queued'],
      [2, 'local', 'queued'],
      [3, 'local', 'queued'],
      [4, 'sync', 'queued'],
      [5, 'creatify', 'queued'],
      [6, 'sync', 'queued'],
      [7, 'local', 'draft'],
    ]);
    // CSV text became typed parameters.
    expect(jobs[1]!.input.params).toEqual({ height: 480, captions: 'off' });
    expect(jobs[3]!.input.params).toEqual({ temperature: 0.7 });
    expect(jobs[5]!.input).toMatchObject({ video: { url: 'https://cdn.example.com/clip.mp4' }, audio: { url: 'https://cdn.example.com/voice.wav' } });

    // Each distinct path is copied once, however many rows use it.
    const calls = spy.mock.calls.map((c) => c[0]);
    expect(calls.filter((p) => p === F('avatar.png'))).toHaveLength(1);
    expect(calls.filter((p) => p === F('voice.wav'))).toHaveLength(1);
    expect(new Set(calls).size).toBe(calls.length);

    // The store holds each content once, named by its sha256, byte-identical to the original.
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    const expected = ['avatar.png', 'voice.wav', 'voice.mp3', 'sample.mp4'].map((f) => sha(F(f))).sort();
    const stored = readdirSync(core.paths.assets, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
    expect(stored).toEqual(expected);
    for (const id of expected) expect(sha(core.assets.pathOf(id))).toBe(id);
    expect((core.db.prepare('SELECT id FROM assets ORDER BY id').all() as { id: string }[]).map((r) => r.id)).toEqual(expected);

    // Three rows (and the copy under another name) point at the same stored avatar.
    const avatarId = sha(F('avatar.png'));
    for (const row of [1, 2, 3, 5, 7]) expect(jobs[row - 1]!.input.avatar).toEqual({ asset: avatarId });
    expect(core.assets.info(avatarId)).toMatchObject({ kind: 'image', mime: 'image/png', width: 512, height: 512 });
    expect(core.assets.info(sha(F('voice.wav')))).toMatchObject({ kind: 'audio', durationSec: expect.closeTo(3, 1) });

    // Estimates were recorded with the jobs and the batch.
    expect(jobs[3]!.costEstimate).toMatchObject({ unit: 'USD' });
    expect(jobs[4]!.costEstimate).toMatchObject({ unit: 'credits' });
    expect(core.batches.get(res.batchId)?.estimate).toEqual(expect.arrayContaining([expect.objectContaining({ unit: 'USD' }), expect.objectContaining({ unit: 'credits' })]));
  });

  it('admitting the same files again stores nothing new', async () => {
    const rows = [fine('A'), fine('B')];
    await core.admission.admit({ name: 'One', rows, baseDir: inputs });
    const before = readdirSync(core.paths.assets, { recursive: true }).sort();
    await core.admission.admit({ name: 'Two', rows, baseDir: inputs });
    expect(readdirSync(core.paths.assets, { recursive: true }).sort()).toEqual(before);
    expect(core.jobs.count()).toBe(4);
  });
});
