/**
 * Local draft renderer (provider `local`): ffmpeg on this computer, no account, no network, no cost.
 *
 * Follows no provider doc: it is built against the ffmpeg CLI as shipped in @ffmpeg-installer/ffmpeg 1.1.0
 * (ffmpeg N-47683, 2018-12, libx264 + aac + libass + fontconfig) and @ffprobe-installer/ffprobe 2.1.2, checked on
 * Linux x64 (2026). Argument building, caption timing and progress parsing live in ./local-ffmpeg.
 *
 * Lifecycle: `submit` starts a background render and answers at once with `local-<job id>-<attempt>`; the process
 * state lives in this module's map, so after an app restart a render in flight is `not_found` and the engine renders
 * it again (spec `retryLostJobs`: it costs nothing). A finished file found on disk after a restart is `succeeded`.
 *
 * Known gaps:
 * - No lip-sync: the avatar only moves gently (slow zoom and pan on an image, a looped video).
 * - Caption burn-in was verified with this Linux build only; the Windows/macOS builds get the system font folder
 *   through `fontsdir` (untested there). Builds without libass or fonts get a mov_text subtitle track instead.
 * - Finished renders stay in the provider's work folder after the library copied them (see the report).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, constants, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { estimateSpokenSeconds } from '../../../shared/provider-spec';
import { captionChunks, captionMaxChars, type CaptionsPlan, buildRenderArgs, buildThumbnailArgs, type FfmpegCapabilities, ffmpegCapabilities, ffmpegPath, ffprobePath, meaningfulStderr, probeDurationSec, ProgressReader, runToEnd, timeCaptions, toSrt } from './local-ffmpeg';
import { localParamsOf, localSpec } from '../../../shared/providers/local';
import { ProviderError } from './http';
import type { AdapterContext, AdapterJob, PollResult, ProviderAdapter } from './types';

type RenderState = 'preparing' | 'rendering' | 'thumbnail' | 'done' | 'failed' | 'canceled';

type RenderFiles = Readonly<{ out: string; temp: string; thumb: string; thumbTemp: string; srt: string }>;

type Render = {
  readonly providerJobId: string;
  readonly files: RenderFiles;
  state: RenderState;
  canceled: boolean;
  durationSec: number | null;
  child: ChildProcess | null;
  readonly progress: ProgressReader;
  /** The last stderr lines, for the failure reason. */
  readonly stderr: string[];
  /** Wall-clock ms when ffmpeg started (for the ETA). */
  startedAt: number | null;
  captions: CaptionsPlan;
  error: { code: string; message: string } | undefined;
  finished: Promise<void>;
};

/** Every render this app run started, by providerJobId. Process state cannot be persisted: a restart loses it. */
const renders = new Map<string, Render>();
const ACTIVE: readonly RenderState[] = ['preparing', 'rendering', 'thumbnail'];
const STDERR_LINES = 40;

function providerJobIdOf(job: AdapterJob): string {
  return job.providerJobId ?? `local-${job.id}-${job.attempt}`;
}

/** File names from the provider job id; job ids are ours, but keep names portable and free of filter-graph specials. */
function filesFor(workDir: string, providerJobId: string): RenderFiles {
  const base = providerJobId.replace(/[^A-Za-z0-9_-]/g, '_');
  const at = (suffix: string): string => path.join(workDir, base + suffix);
  return { out: at('.mp4'), temp: at('.part.mp4'), thumb: at('.jpg'), thumbTemp: at('.part.jpg'), srt: at('.srt') };
}

async function removeFiles(...files: string[]): Promise<void> {
  await Promise.all(files.map((f) => rm(f, { force: true }).catch(() => undefined)));
}

let exitHookInstalled = false;
/** ffmpeg children are not detached, but nothing kills them when the app quits: do it, so no orphan keeps encoding. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const r of renders.values()) if (r.child && r.child.exitCode === null) r.child.kill('SIGKILL');
  });
}

const sweptDirs = new Set<string>();
/** Temp files of renders a previous app run was killed during; once per work folder per run. */
async function sweepStaleTemps(workDir: string): Promise<void> {
  if (sweptDirs.has(workDir)) return;
  sweptDirs.add(workDir);
  const active = new Set([...renders.values()].filter((r) => ACTIVE.includes(r.state)).flatMap((r) => [r.files.temp, r.files.thumbTemp, r.files.srt]));
  const names = await readdir(workDir).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith('local-') && /(\.part\.mp4|\.part\.jpg|\.srt)$/.test(n)).map((n) => path.join(workDir, n));
  await removeFiles(...stale.filter((f) => !active.has(f)));
}

