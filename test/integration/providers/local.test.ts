import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InputRef, JobInput } from '../../../shared/model';
import { estimateSpokenSeconds } from '../../../shared/provider-spec';
import { localSpec } from '../../../shared/providers/local';
import { ProviderError } from '../../../electron/core/providers/http';
import { localAdapter, localRenderForTests, simulateLocalRestartForTests } from '../../../electron/core/providers/local';
import { captionChunks, captionMaxChars, ffmpegPath, ffprobePath } from '../../../electron/core/providers/local-ffmpeg';
import type { AdapterJob, PollResult } from '../../../electron/core/providers/types';
import { pollUntilDone, testAssets, testContext, testJob, type TestAssets, type TestContext } from '../../helpers/context';

/**
 * The local renderer end to end: real ffmpeg processes writing into a temp work folder, checked with ffprobe.
 * Renders are short (a few seconds at 480p); the long ones (progress, cancel, restart) are stopped early.
 */

type Probe = {
  format: { duration: string };
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; pix_fmt?: string; duration?: string }[];
};

function ffprobe(file: string): Probe {
  return JSON.parse(execFileSync(ffprobePath(), ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file], { encoding: 'utf8' })) as Probe;
}

/** Subtitle cues (packets with text: mov_text packets start with a 2-byte length). */
function subtitleCues(file: string): number {
  const out = execFileSync(ffprobePath(), ['-v', 'error', '-select_streams', 's', '-show_entries', 'packet=size', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out.split('\n').filter((l) => Number(l) > 2).length;
}

/** One frame as 8-bit grey pixels. */
function greyFrame(file: string, atSec: number): Buffer {
  return execFileSync(ffmpegPath(), ['-v', 'error', '-ss', String(atSec), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 64 * 1024 * 1024 });
}

function meanDiff(a: Buffer, b: Buffer, width: number, fromRow: number, toRow: number): number {
  let sum = 0;
  for (let i = fromRow * width; i < toRow * width; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / ((toRow - fromRow) * width);
}

let assets: TestAssets;
let ctx: TestContext;
let workDir: string;
const started: AdapterJob[] = [];
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  assets = await testAssets();
  workDir = tempDir('tb-local-');
  ctx = testContext({ baseUrl: localSpec.defaultBaseUrl, credentials: {}, assets, workDir });
});

afterEach(async () => {
  // A failed assertion must not leave ffmpeg running into the next test.
  for (const job of started.splice(0)) await localAdapter.cancel?.(job, ctx).catch(() => undefined);
});

afterAll(async () => {
  await simulateLocalRestartForTests();
  await assets.publicHost.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function ref(file: string): InputRef {
  return assets.add(file).ref;
}

function jobOf(input: Partial<JobInput>): AdapterJob {
  return testJob({ title: 'Draft', params: {}, ...input });
}

async function submit(job: AdapterJob): Promise<AdapterJob> {
  const res = await localAdapter.submit(job, ctx);
  const running = { ...job, providerJobId: res.providerJobId, providerState: { ...res.providerState } };
  started.push(running);
  return running;
}

async function poll(job: AdapterJob): Promise<PollResult> {
  const res = (await localAdapter.poll([job], ctx)).get(job.id);
  if (!res) throw new Error('no poll result');
  return res;
}

async function render(input: Partial<JobInput>, timeoutMs = 25_000): Promise<{ job: AdapterJob; result: PollResult; file: string; thumb: string | undefined }> {
  const job = await submit(jobOf(input));
  const result = await pollUntilDone(localAdapter, job, ctx, timeoutMs);
  if (result.state !== 'succeeded') return { job, result, file: '', thumb: undefined };
  const out = await localAdapter.output(job, ctx);
  return { job, result, file: fileURLToPath(out.url), thumb: out.thumbnail ? fileURLToPath(out.thumbnail.url) : undefined };
}

/** Waits for a condition on the render's polls (never a fixed sleep). */
async function waitFor(job: AdapterJob, until: (r: PollResult) => boolean, timeoutMs = 20_000): Promise<PollResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await poll(job);
    if (until(r)) return r;
    if (r.state !== 'queued' && r.state !== 'running') throw new Error(`render ended (${r.state}: ${r.error?.message ?? ''}) before the condition`);
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last ${JSON.stringify(r)})`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

function filesOf(providerJobId: string): string[] {
  return readdirSync(workDir).filter((n) => n.startsWith(providerJobId.replace(/[^A-Za-z0-9_-]/g, '_')));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** About `sec` seconds of speech at 150 words a minute. */
function scriptOf(sec: number): string {
  const words = 'this draft checks the timing of a script before paying for a cloud render'.split(' ');
  return Array.from({ length: Math.round((sec * 150) / 60) }, (_, i) => words[i % words.length] + ((i + 1) % 9 === 0 ? '.' : '')).join(' ');
}

const SCRIPT = 'Hello there. This is a short test of the local renderer!';

describe('local adapter: renders', () => {
  it('renders an image avatar with audio and burned-in captions: H.264/AAC MP4 of the audio length, faststart, thumbnail', async () => {
    const { job, result, file, thumb } = await render({ avatar: ref('avatar.png'), audio: ref('voice.wav'), script: SCRIPT, params: { height: 480 } });
    expect(result, result.error?.message).toMatchObject({ state: 'succeeded', rawStatus: 'done', progress: 1, providerState: { captions: 'burn' } });
    expect(job.providerJobId).toBe(`local-${job.id}-1`);
    expect(path.dirname(file)).toBe(workDir);
    expect(path.basename(file)).toBe(`local-${job.id}-1.mp4`);

    const probe = ffprobe(file);
    expect(Math.abs(Number(probe.format.duration) - 3) / 3).toBeLessThan(0.05);
    const video = probe.streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 270, height: 480, pix_fmt: 'yuv420p' });
    expect(probe.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(probe.streams.some((s) => s.codec_type === 'subtitle')).toBe(false);

    const bytes = readFileSync(file);
    expect(bytes.indexOf('moov')).toBeGreaterThan(0);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));

    expect(thumb).toBe(path.join(workDir, `local-${job.id}-1.jpg`));
    expect(readFileSync(thumb as string).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(filesOf(job.providerJobId as string).sort()).toEqual([`local-${job.id}-1.jpg`, `local-${job.id}-1.mp4`]);

    // Burned in: the caption band differs from the same render without captions; the picture above it does not.
    const plain = await render({ avatar: ref('avatar.png'), audio: ref('voice.wav'), script: SCRIPT, params: { height: 480, captions: 'off' } });
    expect(plain.result.state).toBe('succeeded');
    const a = greyFrame(file, 1);
    const b = greyFrame(plain.file, 1);
    expect(a.length).toBe(270 * 480);
    expect(meanDiff(a, b, 270, 360, 480)).toBeGreaterThan(3);
    expect(meanDiff(a, b, 270, 0, 300)).toBeLessThan(1);
  });

  it('renders a script-only draft: a silent track of the estimated spoken length and a mov_text caption track', async () => {
    const script = 'Welcome to the channel. Today we look at three quick ways to plan your week, and why they work. Let us begin.';
    const { result, file } = await render({ avatar: ref('avatar.png'), script, params: { aspect_ratio: '16:9', height: 480, captions: 'soft' } });
    expect(result, result.error?.message).toMatchObject({ state: 'succeeded', providerState: { captions: 'soft' } });
    const probe = ffprobe(file);
    const expected = estimateSpokenSeconds(script);
    expect(expected).toBe(8.8);
    expect(Math.abs(Number(probe.format.duration) - expected) / expected).toBeLessThan(0.05);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 854, height: 480 });
    expect(probe.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(probe.streams.find((s) => s.codec_type === 'subtitle')).toMatchObject({ codec_name: 'mov_text' });
    expect(captionChunks(script, captionMaxChars('16:9'))).toHaveLength(5);
    expect(subtitleCues(file)).toBe(5);
  });

  it('loops a video avatar under longer mp3 audio, square', async () => {
    const { result, file, thumb } = await render({ avatar: ref('sample.mp4'), audio: ref('voice.mp3'), params: { aspect_ratio: '1:1', height: 480 } });
    expect(result, result.error?.message).toMatchObject({ state: 'succeeded', providerState: { captions: 'off' } });
    const probe = ffprobe(file);
    expect(Math.abs(Number(probe.format.duration) - 3) / 3).toBeLessThan(0.05);
    const video = probe.streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 480, height: 480 });
    // The 2 s clip was looped to cover the 3 s of audio.
    expect(Number(video?.duration)).toBeGreaterThan(2.8);
    expect(probe.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(thumb && existsSync(thumb)).toBe(true);
  });

  it('runs many renders at once, each into its own file, while another one is canceled mid-render', async () => {
    const long = await submit(jobOf({ avatar: ref('avatar.png'), script: scriptOf(120), params: { height: 720 } }));
    const jobs = await Promise.all(['One.', 'Two words.', 'Three words here.', 'Four words are here.'].map((s) => submit(jobOf({ avatar: ref('avatar.png'), script: s, params: { height: 480, aspect_ratio: '1:1' } }))));
    expect(new Set(jobs.map((j) => j.providerJobId)).size).toBe(4);
    await waitFor(long, (r) => r.state === 'running');
    await localAdapter.cancel?.(long, ctx);
    const results = await Promise.all(jobs.map((j) => pollUntilDone(localAdapter, j, ctx, 25_000)));
    expect(results.map((r) => r.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(await poll(long)).toMatchObject({ state: 'canceled' });
    expect(filesOf(long.providerJobId as string)).toEqual([]);
    const many = await localAdapter.poll(jobs, ctx);
    expect([...many.keys()]).toEqual(jobs.map((j) => j.id));
    for (const j of jobs) {
      const out = await localAdapter.output(j, ctx);
      expect(ffprobe(fileURLToPath(out.url)).streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 480, height: 480 });
    }
  });
});

describe('local adapter: progress, cancel, restart', () => {
  it('reports increasing progress with an ETA while ffmpeg renders', async () => {
    const job = await submit(jobOf({ avatar: ref('avatar.png'), script: scriptOf(120), params: { height: 720, captions: 'off' } }));
    const first = await poll(job);
    expect(['queued', 'running']).toContain(first.state);
    const seen: number[] = [];
    await waitFor(job, (r) => {
      if (r.state === 'running' && r.progress !== undefined && r.progress > 0 && seen.at(-1) !== r.progress) seen.push(r.progress);
      return seen.length >= 3;
    });
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number);
    expect(seen.at(-1)).toBeLessThan(1);
    const running = await poll(job);
    expect(running).toMatchObject({ state: 'running', rawStatus: 'rendering' });
    expect(running.etaSec).toBeGreaterThan(0);
    await localAdapter.cancel?.(job, ctx);
  });

  it('cancel right after submit, before ffmpeg starts, leaves nothing running and no file', async () => {
    const job = await submit(jobOf({ avatar: ref('avatar.png'), audio: ref('voice.wav'), script: SCRIPT, params: { height: 480 } }));
    expect(localRenderForTests(job.providerJobId as string)).toMatchObject({ state: 'preparing', running: false });
    await localAdapter.cancel?.(job, ctx);
    expect(await poll(job)).toMatchObject({ state: 'canceled' });
    expect(localRenderForTests(job.providerJobId as string)).toMatchObject({ state: 'canceled', running: false });
    expect(filesOf(job.providerJobId as string)).toEqual([]);
  });

  it('cancel mid-render kills ffmpeg and leaves no file', async () => {
    const job = await submit(jobOf({ avatar: ref('avatar.png'), script: scriptOf(120), params: { height: 1080 } }));
    await waitFor(job, (r) => (r.progress ?? 0) > 0);
    const info = localRenderForTests(job.providerJobId as string);
    expect(info).toMatchObject({ state: 'rendering', running: true });
    const pid = info?.pid as number;
    expect(isAlive(pid)).toBe(true);
    expect(filesOf(job.providerJobId as string)).toContain(`${job.providerJobId}.part.mp4`);

    await localAdapter.cancel?.(job, ctx);
    expect(isAlive(pid)).toBe(false);
    expect(filesOf(job.providerJobId as string)).toEqual([]);
    expect(await poll(job)).toMatchObject({ state: 'canceled', rawStatus: 'canceled' });
    await expect(localAdapter.output(job, ctx)).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('a render the app no longer knows (restart mid-render) is not_found; a finished file found after a restart is succeeded', async () => {
    const done = await render({ avatar: ref('avatar.png'), script: 'Short one.', params: { height: 480 } });
    expect(done.result.state).toBe('succeeded');

    const job = await submit(jobOf({ avatar: ref('avatar.png'), script: scriptOf(120), params: { height: 1080 } }));
    await waitFor(job, (r) => r.state === 'running');
    const pid = localRenderForTests(job.providerJobId as string)?.pid as number;
    await simulateLocalRestartForTests();
    expect(isAlive(pid)).toBe(false);
    expect(localRenderForTests(job.providerJobId as string)).toBeUndefined();

    expect(await poll(job)).toMatchObject({ state: 'not_found', rawStatus: 'unknown', error: { code: 'render_lost' } });
    expect(localSpec.retryLostJobs).toBe(true);
    expect(await poll(done.job)).toMatchObject({ state: 'succeeded', progress: 1 });
    const out = await localAdapter.output(done.job, ctx);
    expect(fileURLToPath(out.url)).toBe(done.file);
    expect(out.thumbnail?.url).toBe(`file://${done.thumb}`);

    // The engine renders a lost job again; the same attempt starts over cleanly, and the first submit of
    // the new app run sweeps temp files a killed render left behind.
    const stale = path.join(workDir, 'local-crashed-1.part.mp4');
    writeFileSync(stale, 'partial');
    const retry = await submit({ ...job, providerJobId: null, input: { ...job.input, script: 'Rendered again.', params: { height: 480 } } });
    expect(retry.providerJobId).toBe(job.providerJobId);
    expect(existsSync(stale)).toBe(false);
    expect((await pollUntilDone(localAdapter, retry, ctx, 25_000)).state).toBe('succeeded');
  });
});

