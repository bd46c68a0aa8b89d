import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ffmpegPath } from './binaries';

const run = promisify(execFile);

/**
 * The first frame that is not (almost) black, as a JPEG 480 px wide: talking-head renders often fade in
 * from black, and some providers serve a black or 1×1 placeholder as their thumbnail (aisa.one's
 * `variant=thumbnail` in early renders). Works on a video or on an image (an image either passes or not).
 *
 * ffmpeg's blackframe filter with amount=0 tags every frame with the share of its pixels darker than
 * `threshold` (lavfi.blackframe.pblack); the metadata filter lets through only frames under 90% dark.
 * Only the first `scanSec` seconds are read, so a long video costs no more than a short one.
 */
export async function firstNonBlackFrame(input: string, out: string, opts: Readonly<{ scanSec?: number; timeoutMs?: number }> = {}): Promise<boolean> {
  await rm(out, { force: true });
  const filter = 'blackframe=amount=0:threshold=32,metadata=mode=select:key=lavfi.blackframe.pblack:value=90:function=less,scale=480:-2';
  try {
    await run(
      ffmpegPath(),
      ['-v', 'error', '-y', '-t', String(opts.scanSec ?? 20), '-i', input, '-vf', filter, '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', out],
      { timeout: opts.timeoutMs ?? 30_000 },
    );
  } catch {
    await rm(out, { force: true });
    return false;
  }
  return existsSync(out);
}

/** Any frame at all (the video is black throughout): better a dark tile than none. */
export async function anyFrame(video: string, out: string): Promise<boolean> {
  await rm(out, { force: true });
  await run(ffmpegPath(), ['-v', 'error', '-y', '-i', video, '-frames:v', '1', '-vf', 'scale=480:-2', '-f', 'image2', '-c:v', 'mjpeg', out], { timeout: 30_000 }).catch(() => undefined);
  return existsSync(out);
}