function permanent(message: string, code: string): ProviderError {
  return new ProviderError('permanent', message, { code });
}

type Binaries = Readonly<{ ffmpeg: string; ffprobe: string }>;

async function usable(bin: string, envName: string, what: string): Promise<void> {
  // A bare command name ("ffmpeg") is looked up on PATH by spawn; only a path can be checked here.
  if (!/[\\/]/.test(bin)) return;
  try {
    await access(bin, constants.X_OK);
  } catch (e) {
    throw permanent(`${what} was not found or cannot run at ${bin} (${(e as NodeJS.ErrnoException).code ?? String(e)}). Set ${envName} to the path of a ${what} binary.`, `${what}_missing`);
  }
}

async function binaries(): Promise<Binaries> {
  let ffmpeg: string;
  let ffprobe: string;
  try {
    ffmpeg = ffmpegPath();
    ffprobe = ffprobePath();
  } catch (e) {
    throw permanent(`${e instanceof Error ? e.message : String(e)}. Set TALKBATCH_FFMPEG and TALKBATCH_FFPROBE to ffmpeg and ffprobe binaries.`, 'ffmpeg_missing');
  }
  await usable(ffmpeg, 'TALKBATCH_FFMPEG', 'ffmpeg');
  await usable(ffprobe, 'TALKBATCH_FFPROBE', 'ffprobe');
  return { ffmpeg, ffprobe };
}

/** Runs a process to its end, keeping the child on the render so cancel can kill it. */
function runTracked(render: Render, bin: string, args: readonly string[], cwd: string, onStdout?: (s: string) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    render.child = child;
    if (child.pid !== undefined) {
      try {
        // Renders run beside the app: let the UI and other programs stay responsive.
        os.setPriority(child.pid, 10);
      } catch {
        // Not permitted on some systems; the render simply runs at normal priority.
      }
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => onStdout?.(s));
    let partial = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      const lines = (partial + s).split(/\r?\n/);
      partial = lines.pop() ?? '';
      render.stderr.push(...lines);
      if (render.stderr.length > STDERR_LINES) render.stderr.splice(0, render.stderr.length - STDERR_LINES);
    });
    let settled = false;
    child.once('error', (spawnError) => {
      if (settled) return;
      settled = true;
      resolve({ code: null, signal: null, spawnError });
    });
    child.once('close', (code, signal) => {
      if (settled) return;
      settled = true;
      if (partial) render.stderr.push(partial);
      resolve({ code, signal });
    });
  });
}

/** Job inputs as files on this computer; URL inputs cannot be fetched offline. */
function localInputs(job: AdapterJob, ctx: AdapterContext): { avatar: { path: string; kind: 'image' | 'video'; name: string }; audio?: { path: string; name: string }; script: string } {
  const { avatar, audio } = job.input;
  if (!avatar) throw permanent('The local renderer needs an avatar image or video.', 'avatar_missing');
  if ('url' in avatar) throw permanent(`The local renderer works offline and cannot fetch the avatar ${avatar.url}; download the file first.`, 'url_input');
  if (audio && 'url' in audio) throw permanent(`The local renderer works offline and cannot fetch the audio ${audio.url}; download the file first.`, 'url_input');
  const script = (job.input.script ?? '').trim();
  if (!audio && !script) throw permanent('The local renderer needs a script, an audio file, or both.', 'script_missing');
  try {
    const info = ctx.assets.info(avatar.asset);
    return {
      avatar: { path: ctx.assets.path(avatar.asset), kind: info.kind === 'video' ? 'video' : 'image', name: info.name },
      ...(audio ? { audio: { path: ctx.assets.path(audio.asset), name: ctx.assets.info(audio.asset).name } } : {}),
      script,
    };
  } catch (e) {
    throw permanent(`An input file of this job is missing from the asset store: ${e instanceof Error ? e.message : String(e)}`, 'asset_missing');
  }
}

function diskFull(out: string): string {
  return `The disk holding ${path.dirname(out)} is full (No space left on device); the draft is rendered again (it costs nothing)`;
}

function fail(render: Render, code: string, message: string): void {
  if (render.canceled) return;
  render.state = 'failed';
  render.error = { code, message };
}