describe('local adapter: failures', () => {
  it("fails a corrupt image with ffmpeg's reason and cleans its temp files", async () => {
    const bad = path.join(tempDir('tb-bad-'), 'broken.png');
    writeFileSync(bad, Buffer.concat([Buffer.from('not a png at all'), Buffer.alloc(4000, 7)]));
    const { job, result } = await render({ avatar: assets.add(bad).ref, audio: ref('voice.wav'), script: SCRIPT, params: { height: 480 } });
    expect(result.state).toBe('failed');
    expect(result.error?.code).toBe('ffmpeg_failed');
    expect(result.error?.message).toMatch(/^ffmpeg could not render this video: /);
    expect(result.error?.message).toContain('Invalid data found when processing input');
    expect(result.error?.message).not.toContain('Fontconfig');
    expect(filesOf(job.providerJobId as string)).toEqual([]);
    await expect(localAdapter.output(job, ctx)).rejects.toBeInstanceOf(ProviderError);
  });

  it("fails unreadable audio with ffprobe's reason, naming the file", async () => {
    const bad = path.join(tempDir('tb-bad-'), 'noise.wav');
    writeFileSync(bad, Buffer.alloc(3000, 1));
    const { result } = await render({ avatar: ref('avatar.png'), audio: assets.add(bad).ref, params: { height: 480 } });
    expect(result.state).toBe('failed');
    expect(result.error?.code).toBe('audio_unreadable');
    expect(result.error?.message).toContain('audio "noise.wav"');
    expect(result.error?.message).toContain('Invalid data found when processing input');
  });

  it('rejects URL inputs and missing inputs at submit, before starting anything', async () => {
    const url = localAdapter.submit(jobOf({ avatar: { url: 'https://example.com/a.png' }, script: 'Hi' }), ctx);
    await expect(url).rejects.toMatchObject({ kind: 'permanent', code: 'url_input', message: expect.stringContaining('offline') });
    await expect(localAdapter.submit(jobOf({ avatar: ref('avatar.png') }), ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'script_missing' });
    await expect(localAdapter.submit(jobOf({ script: 'Hi' }), ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'avatar_missing' });
    const issues = localAdapter.validate({ title: 'x', params: {}, avatar: { url: 'https://example.com/a.png' }, script: 'Hi' });
    expect(issues).toEqual([expect.objectContaining({ field: 'avatar', message: expect.stringContaining('offline') })]);
  });

  it('says which variable to set when ffmpeg is missing', async () => {
    const saved = process.env.TALKBATCH_FFMPEG;
    process.env.TALKBATCH_FFMPEG = path.join(workDir, 'no-such-ffmpeg');
    try {
      const test = await localAdapter.testCredentials(ctx);
      expect(test.ok).toBe(false);
      expect(test.message).toContain('TALKBATCH_FFMPEG');
      await expect(localAdapter.submit(jobOf({ avatar: ref('avatar.png'), script: 'Hi' }), ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'ffmpeg_missing' });
    } finally {
      if (saved === undefined) delete process.env.TALKBATCH_FFMPEG;
      else process.env.TALKBATCH_FFMPEG = saved;
    }
  });
});

