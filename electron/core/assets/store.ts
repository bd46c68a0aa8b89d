import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, openAsBlob } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AssetInfo, AssetKind } from '../../../shared/model';
import { formatBytes } from '../../../shared/provider-spec';
import type { AssetRepo } from '../db/assets';
import { decodeImage, probe, sniff, SNIFF_KIND, type Sniffed } from '../media/probe';

/**
 * Inputs are copied into a content-addressed store (<data dir>/assets/ab/abcdef…) on enqueue, so
 * moving or editing an original never breaks a queued job, and the same file used by 500 rows is
 * stored (and uploaded) once. See docs/decisions/0002-content-addressed-assets.md.
 */

export const EXTENSIONS: Readonly<Record<AssetKind, readonly string[]>> = {
  image: ['png', 'jpg', 'jpeg', 'webp'],
  audio: ['wav', 'mp3', 'm4a', 'aac', 'ogg', 'flac'],
  video: ['mp4', 'mov', 'webm', 'avi'],
};

const MIME: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
};

/** Which sniffed contents each extension may hold. */
const EXPECTED: Readonly<Record<string, readonly Sniffed[]>> = {
  png: ['png'],
  jpg: ['jpeg'],
  jpeg: ['jpeg'],
  webp: ['webp'],
  wav: ['wav'],
  mp3: ['mp3'],
  m4a: ['mp4'],
  aac: ['aac', 'mp4'],
  ogg: ['ogg'],
  flac: ['flac'],
  mp4: ['mp4'],
  mov: ['mp4'],
  webm: ['webm'],
  avi: ['avi'],
};

export const ACCEPTED_FILES = Object.values(EXTENSIONS)
  .flat()
  .map((e) => `.${e}`)
  .join(', ');

/** A problem with one input file, in words a creator understands; the caller adds row and field. */
export class FileProblem extends Error {
  constructor(
    message: string,
    readonly accepted: string,
  ) {
    super(message);
    this.name = 'FileProblem';
  }
}

export function kindOfExtension(ext: string): AssetKind | undefined {
  return (Object.keys(EXTENSIONS) as AssetKind[]).find((k) => EXTENSIONS[k].includes(ext));
}

export class AssetStore {
  constructor(
    readonly dir: string,
    private readonly repo: AssetRepo,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  pathOf(id: string): string {
    return path.join(this.dir, id.slice(0, 2), id);
  }

  info(id: string): AssetInfo {
    const a = this.repo.get(id);
    if (!a) throw new Error(`Asset ${id.slice(0, 12)} is not in the asset store`);
    return a;
  }

  has(id: string): boolean {
    return existsSync(this.pathOf(id)) && !!this.repo.get(id);
  }

  async blob(id: string): Promise<Blob> {
    return await openAsBlob(this.pathOf(id), { type: this.info(id).mime });
  }

  /** Checks a file where it is (nothing copied yet): used by preflight so bad input costs nothing. */
  async inspect(file: string, name = path.basename(file)): Promise<Omit<AssetInfo, 'id'>> {
    let st;
    try {
      st = await stat(file);
    } catch {
      throw new FileProblem(`${file} does not exist`, 'a path to an existing file (relative paths are relative to the batch file)');
    }
    if (st.isDirectory()) throw new FileProblem(`${file} is a folder, not a file`, `a file: ${ACCEPTED_FILES}`);
    if (st.size === 0) throw new FileProblem(`${name} is empty (0 bytes)`, 'a file with content');
    const ext = path.extname(name).slice(1).toLowerCase();
    const kind = kindOfExtension(ext);
    if (!kind) throw new FileProblem(`${name}: .${ext || '(no extension)'} files are not supported`, ACCEPTED_FILES);
    const sniffed = await sniff(file);
    if (!EXPECTED[ext]?.includes(sniffed)) {
      const what = sniffed === 'unknown' ? 'not a media file' : `really a ${sniffed.toUpperCase()} file`;
      throw new FileProblem(`${name} is named .${ext} but is ${what}`, `a real .${ext} file, or rename it to its real type`);
    }
    const mapped = SNIFF_KIND[sniffed as Exclude<Sniffed, 'unknown'>];
    let p;
    try {
      p = await probe(file);
      if (kind === 'image') await decodeImage(file);
    } catch (e) {
      throw new FileProblem(`${name} cannot be read as ${kind === 'audio' ? 'audio' : kind === 'image' ? 'an image' : 'a video'}: ${(e as Error).message}`, `an undamaged ${kind} file`);
    }
    if (kind === 'video' && !p.hasVideo) throw new FileProblem(`${name} has no video stream`, 'a video file with a picture');
    if (kind === 'audio' && !p.hasAudio) throw new FileProblem(`${name} has no audio stream`, 'an audio file with sound');
    if (mapped === 'image' && (!p.width || !p.height)) throw new FileProblem(`${name} has no readable dimensions`, 'an undamaged image');
    return {
      name,
      mime: MIME[ext] ?? 'application/octet-stream',
      kind,
      size: st.size,
      ...(p.width ? { width: p.width } : {}),
      ...(p.height ? { height: p.height } : {}),
      ...(kind !== 'image' && p.durationSec ? { durationSec: p.durationSec } : {}),
    };
  }

  /** Copies a file into the store (hashing while copying) after checking it; same bytes → same asset. */
  async importFile(file: string, name = path.basename(file), inspected?: Omit<AssetInfo, 'id'>): Promise<AssetInfo> {
    // Admission passes what its preflight already found, so a file is probed once, not twice.
    const meta = inspected ?? (await this.inspect(file, name));
    return await this.ingest(createReadStream(file), meta);
  }

  /** Server mode: bytes arrive over HTTP; written to a temp file, checked, then stored. */
  async importStream(name: string, body: Readable, maxBytes = 8 * 1024 ** 3): Promise<AssetInfo> {
    const tmp = path.join(this.dir, `.upload-${randomUUID()}${path.extname(name)}`);
    let size = 0;
    try {
      const out = createWriteStream(tmp);
      body.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) body.destroy(new FileProblem(`${name} is larger than ${formatBytes(maxBytes)}`, `at most ${formatBytes(maxBytes)}`));
      });
      await pipeline(body, out);
      const meta = await this.inspect(tmp, name);
      return await this.ingest(createReadStream(tmp), meta);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async ingest(src: Readable, meta: Omit<AssetInfo, 'id'>): Promise<AssetInfo> {
    const tmp = path.join(this.dir, `.tmp-${randomUUID()}`);
    const hash = createHash('sha256');
    try {
      src.on('data', (c: Buffer) => hash.update(c));
      await pipeline(src, createWriteStream(tmp, { flags: 'wx' }));
      const id = hash.digest('hex');
      const dest = this.pathOf(id);
      mkdirSync(path.dirname(dest), { recursive: true });
      if (existsSync(dest)) await rm(tmp, { force: true });
      else await rename(tmp, dest);
      const info: AssetInfo = { id, ...meta };
      this.repo.put(info);
      return this.repo.get(id) ?? info;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