/** The background half of submit: probe, write captions, encode, rename, thumbnail. Never throws. */
async function runRender(render: Render, job: AdapterJob, ctx: AdapterContext, bins: Binaries): Promise<void> {
  const { files } = render;
  const params = localParamsOf(job.input.params);
  let named = (reason: string): string => reason;
  try {
    const inputs = localInputs(job, ctx);
    // ffmpeg's reasons name input files by their stored (hashed) path: show the creator's file names instead.
    named = (reason) => {
      let s = reason.split(inputs.avatar.path).join(`avatar "${inputs.avatar.name}"`);
      if (inputs.audio) s = s.split(inputs.audio.path).join(`audio "${inputs.audio.name}"`);
      return s;
    };
    let durationSec: number;
    if (inputs.audio) {
      try {
        durationSec = await probeDurationSec(bins.ffprobe, inputs.audio.path);
      } catch (e) {
        fail(render, 'audio_unreadable', named(`ffprobe could not read the audio: ${e instanceof Error ? e.message : String(e)}`));
        return;
      }
    } else {
      durationSec = estimateSpokenSeconds(inputs.script);
    }
    render.durationSec = durationSec;

    let caps: FfmpegCapabilities;
    try {
      caps = await ffmpegCapabilities(bins.ffmpeg);
    } catch (e) {
      fail(render, 'ffmpeg_unusable', `ffmpeg could not be started: ${e instanceof Error ? e.message : String(e)}. Set TALKBATCH_FFMPEG to the path of an ffmpeg binary.`);
      return;
    }
    let captions: CaptionsPlan = 'off';
    if (inputs.script && params.captions !== 'off') {
      captions = params.captions === 'soft' ? 'soft' : caps.burnCaptions ? 'burn' : 'soft';
      if (params.captions === 'burn' && !caps.burnCaptions) {
        ctx.log('warn', 'This ffmpeg cannot burn captions in (no subtitles filter or no fonts); adding them as a subtitle track instead', { providerJobId: render.providerJobId });
      }
    }
    render.captions = captions;
    if (captions !== 'off') {
      const cues = timeCaptions(captionChunks(inputs.script, captionMaxChars(params.aspect_ratio)), durationSec);
      await writeFile(files.srt, toSrt(cues), 'utf8');
    }
    if (render.canceled) return;

    const args = buildRenderArgs({
      avatar: { path: inputs.avatar.path, kind: inputs.avatar.kind },
      ...(inputs.audio ? { audioPath: inputs.audio.path } : {}),
      durationSec,
      aspect: params.aspect_ratio,
      height: params.height,
      captions,
      ...(captions !== 'off' ? { srtFile: path.basename(files.srt) } : {}),
      ...(caps.fontsDir ? { fontsDir: caps.fontsDir } : {}),
      zoompan: caps.zoompan,
      outFile: files.temp,
    });
    render.state = 'rendering';
    render.startedAt = Date.now();
    ctx.log('info', 'Local render started', { providerJobId: render.providerJobId, durationSec, captions, aspect: params.aspect_ratio, height: params.height });
    // cwd = the work folder: the subtitles filter then takes a bare file name, with nothing to escape.
    const res = await runTracked(render, bins.ffmpeg, args, path.dirname(files.srt), (s) => render.progress.feed(s));
    render.child = null;
    if (render.canceled) return;
    if (res.spawnError) {
      fail(render, 'ffmpeg_unusable', `ffmpeg could not be started (${(res.spawnError as NodeJS.ErrnoException).code ?? res.spawnError.message}). Set TALKBATCH_FFMPEG to the path of an ffmpeg binary.`);
      return;
    }
    if (res.code !== 0) {
      const reason = meaningfulStderr(render.stderr) || (res.signal ? `ffmpeg was stopped by ${res.signal}` : `ffmpeg exited with code ${res.code}`);
      if (render.stderr.some((l) => /No space left on device/i.test(l))) fail(render, 'disk_full', diskFull(files.out));
      else fail(render, 'ffmpeg_failed', named(`ffmpeg could not render this video: ${reason}`));
      return;
    }
    if (!existsSync(files.temp)) {
      fail(render, 'ffmpeg_failed', 'ffmpeg finished but wrote no video');
      return;
    }
    await rename(files.temp, files.out);
    // A cancel between the two processes finds no child to kill: it must not be overwritten by the next phase.
    if (render.canceled) return;
    render.state = 'thumbnail';
    render.stderr.length = 0;
    const thumbAt = Math.min(1, durationSec / 2);
    const thumb = await runTracked(render, bins.ffmpeg, buildThumbnailArgs(files.out, thumbAt, files.thumbTemp), path.dirname(files.out));
    render.child = null;
    if (render.canceled) return;
    if (thumb.code === 0 && existsSync(files.thumbTemp)) await rename(files.thumbTemp, files.thumb);
    else ctx.log('warn', 'No thumbnail for this local render', { providerJobId: render.providerJobId, reason: meaningfulStderr(render.stderr) });
    if (render.canceled) return;
    render.state = 'done';
    ctx.log('info', 'Local render finished', { providerJobId: render.providerJobId, seconds: render.startedAt ? (Date.now() - render.startedAt) / 1000 : null });
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'ENOSPC' || (e as NodeJS.ErrnoException)?.code === 'EDQUOT') fail(render, 'disk_full', diskFull(files.out));
    else fail(render, 'local_render_failed', named(`The local render failed: ${e instanceof Error ? e.message : String(e)}`));
  } finally {
    render.child = null;
    await removeFiles(files.srt, files.thumbTemp);
    if (render.state !== 'done') await removeFiles(files.temp);
    if (render.canceled) await removeFiles(files.temp, files.out, files.thumb);
  }
}

