import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { AssetKind } from '../../../shared/model';
import { ffmpegPath, ffprobePath } from './binaries';

const run = promisify(execFile);

export type Probe = Readonly<{ width?: number; height?: number; durationSec?: number; hasVideo: boolean; hasAudio: boolean; codec?: string }>;

/** What the first bytes say the file is (never trust the extension alone: "a text file named .wav"). */
export type Sniffed = 'png' | 'jpeg' | 'webp' | 'gif' | 'wav' | 'mp3' | 'mp4' | 'webm' | 'avi' | 'ogg' | 'flac' | 'aac' | 'unknown';

export async function sniff(file: string): Promise<Sniffed> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(16);
    const { bytesRead } = await fh.read(b, 0, 16, 0);
    return sniffBytes(b.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function sniffBytes(b: Buffer): Sniffed {
  const ascii = (s: number, e: number) => b.subarray(s, e).toString('latin1');
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'AVI ') return 'avi';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  if (['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip'].includes(ascii(4, 8))) return 'mp4';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (b.length >= 2 && b[0] === 0xff && ((b[1] ?? 0) & 0xf6) === 0xf0) return 'aac';
  if (b.length >= 2 && b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0) return 'mp3';
  return 'unknown';
}

export const SNIFF_KIND: Readonly<Record<Exclude<Sniffed, 'unknown'>, AssetKind | 'audio-or-video'>> = {
  png: 'image',
  jpeg: 'image',
  webp: 'image',
  gif: 'image',
  wav: 'audio',
  mp3: 'audio',
  ogg: 'audio',
  flac: 'audio',
  aac: 'audio',
  mp4: 'audio-or-video',
  webm: 'audio-or-video',
  avi: 'video',
};

type FfprobeJson = {
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number; duration?: string }[];
  format?: { duration?: string };
};

/** Reads dimensions and duration; throws with ffprobe's own reason when the file cannot be read. */
export async function probe(file: string): Promise<Probe> {
  let stdout: string;
  try {
    ({ stdout } = await run(ffprobePath(), ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file], { maxBuffer: 4 * 1024 * 1024 }));
  } catch (e) {
    throw new Error(reasonOf(e));
  }
  const j = JSON.parse(stdout) as FfprobeJson;
  const video = j.streams?.find((s) => s.codec_type === 'video');
  const audio = j.streams?.find((s) => s.codec_type === 'audio');
  const dur = Number(j.format?.duration ?? video?.duration ?? audio?.duration);
  return {
    hasVideo: !!video,
    hasAudio: !!audio,
    ...(video?.width ? { width: video.width } : {}),
    ...(video?.height ? { height: video.height } : {}),
    ...(Number.isFinite(dur) && dur > 0 ? { durationSec: Math.round(dur * 1000) / 1000 } : {}),
    ...(video?.codec_name ?? audio?.codec_name ? { codec: (video?.codec_name ?? audio?.codec_name)! } : {}),
  };
}

/**
 * Decodes an image fully: a truncated PNG/JPG can have a readable header and still be broken.
 * `-err_detect explode`: ffmpeg's JPEG decoder otherwise conceals a missing end ("EOI missing,
 * emulating") and a JPG cut in half passes as a grey-bottomed picture.
 */
export async function decodeImage(file: string): Promise<void> {
  try {
    await run(ffmpegPath(), ['-v', 'error', '-err_detect', 'explode', '-xerror', '-i', file, '-f', 'null', '-'], { maxBuffer: 1024 * 1024 });
  } catch (e) {
    throw new Error(reasonOf(e));
  }
}

function reasonOf(e: unknown): string {
  const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
  const lines = stderr.split('\n').map((l) => l.replace(/^\[[^\]]+\]\s*/, '').trim()).filter(Boolean);
  return lines.slice(-2).join('; ') || (e as Error).message;
}
