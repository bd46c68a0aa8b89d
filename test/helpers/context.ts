import { createHash } from 'node:crypto';
import { mkdtempSync, openAsBlob, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AssetInfo, AssetKind, InputRef } from '../../shared/model';
import type { ResolvedRef } from '../../shared/provider-spec';
import { HttpClient, type ErrorBodyReader } from '../../electron/core/providers/http';
import type { AdapterContext, AdapterJob, AssetAccess, PollResult } from '../../electron/core/providers/types';
import { FIXTURES, serveBytes } from '../fakes/base';

/**
 * A real AdapterContext for contract tests of one adapter against its fake, without the engine:
 * assets are fixture files, `publicUrl` serves them from a local "public host", state is in memory.
 */

const MIME: Record<string, [string, AssetKind]> = {
  png: ['image/png', 'image'],
  jpg: ['image/jpeg', 'image'],
  jpeg: ['image/jpeg', 'image'],
  webp: ['image/webp', 'image'],
  wav: ['audio/wav', 'audio'],
  mp3: ['audio/mpeg', 'audio'],
  mp4: ['video/mp4', 'video'],
  mov: ['video/quicktime', 'video'],
};

/** Known metadata of the fixtures (probed once with ffprobe when they were made). */
const FIXTURE_META: Record<string, Partial<AssetInfo>> = {
  'avatar.png': { width: 512, height: 512 },
  'voice.wav': { durationSec: 3 },
  'voice.mp3': { durationSec: 3 },
  'sample.mp4': { width: 320, height: 240, durationSec: 2 },
  'thumb.jpg': { width: 320, height: 240 },
};

export type TestAssets = AssetAccess & {
  /** Adds a file (fixture name or absolute path) and returns its ref. */
  add(file: string, meta?: Partial<AssetInfo>): { ref: InputRef; info: AssetInfo };
  /** The same, as validation sees it. */
  resolved(file: string, meta?: Partial<AssetInfo>): ResolvedRef;
  publicHost: { url: string; requests: string[]; close(): Promise<void> };
  uploads: number;
};

export async function testAssets(): Promise<TestAssets> {
  const byId = new Map<string, { info: AssetInfo; file: string }>();
  const remembered = new Map<string, string>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const id = (req.url ?? '').split('/')[2] ?? '';
    const a = byId.get(id);
    if (!a) {
      res.writeHead(404).end();
      return;
    }
    serveBytes(req, res, { filePath: a.file, mime: a.info.mime });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hostUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const published = new Set<string>();
  const api: TestAssets = {
    uploads: 0,
    add(file, meta = {}) {
      const abs = path.isAbsolute(file) ? file : path.join(FIXTURES, file);
      const bytes = readFileSync(abs);
      const id = createHash('sha256').update(bytes).digest('hex');
      const ext = path.extname(abs).slice(1).toLowerCase();
      const [mime, kind] = MIME[ext] ?? ['application/octet-stream', 'image'];
      const info: AssetInfo = { id, name: path.basename(abs), mime, kind, size: statSync(abs).size, ...(FIXTURE_META[path.basename(abs)] ?? {}), ...meta };
      byId.set(id, { info, file: abs });
      return { ref: { asset: id }, info };
    },
    resolved(file, meta) {
      return { asset: api.add(file, meta).info };
    },
    info(id) {
      const a = byId.get(id);
      if (!a) throw new Error(`unknown asset ${id}`);
      return a.info;
    },
    path(id) {
      const a = byId.get(id);
      if (!a) throw new Error(`unknown asset ${id}`);
      return a.file;
    },
    async blob(id) {
      return await openAsBlob(api.path(id), { type: api.info(id).mime });
    },
    async publicUrl(id) {
      const a = api.info(id);
      if (!published.has(id)) {
        published.add(id);
        api.uploads++;
      }
      return `${hostUrl}/assets/${id}/${encodeURIComponent(a.name)}`;
    },
    remembered: (k) => remembered.get(k),
    remember: (k, v) => void remembered.set(k, v),
    publicHost: { url: hostUrl, requests, close: () => new Promise<void>((r) => server.close(() => r())) },
  };
  return api;
}

export type TestContext = AdapterContext & { logs: { level: string; message: string; data?: unknown }[]; stateMap: Map<string, string> };

export function testContext(
  opts: Readonly<{
    baseUrl: string;
    credentials: Record<string, string>;
    assets: AssetAccess;
    readError?: ErrorBodyReader;
    headers?: () => Record<string, string>;
    now?: () => number;
    workDir?: string;
  }>,
): TestContext {
  const logs: TestContext['logs'] = [];
  const stateMap = new Map<string, string>();
  const ctx: TestContext = {
    baseUrl: opts.baseUrl,
    credentials: opts.credentials,
    http: new HttpClient({ baseUrl: opts.baseUrl, defaultTimeoutMs: 5_000, ...(opts.readError ? { readError: opts.readError } : {}), ...(opts.headers ? { headers: opts.headers } : {}) }),
    assets: opts.assets,
    state: { get: (k) => stateMap.get(k), set: (k, v) => void (v === undefined ? stateMap.delete(k) : stateMap.set(k, v)) },
    log: (level, message, data) => void logs.push({ level, message, ...(data ? { data } : {}) }),
    now: opts.now ?? Date.now,
    signal: new AbortController().signal,
    workDir: opts.workDir ?? mkdtempSync(path.join(tmpdir(), 'tb-work-')),
    logs,
    stateMap,
  };
  return ctx;
}

let jobSeq = 0;
export function testJob(input: AdapterJob['input'], over: Partial<AdapterJob> = {}): AdapterJob {
  jobSeq++;
  return {
    id: `job-${jobSeq}`,
    idempotencyKey: `tb-job-${jobSeq}-a1`,
    attempt: 1,
    input,
    providerJobId: null,
    providerState: {},
    submittedAt: null,
    ...over,
  };
}

/** Polls one job until it leaves queued/running, or gives up after `timeoutMs`. */
export async function pollUntilDone(
  adapter: { poll: (jobs: readonly AdapterJob[], ctx: AdapterContext) => Promise<ReadonlyMap<string, PollResult>> },
  job: AdapterJob,
  ctx: AdapterContext,
  timeoutMs = 10_000,
): Promise<PollResult> {
  const deadline = Date.now() + timeoutMs;
  let state: Record<string, unknown> = { ...job.providerState };
  for (;;) {
    const res = (await adapter.poll([{ ...job, providerState: state }], ctx)).get(job.id);
    if (!res) throw new Error(`poll returned nothing for ${job.id}`);
    if (res.providerState) state = { ...state, ...res.providerState };
    if (res.state !== 'queued' && res.state !== 'running') return res;
    if (Date.now() > deadline) throw new Error(`job ${job.id} still ${res.rawStatus} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