/** Stops a render in flight and removes everything it wrote. */
async function stopRender(render: Render): Promise<void> {
  if (!ACTIVE.includes(render.state)) return;
  render.canceled = true;
  render.state = 'canceled';
  render.child?.kill('SIGKILL');
  await render.finished;
  await removeFiles(render.files.temp, render.files.out, render.files.thumb, render.files.thumbTemp, render.files.srt);
}

function pollOne(job: AdapterJob, ctx: AdapterContext): PollResult {
  const providerJobId = providerJobIdOf(job);
  const render = renders.get(providerJobId);
  if (!render) {
    // Not started in this app run. A finished file means it completed before a restart; otherwise the
    // process died with the previous run (spec retryLostJobs: the engine renders it again).
    if (existsSync(filesFor(ctx.workDir, providerJobId).out)) return { state: 'succeeded', rawStatus: 'done', progress: 1 };
    return {
      state: 'not_found',
      rawStatus: 'unknown',
      error: { code: 'render_lost', message: 'This local render is no longer running (the app was restarted during it); it can simply be rendered again.' },
    };
  }
  switch (render.state) {
    case 'preparing':
      return { state: 'queued', rawStatus: 'preparing', progress: 0 };
    case 'rendering': {
      const fraction = render.durationSec ? render.progress.fraction(render.durationSec) : 0;
      const elapsedSec = render.startedAt ? (Date.now() - render.startedAt) / 1000 : 0;
      return {
        state: 'running',
        rawStatus: 'rendering',
        progress: Math.min(0.99, fraction),
        ...(fraction > 0.01 ? { etaSec: Math.max(0, Math.round((elapsedSec * (1 - fraction)) / fraction)) } : {}),
        providerState: { captions: render.captions, durationSec: render.durationSec },
      };
    }
    case 'thumbnail':
      return { state: 'running', rawStatus: 'thumbnail', progress: 0.99, etaSec: 1 };
    case 'done':
      return { state: 'succeeded', rawStatus: 'done', progress: 1, providerState: { captions: render.captions, durationSec: render.durationSec } };
    case 'failed':
      if (render.error?.code === 'disk_full') {
        // Not the draft's fault, and free to redo: reported lost, so the engine queues it again.
        renders.delete(providerJobId);
        return { state: 'not_found', rawStatus: 'disk_full', error: render.error };
      }
      return { state: 'failed', rawStatus: 'failed', error: render.error ?? { code: 'local_render_failed', message: 'The local render failed' } };
    case 'canceled':
      return { state: 'canceled', rawStatus: 'canceled' };
  }
}

// Built once: os.cpus() reads /proc on every call, and the scheduler (every tick) and admission (every
// row) ask for the spec (npm run bench: a third of a 10,000-row enqueue went to os.cpus()).
let described: ReturnType<ProviderAdapter['describe']> | undefined;

