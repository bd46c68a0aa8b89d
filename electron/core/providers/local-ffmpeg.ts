import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { localDimensions, type LocalAspectRatio } from '../../../shared/providers/local';

/**
 * ffmpeg for the local draft renderer: where the binaries are, what this build can do, the argument
 * lists (always an argv array for spawn: no shell, so no quoting of user paths), caption chunks and
 * timing, and reading `-progress` output. Everything that does not start a process is pure and unit-tested.
 */

// Binaries: one place for the whole app (electron/core/media/binaries.ts).
export { ffmpegPath, ffprobePath, unpackedAsarPath } from '../media/binaries';

export type RunResult = Readonly<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;

/** Runs a short command to completion (version, filter list, probe). Rejects only when it cannot start. */
export function runToEnd(bin: string, args: readonly string[], opts: Readonly<{ timeoutMs?: number; cwd?: string }> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, timeout: opts.timeoutMs ?? 30_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

// ---------------------------------------------------------------------------------------------
// What this build can do

export type FfmpegCapabilities = Readonly<{
  version: string;
  /** The `subtitles` filter (libass) exists and fonts were found: captions can be burned in. */
  burnCaptions: boolean;
  zoompan: boolean;
  /** A fonts folder handed to libass where fontconfig has no configuration (Windows, macOS builds). */
  fontsDir: string | undefined;
}>;

/** First line of `ffmpeg -version`: "ffmpeg version N-47683-g0e8eb07980-static https://…" → "N-47683-g0e8eb07980-static". */
export function parseVersion(output: string): string {
  const m = /(?:ffmpeg|ffprobe) version (\S+)/.exec(output);
  return m?.[1] ?? (output.split(/\r?\n/)[0] ?? '').trim();
}

/** Filter names from `ffmpeg -filters` (lines like " ... subtitles         V->V       Render text…"). */
export function parseFilters(output: string): Set<string> {
  const names = new Set<string>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s*[TSC.|]{2,3}\s+(\w+)\s+\S+->\S+/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

/**
 * Where fonts are. Linux builds use fontconfig (its config lists the folders); elsewhere the static builds
 * may have no fontconfig configuration, so libass is pointed at the system folder directly.
 */
export function fontDirs(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): { dirs: string[]; passToLibass: boolean } {
  if (env.TALKBATCH_FONTS_DIR) return { dirs: [env.TALKBATCH_FONTS_DIR], passToLibass: true };
  if (platform === 'win32') return { dirs: [path.win32.join(env.WINDIR ?? 'C:\\Windows', 'Fonts')], passToLibass: true };
  if (platform === 'darwin') return { dirs: ['/System/Library/Fonts', '/Library/Fonts'], passToLibass: true };
  const home = env.HOME ?? '';
  return { dirs: ['/usr/share/fonts', '/usr/local/share/fonts', path.join(home, '.fonts'), path.join(home, '.local/share/fonts')], passToLibass: false };
}

function hasFiles(dir: string): boolean {
  try {
    return existsSync(dir) && readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

const capabilityCache = new Map<string, Promise<FfmpegCapabilities>>();

/** Asks this ffmpeg once per app run what it can do (`-version`, `-filters`) and looks for fonts. */
export function ffmpegCapabilities(ffmpeg: string): Promise<FfmpegCapabilities> {
  let cached = capabilityCache.get(ffmpeg);
  if (!cached) {
    cached = (async () => {
      const version = await runToEnd(ffmpeg, ['-hide_banner', '-version'], { timeoutMs: 15_000 });
      if (version.code !== 0) throw new Error(`${ffmpeg} -version exited with ${version.code ?? version.signal}: ${lastLines(version.stderr, 2)}`);
      const filters = parseFilters((await runToEnd(ffmpeg, ['-hide_banner', '-filters'], { timeoutMs: 15_000 })).stdout);
      const fonts = fontDirs();
      const fontDir = fonts.dirs.find(hasFiles);
      return {
        version: parseVersion(version.stdout),
        burnCaptions: filters.has('subtitles') && fontDir !== undefined,
        zoompan: filters.has('zoompan'),
        fontsDir: fonts.passToLibass ? fontDir : undefined,
      };
    })();
    // A failed probe (binary missing) is not cached: the user may fix TALKBATCH_FFMPEG and test again.
    cached.catch(() => capabilityCache.delete(ffmpeg));
    capabilityCache.set(ffmpeg, cached);
  }
  return cached;
}

/** Duration of a media file in seconds from ffprobe's JSON; throws with ffprobe's own reason. */
export async function probeDurationSec(ffprobe: string, file: string): Promise<number> {
  const res = await runToEnd(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', file], { timeoutMs: 30_000 });
  const reason = meaningfulStderr(res.stderr);
  if (res.code !== 0) throw new Error(reason || `ffprobe exited with ${res.code ?? res.signal}`);
  const parsed = JSON.parse(res.stdout || '{}') as { format?: { duration?: string } };
  const d = Number(parsed.format?.duration);
  if (!Number.isFinite(d) || d <= 0) throw new Error(reason || 'ffprobe found no duration (is it an audio file?)');
  return d;
}

// ---------------------------------------------------------------------------------------------
// Captions

export type Cue = Readonly<{ startMs: number; endMs: number; text: string }>;

/** Characters per caption line that fit the width at the caption font size of each shape. */
export function captionMaxChars(aspect: LocalAspectRatio): number {
  return aspect === '9:16' ? 22 : aspect === '1:1' ? 30 : 42;
}

/**
 * Splits a script into short caption chunks: at most `maxWords` words and `maxChars` characters, a new chunk after
 * every sentence end, and after a comma once a chunk has a few words (reads like speech). A single word longer
 * than `maxChars` stays whole (libass wraps it).
 */
export function captionChunks(script: string, maxChars: number, maxWords = 7): string[] {
  const words = script.trim().split(/\s+/).filter(Boolean);
  const chunks: string[] = [];
  let cur: string[] = [];
  const flush = (): void => {
    if (cur.length) chunks.push(cur.join(' '));
    cur = [];
  };
  for (const w of words) {
    if (cur.length && (cur.length >= maxWords || [...cur, w].join(' ').length > maxChars)) flush();
    cur.push(w);
    if (/[.!?;:…]["'”’)\]]*$/.test(w) || (cur.length >= 4 && /,["'”’)\]]*$/.test(w))) flush();
  }
  flush();
  return chunks;
}

function wordCount(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

/** Times chunks back to back over the whole duration, each in proportion to its word count. */
export function timeCaptions(chunks: readonly string[], durationSec: number): Cue[] {
  const total = chunks.reduce((n, c) => n + wordCount(c), 0);
  if (total === 0 || durationSec <= 0) return [];
  const totalMs = Math.round(durationSec * 1000);
  const cues: Cue[] = [];
  let done = 0;
  for (const text of chunks) {
    const startMs = Math.round((totalMs * done) / total);
    done += wordCount(text);
    cues.push({ startMs, endMs: Math.round((totalMs * done) / total), text });
  }
  return cues;
}

function srtTime(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms % 1000, 3)}`;
}

/**
 * SubRip text. ffmpeg's SRT reader treats `{…}` as ASS override tags, `<…>` as font tags, a backslash as an
 * escape and `-->` as a timing line, so those are neutralised: a script is shown as written, never styled.
 */
export function toSrt(cues: readonly Cue[]): string {
  const clean = (t: string): string => t.replace(/-->/g, '→').replace(/\{/g, '(').replace(/\}/g, ')').replace(/</g, '‹').replace(/>/g, '›').replace(/\\/g, '/');
  return cues.map((c, i) => `${i + 1}\n${srtTime(c.startMs)} --> ${srtTime(c.endMs)}\n${clean(c.text)}\n`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Arguments

/**
 * Escapes a path for a filter option inside a -filter_complex graph: option level (' : \), then graph level
 * (\ ' [ ] , ;), as in the ffmpeg-filters "Notes on filtergraph escaping". Backslashes become slashes first
 * (Windows accepts them, and a backslash would otherwise need escaping twice over).
 */
export function escapeFilterPath(v: string): string {
  const option = v.replace(/\\/g, '/').replace(/[':]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

export type CaptionsPlan = 'burn' | 'soft' | 'off';

export type RenderPlan = Readonly<{
  avatar: Readonly<{ path: string; kind: 'image' | 'video' }>;
  /** Absent: a silent track of `durationSec`. */
  audioPath?: string;
  durationSec: number;
  aspect: LocalAspectRatio;
  height: number;
  captions: CaptionsPlan;
  /** Caption file name relative to the working folder (ffmpeg runs there, so the filter needs no path escaping). */
  srtFile?: string;
  fontsDir?: string;
  /** Output file (a temp name; renamed when ffmpeg exits 0). */
  outFile: string;
  fps?: number;
  /** Slow zoom on images; false on builds without zoompan. */
  zoompan?: boolean;
}>;

/** Caption style: white with a dark outline near the bottom, sized for the shape (libass units of a 288-line frame). */
function captionStyle(aspect: LocalAspectRatio): string {
  const size = aspect === '9:16' ? 14 : 16;
  return `FontSize=${size},PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,BorderStyle=1,Outline=1.5,Shadow=0,Alignment=2,MarginV=${aspect === '16:9' ? 18 : 28}`;
}

/** Full ffmpeg argv for one render: H.264 (yuv420p) + AAC in MP4 with +faststart, progress on stdout. */
export function buildRenderArgs(plan: RenderPlan): string[] {
  const { width: W, height: H } = localDimensions(plan.aspect, plan.height);
  const fps = plan.fps ?? 25;
  const D = Math.max(0.04, plan.durationSec);
  const dur = D.toFixed(3);
  const frames = Math.max(1, Math.ceil(D * fps));
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats'];

  // Input 0: the avatar.
  if (plan.avatar.kind === 'image') {
    // image2 would read a "%" in a path as a frame-number pattern.
    args.push('-f', 'image2', '-pattern_type', 'none', '-i', plan.avatar.path);
  } else {
    args.push('-stream_loop', '-1', '-i', plan.avatar.path);
  }
  // Input 1: the audio, or silence as long as the script takes to say.
  if (plan.audioPath) args.push('-i', plan.audioPath);
  else args.push('-f', 'lavfi', '-t', dur, '-i', 'anullsrc=r=48000:cl=stereo');
  const soft = plan.captions === 'soft' && plan.srtFile;
  if (soft) args.push('-f', 'srt', '-i', plan.srtFile as string);

  let video: string;
  if (plan.avatar.kind === 'image') {
    // Ken Burns: zoom from 1.0 to 1.1 while drifting right over the whole clip. Zoompan rounds its crop to whole
    // pixels, so it works on a frame twice the output size to keep the motion from stepping.
    const cover = `scale=${W * 2}:${H * 2}:force_original_aspect_ratio=increase,crop=${W * 2}:${H * 2},setsar=1`;
    video =
      plan.zoompan === false
        ? `loop=loop=-1:size=1,${cover},scale=${W}:${H},fps=${fps}`
        : `${cover},zoompan=z='1+0.1*on/${frames}':x='(iw-iw/zoom)*on/${frames}':y='(ih-ih/zoom)*0.35':d=${frames}:s=${W}x${H}:fps=${fps}`;
  } else {
    video = `fps=${fps},scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H}`;
  }
  video += ',setsar=1,format=yuv420p';
  if (plan.captions === 'burn' && plan.srtFile) {
    video += `,subtitles=filename=${escapeFilterPath(plan.srtFile)}`;
    if (plan.fontsDir) video += `:fontsdir=${escapeFilterPath(plan.fontsDir)}`;
    // Quoted at the graph level, so its commas do not split the filter chain.
    video += `:force_style='${captionStyle(plan.aspect)}'`;
  }
  args.push('-filter_complex', `[0:v]${video}[v]`, '-map', '[v]', '-map', '1:a:0');
  if (soft) args.push('-map', '2:s:0');

  args.push('-t', dur, '-r', String(fps));
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p');
  args.push('-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2');
  if (soft) args.push('-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng', '-metadata:s:s:0', 'title=Script');
  args.push('-movflags', '+faststart', '-f', 'mp4', plan.outFile);
  return args;
}

/** One JPG frame from the finished video, for the library thumbnail. */
export function buildThumbnailArgs(video: string, atSec: number, outFile: string): string[] {
  return ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-ss', atSec.toFixed(3), '-i', video, '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-update', '1', outFile];
}

// ---------------------------------------------------------------------------------------------
// Progress and errors

/**
 * Reads `-progress pipe:1` blocks ("key=value" lines ending with "progress=continue|end"). Old builds (before
 * ffmpeg 4.3) name the microsecond field `out_time_ms` (a known misnomer); newer ones also send `out_time_us`.
 */
export class ProgressReader {
  outTimeSec = 0;
  ended = false;
  private partial = '';

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'out_time_us' || key === 'out_time_ms') {
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) this.outTimeSec = Math.max(this.outTimeSec, us / 1e6);
    } else if (key === 'out_time') {
      const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value);
      if (m) this.outTimeSec = Math.max(this.outTimeSec, Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
    } else if (key === 'progress' && value === 'end') {
      this.ended = true;
    }
  }

  /** 0..1 against the known duration. */
  fraction(durationSec: number): number {
    if (durationSec <= 0) return 0;
    return Math.min(1, Math.max(0, this.outTimeSec / durationSec));
  }
}

/** stderr noise that says nothing about why a render failed. */
const NOISE = [/^Fontconfig (warning|error)/i, /^Conversion failed!?$/i, /^Error marking filters as finished$/i, /^Exiting normally/i, /^\s*$/];

/**
 * The reason for a failure, from ffmpeg's stderr: the last few distinct meaningful lines, with the "[png @ 0x…]"
 * decoder address reduced to its name, joined for one message.
 */
export function meaningfulStderr(stderr: string | readonly string[], max = 3): string {
  const lines = (typeof stderr === 'string' ? stderr.split(/\r?\n/) : stderr)
    .map((l) => l.trim().replace(/^\[([\w-]+) @ 0x[0-9a-f]+\]\s*/i, '$1: '))
    .filter((l) => !NOISE.some((n) => n.test(l)));
  const distinct: string[] = [];
  for (const l of lines) if (!distinct.includes(l)) distinct.push(l);
  const text = distinct.slice(-max).join('; ');
  return text.length > 600 ? `…${text.slice(-600)}` : text;
}

function lastLines(s: string, n: number): string {
  return meaningfulStderr(s, n);
}
