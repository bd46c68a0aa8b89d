import { createReadStream, openAsBlob, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'undici';
import { downloadTo } from '../../electron/core/library/download';
import { FormData, HttpClient, isProviderError } from '../../electron/core/providers/http';
import { serve, withMemory } from '../lib/rpc';

/**
 * The app's transfer code in a fresh process per measurement (so its memory is the transfer's):
 * library/download.ts `downloadTo` (resumable, verified) and the shared HTTP client's multipart upload
 * with a file-backed Blob (what the adapters send).
 */
/**
 * The first request of a process sets undici up (its HTTP parser is WebAssembly, tens of MB); the app
 * has made many requests before it downloads or uploads anything, so each measurement starts warm.
 */
async function warmUp(url: string, method: 'GET' | 'POST'): Promise<void> {
  if (method === 'GET') {
    const res = await request(url, { headers: { range: 'bytes=0-0' } });
    await res.body.dump();
    return;
  }
  const form = new FormData();
  form.append('video', new Blob([Buffer.alloc(1024)], { type: 'video/mp4' }), 'warm.mp4');
  await new HttpClient({ baseUrl: url }).send({ method: 'POST', path: url, form, idempotent: false });
}

const api = {
  async download(p: { url: string; part: string; keep?: boolean }) {
    await warmUp(p.url, 'GET');
    let lastByteAt = 0;
    const t0 = performance.now();
    const m = await withMemory(() => downloadTo({ url: p.url }, p.part, { timeoutMs: 600_000, onProgress: () => (lastByteAt = performance.now()) }));
    const ms = performance.now() - t0;
    if (!p.keep) await rm(p.part, { force: true });
    return { ms, transferMs: lastByteAt - t0, size: m.value.size, sha256: m.value.sha256, resumedFrom: m.value.resumedFrom, rssBefore: m.rssBefore, peakRss: m.peakRss };
  },
  /** Reference: undici (the HTTP client downloadTo uses) reading the same response and discarding it. */
  async readOnly(p: { url: string }) {
    await warmUp(p.url, 'GET');
    const t0 = performance.now();
    const m = await withMemory(async () => {
      const res = await request(p.url);
      let n = 0;
      for await (const c of res.body) n += (c as Buffer).length;
      return n;
    });
    return { ms: performance.now() - t0, size: m.value, rssBefore: m.rssBefore, peakRss: m.peakRss };
  },
  /** A download the file host cuts part-way: the bytes received stay in the part file. */
  async downloadCut(p: { url: string; part: string }) {
    try {
      await downloadTo({ url: p.url }, p.part, { timeoutMs: 600_000 });
    } catch (e) {
      if (isProviderError(e) && e.code === 'download_cut') return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error('the download was not cut');
  },
  /** Reference: undici sending the same file as a plain stream read in 1 MiB chunks (no multipart encoder). */
  async uploadStream(p: { url: string; file: string }) {
    await warmUp(p.url, 'GET');
    const t0 = performance.now();
    const m = await withMemory(async () => {
      const res = await request(p.url, { method: 'POST', body: createReadStream(p.file, { highWaterMark: 1 << 20 }), headers: { 'content-length': String(statSync(p.file).size) } });
      return await res.body.text();
    });
    return { ms: performance.now() - t0, body: m.value, rssBefore: m.rssBefore, peakRss: m.peakRss };
  },
  async upload(p: { url: string; file: string }) {
    await warmUp(p.url, 'POST');
    const t0 = performance.now();
    const m = await withMemory(async () => {
      const form = new FormData();
      form.append('model', 'lipsync-2');
      form.append('video', await openAsBlob(p.file, { type: 'video/mp4' }), 'avatar.mp4');
      const client = new HttpClient({ baseUrl: p.url, defaultTimeoutMs: 600_000 });
      return await client.send({ method: 'POST', path: p.url, form, idempotent: false });
    });
    return { ms: performance.now() - t0, status: m.value.status, body: m.value.text, rssBefore: m.rssBefore, peakRss: m.peakRss };
  },
};

export type Api = typeof api;
serve(api);