describe('local adapter: the rest of the interface', () => {
  it('describes itself with a concurrency of cores minus one', () => {
    const spec = localAdapter.describe();
    expect(spec.concurrencyDefault).toBe(Math.max(1, os.cpus().length - 1));
    expect(spec.id).toBe('local');
    expect(spec.retryLostJobs).toBe(true);
    expect(spec.validate({ title: 'x', params: {} }).map((i) => i.field)).toEqual(['avatar', 'script']);
    expect(localAdapter.estimateCost({ title: 'x', params: {} })).toEqual({ amount: 0, unit: 'USD', rule: 'free: rendered on this computer' });
  });

  it('reconciles to absent: rendering again is always safe', async () => {
    expect(await localAdapter.reconcile(jobOf({ script: 'Hi' }), ctx)).toMatchObject({ outcome: 'absent' });
  });

  it('tests "credentials" by running ffmpeg and reports its version', async () => {
    const test = await localAdapter.testCredentials(ctx);
    expect(test.ok, test.message).toBe(true);
    const version = /ffmpeg version (\S+)/.exec(execFileSync(ffmpegPath(), ['-version'], { encoding: 'utf8' }))?.[1] as string;
    expect(test.message).toContain(`ffmpeg ${version} is ready`);
    expect(test.message).toContain('captions are burned into the picture');
  });

  it('output of an unknown render is not_found', async () => {
    await expect(localAdapter.output(jobOf({ script: 'x' }), ctx)).rejects.toMatchObject({ kind: 'not_found', code: 'render_missing' });
  });
});
