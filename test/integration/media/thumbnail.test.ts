import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../../electron/core/media/binaries';
import { anyFrame, firstNonBlackFrame } from '../../../electron/core/media/thumbnail';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'tb-thumb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Mean brightness 0..255 of an image, by ffmpeg scaling it to one grey pixel. */
async function brightness(file: string): Promise<number> {
  const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-i', file, '-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer' });
  return (stdout as Buffer)[0]!;
}

async function lavfi(out: string, source: string, extra: string[] = []): Promise<string> {
  const file = path.join(dir, out);
  await run(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', source, ...extra, file]);
  return file;
}

describe('firstNonBlackFrame', () => {
  it('skips a fade-in from black to the first frame with a picture', async () => {
    // 2 s of black, then 1 s of a light grey picture.
    const video = path.join(dir, 'fade.mp4');
    await run(ffmpegPath(), [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'color=c=black:s=320x240:d=2:r=10',
      '-f', 'lavfi', '-i', 'color=c=0xC0C0C0:s=320x240:d=1:r=10',
      '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]', '-pix_fmt', 'yuv420p', video,
    ]);
    const out = path.join(dir, 'fade.jpg');
    expect(await firstNonBlackFrame(video, out)).toBe(true);
    expect(await brightness(out)).toBeGreaterThan(150);
    // The naive first frame is black: this is what the library showed before.
    const naive = path.join(dir, 'naive.jpg');
    expect(await anyFrame(video, naive)).toBe(true);
    expect(await brightness(naive)).toBeLessThan(20);
  });

  it('tells a black provider thumbnail from a real one', async () => {
    const black = await lavfi('black.png', 'color=c=black:s=64x64:d=1', ['-frames:v', '1']);
    const real = await lavfi('real.png', 'testsrc=s=64x64:d=1', ['-frames:v', '1']);
    expect(await firstNonBlackFrame(black, path.join(dir, 'b.jpg'))).toBe(false);
    expect(await firstNonBlackFrame(real, path.join(dir, 'r.jpg'))).toBe(true);
  });

  it('says no for a file that is not media', async () => {
    const bad = path.join(dir, 'bad.mp4');
    await (await import('node:fs/promises')).writeFile(bad, 'not a video');
    expect(await firstNonBlackFrame(bad, path.join(dir, 'x.jpg'))).toBe(false);
  });
});
