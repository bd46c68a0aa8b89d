import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { ffmpegPath } from './binaries';

/**
 * An image scaled to fit inside width x height and padded with black to exactly that size, as a PNG:
 * what a provider needs when it takes a reference image only at the video's own size (aisa/Sora:
 * "input_reference should match the requested size"). Written beside the target through a temporary
 * file, so a crash never leaves half a PNG; an existing file of the right size is reused.
 */
export type FitImage = Readonly<{ input: string; width: number; height: number; out: string; signal?: AbortSignal }>;

/** Why an image could not be fitted: ffmpeg missing (`missing`), or ffmpeg's own last word about the input. */
export class FitImageError extends Error {
  constructor(
    readonly reason: 'missing' | 'unreadable' | 'aborted',
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FitImageError';
  }
}

export async function fitImage(o: FitImage): Promise<void> {
  const existing = await stat(o.out).catch(() => undefined);
  if (existing && existing.size > 0) {
    const dims = await pngSize(o.out).catch(() => undefined);
    if (dims?.width === o.width && dims.height === o.height) return;
  }
  let ffmpeg: string;
  try {
    ffmpeg = ffmpegPath();
  } catch (e) {
    throw new FitImageError('missing', String(e instanceof Error ? e.message : e), e);
  }
  const { width, height } = o;
  const tmp = `${o.out}.${randomBytes(4).toString('hex')}.tmp.png`;
  const filter = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=rgb24`;
  try {
    await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', o.input, '-vf', filter, '-frames:v', '1', '-c:v', 'png', '-f', 'image2', tmp], o.signal);
    const dims = await pngSize(tmp);
    if (dims?.width !== width || dims.height !== height) {
      throw new Error(`the resized image is ${dims ? `${dims.width}x${dims.height}` : 'not a PNG'}, not ${width}x${height}`);
    }
    await rename(tmp, o.out);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    if (o.signal?.aborted) throw new FitImageError('aborted', 'stopped', e);
    const stderr = (e as { stderr?: string }).stderr?.trim().split('\n').filter(Boolean).at(-1);
    throw new FitImageError('unreadable', stderr ?? (e as Error).message, e);
  }
}

/** Width and height from a PNG's IHDR chunk; undefined when the file is not a PNG. */
export async function pngSize(file: string): Promise<{ width: number; height: number } | undefined> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(24);
    const { bytesRead } = await fh.read(buf, 0, 24, 0);
    if (bytesRead < 24 || buf.readUInt32BE(0) !== 0x89504e47 || buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
    return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  } finally {
    await fh.close();
  }
}

function run(bin: string, args: readonly string[], signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60_000, maxBuffer: 4 * 1024 * 1024, ...(signal ? { signal } : {}) }, (error, _stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: String(stderr) }));
      else resolve();
    });
  });
}
