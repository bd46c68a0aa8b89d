import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, truncate } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Agent, interceptors, request } from 'undici';
import { ProviderError, redactUrl } from '../providers/http';
import type { DownloadSpec } from '../providers/types';

// undici 7 follows redirects only through the redirect interceptor (signed links often redirect to a CDN).
const redirecting = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));

export type DownloadResult = Readonly<{ size: number; sha256: string; resumedFrom: number }>;

/**
 * Streams a download into `partPath` (memory stays flat whatever the size), resuming with Range
 * after a cut, and checks the length the server announced. Only the spec's own headers are sent
 * (auth only where the provider's download needs it). The caller renames the part into the library.
 */
export async function downloadTo(
  spec: Pick<DownloadSpec, 'url' | 'headers'>,
  partPath: string,
  opts: Readonly<{ signal?: AbortSignal; timeoutMs?: number; onProgress?: (received: number, total: number | null) => void }> = {},
): Promise<DownloadResult> {
  if (spec.url.startsWith('file:')) return await copyLocal(fileURLToPath(spec.url), partPath);
  let have = 0;
  try {
    have = (await stat(partPath)).size;
  } catch {
    have = 0;
  }
  const headers: Record<string, string> = { ...(spec.headers ?? {}), 'accept-encoding': 'identity' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let res;
  try {
    res = await request(spec.url, {
      method: 'GET',
      headers,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      dispatcher: redirecting,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    throw new ProviderError('transient', `Download from ${hostOf(spec.url)} failed to start: ${(e as Error).message}`, { code: 'download_network', cause: e });
  }
  const status = res.statusCode;
  if (status === 416 && have > 0) {
    // We already have every byte (a crash after the last chunk): the caller verifies the file.
    await res.body.dump();
    return { size: have, sha256: await hashFile(partPath), resumedFrom: have };
  }
  if (status === 403 || status === 401 || status === 410 || (status === 404 && /[?&](x-amz-|exp=|sig=|token=)/i.test(spec.url))) {
    const body = (await res.body.text()).slice(0, 300);
    throw new ProviderError('expired', `The download link from ${hostOf(spec.url)} has expired or was refused (HTTP ${status}${/expired/i.test(body) ? ', expired' : ''})`, {
      status,
      code: 'download_expired',
    });
  }
  if (status >= 400) {
    await res.body.dump();
    const kind = status >= 500 || status === 429 ? 'transient' : 'permanent';
    throw new ProviderError(kind, `Download from ${redactUrl(spec.url)} failed (HTTP ${status})`, { status, code: 'download_http' });
  }
  let start = 0;
  let total: number | null = null;
  if (status === 206) {
    const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
    start = m ? Number(m[1]) : 0;
    total = m && m[3] !== '*' ? Number(m[3]) : null;
    if (start !== have) {
      await res.body.dump();
      await truncate(partPath, 0);
      throw new ProviderError('transient', 'The server resumed at the wrong offset; starting the download again', { code: 'download_range' });
    }
  } else {
    const len = Number(res.headers['content-length']);
    total = Number.isFinite(len) && String(res.headers['content-length'] ?? '') !== '' ? len : null;
    if (have > 0) await truncate(partPath, 0);
  }
  let received = start;
  // The sha256 is computed while the bytes stream by (a second read of a 1 GiB file cost ~2 s);
  // when resuming, the part already on disk is hashed first.
  const hash = createHash('sha256');
  if (start > 0) {
    for await (const c of createReadStream(partPath, { start: 0, end: start - 1, highWaterMark: 1 << 20 })) hash.update(c as Buffer);
  }
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      hash.update(chunk);
      opts.onProgress?.(received, total);
      cb(null, chunk);
    },
  });
  // A cut connection ends the file normally, so every byte received is on disk for the next try to
  // resume from (tearing the file stream down would drop its unwritten buffer, and a file stream
  // destroyed mid-write emits an 'error' nobody listens to). Write errors still fail the pipeline.
  let cut: unknown;
  async function* untilCut(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of body) yield chunk;
    } catch (e) {
      cut = e;
    }
  }
  try {
    await pipeline(untilCut(res.body), counter, createWriteStream(partPath, { flags: start > 0 ? 'a' : 'w', highWaterMark: 1 << 20 }));
  } catch (e) {
    cut ??= e;
  }
  if (cut !== undefined) {
    throw new ProviderError('transient', `The download from ${hostOf(spec.url)} was cut at ${received} bytes; it will resume`, { code: 'download_cut', cause: cut });
  }
  const size = (await stat(partPath)).size;
  if (total !== null && size !== total) {
    throw new ProviderError('transient', `The download from ${hostOf(spec.url)} ended at ${size} of ${total} bytes; it will resume`, { code: 'download_short' });
  }
  if (size === 0) throw new ProviderError('transient', `The download from ${hostOf(spec.url)} was empty`, { code: 'download_empty' });
  return { size, sha256: hash.digest('hex'), resumedFrom: start };
}

async function copyLocal(src: string, partPath: string): Promise<DownloadResult> {
  try {
    await pipeline(createReadStream(src), createWriteStream(partPath));
  } catch (e) {
    throw new ProviderError('permanent', `The rendered file ${src} cannot be read: ${(e as Error).message}`, { code: 'download_local', cause: e });
  }
  const size = (await stat(partPath)).size;
  return { size, sha256: await hashFile(partPath), resumedFrom: 0 };
}

export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) h.update(c);
    yield* [];
  });
  return h.digest('hex');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the provider';
  }
}