export const localAdapter: ProviderAdapter = {
  id: 'local',

  describe() {
    described ??= { ...localSpec, concurrencyDefault: Math.max(1, os.cpus().length - 1) };
    return described;
  },

  validate(input) {
    return localSpec.validate(input);
  },

  estimateCost(input) {
    return localSpec.estimateCost(input);
  },

  async submit(job, ctx) {
    const providerJobId = `local-${job.id}-${job.attempt}`;
    localInputs(job, ctx);
    const bins = await binaries();
    installExitHook();
    // The same attempt submitted again (reconcile says absent): start over rather than run twice into one file.
    const previous = renders.get(providerJobId);
    if (previous) await stopRender(previous);
    const files = filesFor(ctx.workDir, providerJobId);
    await sweepStaleTemps(ctx.workDir);
    await removeFiles(files.out, files.temp, files.thumb, files.thumbTemp, files.srt);

    const render: Render = {
      providerJobId,
      files,
      state: 'preparing',
      canceled: false,
      durationSec: null,
      child: null,
      progress: new ProgressReader(),
      stderr: [],
      startedAt: null,
      captions: 'off',
      error: undefined,
      finished: Promise.resolve(),
    };
    renders.set(providerJobId, render);
    render.finished = runRender(render, job, ctx, bins);
    return { providerJobId, initial: { state: 'queued', rawStatus: 'preparing', progress: 0 } };
  },

  async poll(jobs, ctx) {
    return new Map(jobs.map((job) => [job.id, pollOne(job, ctx)]));
  },

  async output(job, ctx) {
    const providerJobId = providerJobIdOf(job);
    const files = renders.get(providerJobId)?.files ?? filesFor(ctx.workDir, providerJobId);
    if (!existsSync(files.out)) {
      throw new ProviderError('not_found', `The local render ${path.basename(files.out)} is no longer in ${path.dirname(files.out)}; render it again.`, { code: 'render_missing' });
    }
    return {
      url: pathToFileURL(files.out).href,
      extension: 'mp4',
      ...(existsSync(files.thumb) ? { thumbnail: { url: pathToFileURL(files.thumb).href } } : {}),
    };
  },

  async cancel(job, ctx) {
    const providerJobId = providerJobIdOf(job);
    const render = renders.get(providerJobId);
    if (render) {
      await stopRender(render);
      return;
    }
    const files = filesFor(ctx.workDir, providerJobId);
    await removeFiles(files.temp, files.thumbTemp, files.srt);
  },

  async reconcile() {
    return { outcome: 'absent', evidence: 'Local renders cost nothing and leave no trace at a provider: rendering again is always safe.' };
  },

  async testCredentials() {
    try {
      const bins = await binaries();
      const caps = await ffmpegCapabilities(bins.ffmpeg);
      const probe = await runToEnd(bins.ffprobe, ['-version'], { timeoutMs: 15_000 });
      if (probe.code !== 0) return { ok: false, message: `ffprobe at ${bins.ffprobe} did not run (exit ${probe.code ?? probe.signal}). Set TALKBATCH_FFPROBE to an ffprobe binary.` };
      const captions = caps.burnCaptions ? 'captions are burned into the picture' : 'captions go in a subtitle track (this ffmpeg cannot burn them in)';
      return { ok: true, message: `ffmpeg ${caps.version} is ready (${bins.ffmpeg}); ${captions}.` };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      return { ok: false, message: e instanceof ProviderError ? reason : `ffmpeg could not be started: ${reason}. Set TALKBATCH_FFMPEG to the path of an ffmpeg binary.` };
    }
  },
};

/**
 * Test hook: what an app restart does to renders in flight. Kills every ffmpeg this module started and forgets
 * them all, as a new app run would.
 */
export async function simulateLocalRestartForTests(): Promise<void> {
  const all = [...renders.values()];
  renders.clear();
  sweptDirs.clear();
  for (const r of all) {
    r.canceled = true;
    r.child?.kill('SIGKILL');
  }
  await Promise.all(all.map((r) => r.finished));
}

/** Test hook: the ffmpeg process of a render (pid while one runs) and its state. */
export function localRenderForTests(providerJobId: string): Readonly<{ state: RenderState; pid: number | undefined; running: boolean }> | undefined {
  const r = renders.get(providerJobId);
  if (!r) return undefined;
  return { state: r.state, pid: r.child?.pid, running: r.child !== null && r.child.exitCode === null && r.child.signalCode === null };
}
