import { createHmac, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import Busboy from 'busboy';

/**
 * The base of every provider fake: a real HTTP server on 127.0.0.1 with a request log that tests
 * assert on, injectable faults, simulated render time on an adjustable clock, and output files
 * served with real bytes, Range support and expiring signed URLs.
 */

export type FaultKind =
  | '429' // Retry-After in seconds
  | '429-date' // Retry-After as an HTTP-date
  | '500'
  | '502'
  | '503'
  | 'reset' // the connection is destroyed without an answer (before handling)
  | 'reset-after' // the request is handled (a create creates!), then the connection is destroyed
  | 'slow' // answers after `delayMs`
  | 'timeout' // the request is handled (a create creates!), no answer for `delayMs`, then the connection is dropped
  | 'malformed'; // 200 with a body that is not JSON (after handling: a create creates)

export type Fault = {
  kind: FaultKind;
  method?: string;
  /** Matched against the path (no query). */
  path?: RegExp;
  /** How many times it fires (default 1). */
  times?: number;
  retryAfterSec?: number;
  delayMs?: number;
  /** Extra JSON for 429 bodies, e.g. { errorCode: 'concurrency_limit_reached' }. */
  body?: unknown;
};

/**
 * A download cut short: the next matching output file is served with its full Content-Length but only
 * part of its bytes, then the connection is destroyed (after `stallMs`, to hold a download mid-way).
 */
export type DownloadCut = {
  /** Matched against the file key (e.g. /\.mp4$/); default: any file. */
  key?: RegExp;
  /** Where to cut, as a fraction of the bytes this response would send (default 0.5). */
  fraction?: number;
  /** Where to cut, in bytes of this response (wins over fraction). */
  atBytes?: number;
  /** Keep the connection open this long (real ms) after the partial bytes, then cut it. Default 0. */
  stallMs?: number;
  /** How many downloads it cuts (default 1). */
  times?: number;
};

/**
 * Fault-injection mode ("chaos"): a seeded share of requests gets a random fault, the way a flaky
 * provider and network behave. One `Chaos` can drive several fakes (startAllFakes().chaos()), so a
 * seed reproduces the whole mix. Kinds are drawn from a shuffled bag per request class (every kind
 * comes up once before any comes up twice), so even a short run covers all of them. The interleaving
 * of concurrent requests still varies from run to run: the seed fixes the mix, not the order.
 */
export type ChaosKind =
  | Exclude<FaultKind, 'reset-after'>
  /** Creates only: the render is created, then the connection is destroyed before the answer. */
  | 'reset-after'
  /** Creates only: the render is created and later ends failed/rejected, through the fake's own control. */
  | 'reject'
  /** Downloads: part of the bytes, then the connection is cut. */
  | 'cut'
  /** Signed output URLs: issued already expired (the provider's link outlived its TTL). */
  | 'expired';

export type ChaosClass = 'request' | 'create' | 'download' | 'url';

/** The kinds each class of request can get. */
export const CHAOS_KINDS: Readonly<Record<ChaosClass, readonly ChaosKind[]>> = {
  request: ['429', '429-date', '500', '502', '503', 'reset', 'slow', 'timeout', 'malformed'],
  create: ['429', '429-date', '500', '502', '503', 'reset', 'reset-after', 'slow', 'timeout', 'malformed', 'reject'],
  download: ['cut', '503', 'reset'],
  url: ['expired'],
};

/** Kinds only some classes can get: they lead the first bag of their class, so a short run covers them. */
const CHAOS_FIRST: Readonly<Partial<Record<ChaosClass, readonly ChaosKind[]>>> = { create: ['reset-after', 'reject'], download: ['cut'] };

export type ChaosOptions = {
  seed: number;
  /** Share of requests (and of signed URLs) that get a fault. Default 0.2. */
  rate?: number;
  /** Retry-After sent with 429 and 503, in seconds. Default 1. */
  retryAfterSec?: number;
  /** How long a `slow` answer waits, in real ms. Default 300. */
  slowMs?: number;
  /** How long a `timeout` holds the connection before dropping it, in real ms. Default 1500. */
  timeoutMs?: number;
  /** Kinds never to inject. */
  exclude?: readonly ChaosKind[];
};

export type ChaosEvent = { server: string; kind: ChaosKind; method: string; path: string; at: number };

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Chaos {
  readonly rand: () => number;
  /** Every fault actually injected, in order. */
  readonly injected: ChaosEvent[] = [];
  private readonly bags = new Map<ChaosClass, ChaosKind[]>();
  private enabled = true;

  constructor(readonly options: ChaosOptions) {
    this.rand = seededRandom(options.seed);
  }

  get rate(): number {
    return this.options.rate ?? 0.2;
  }

  /** Stops injecting (requests after this are served normally). */
  stop(): void {
    this.enabled = false;
  }

  get active(): boolean {
    return this.enabled;
  }

  /** The fault for one request of `cls`, or undefined (most requests). */
  draw(cls: ChaosClass): ChaosKind | undefined {
    if (!this.enabled || this.rand() >= this.rate) return undefined;
    const kinds = CHAOS_KINDS[cls].filter((k) => !(this.options.exclude ?? []).includes(k));
    if (!kinds.length) return undefined;
    let bag = this.bags.get(cls);
    if (!bag?.length) {
      const first = this.bags.has(cls) ? [] : (CHAOS_FIRST[cls] ?? []).filter((k) => kinds.includes(k));
      bag = kinds.filter((k) => !first.includes(k));
      for (let i = bag.length - 1; i > 0; i--) {
        const j = Math.floor(this.rand() * (i + 1));
        [bag[i], bag[j]] = [bag[j]!, bag[i]!];
      }
      // Drawn from the end: the leading kinds come first.
      bag.push(...[...first].reverse());
      this.bags.set(cls, bag);
    }
    return bag.pop();
  }

  note(server: string, kind: ChaosKind, method: string, p: string): void {
    this.injected.push({ server, kind, method, path: p, at: Date.now() });
  }

  /** How many faults of each kind were injected. */
  counts(): Partial<Record<ChaosKind, number>> {
    const out: Partial<Record<ChaosKind, number>> = {};
    for (const e of this.injected) out[e.kind] = (out[e.kind] ?? 0) + 1;
    return out;
  }
}

/** How one fake takes part in a Chaos run. */
export type ChaosBinding = {
  chaos: Chaos;
  /** Requests that create a render (they can also get reset-after and reject). */
  creates: readonly Readonly<{ method: string; path: RegExp }>[];
  /** Makes the next created render end failed/rejected at the provider (the fake's own control). */
  reject?: () => void;
};

export type RequestLogEntry = {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body, or the multipart text fields. */
  body: unknown;
  /** Multipart file fields: name → { filename, size, mimeType }. */
  files: Record<string, { filename: string; size: number; mimeType: string }>;
  status?: number;
  fault?: FaultKind | ChaosKind;
  /** A file download cut by `cutDownload`: the bytes that were sent before the cut. */
  cutAtBytes?: number;
};

export type FakeRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  json: unknown;
  fields: Record<string, string>;
  files: Record<string, { filename: string; size: number; mimeType: string; bytes: Buffer }>;
  params: Record<string, string>;
  raw: IncomingMessage;
};

export type FakeReply = {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
};

export type Handler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

type Route = { method: string; pattern: RegExp; keys: string[]; handler: Handler };

export type FakeOptions = {
  /** Multiplies simulated render times (e.g. 0.01 → a 60 s render takes 0.6 s). Default 0.01. */
  timeScale?: number;
  /** Render time in provider seconds for every new job; default per fake. */
  renderSec?: number;
  /**
   * Render time in provider seconds, asked once per new job (wins over renderSec): benchmarks give
   * each simulated job its own realistic render time.
   */
  renderSecFor?: () => number;
  /** Lifetime of signed output URLs, in real ms. Default 1 hour. */
  urlTtlMs?: number;
  /** A clock to use instead of Date.now (benchmarks use a virtual clock). */
  now?: () => number;
  port?: number;
};

/** test/fixtures from the source tree, or from the bundled demo fakes in dist/electron/. */
export const FIXTURES = [path.resolve(__dirname, '..', 'fixtures'), path.resolve(__dirname, '..', '..', 'test', 'fixtures')].find((d) => existsSync(path.join(d, 'sample.mp4'))) ?? path.resolve(__dirname, '..', 'fixtures');

let sampleCache: Buffer | undefined;
/** A small, valid H.264/AAC MP4 (test/fixtures/sample.mp4): what every fake serves as output. */
export function sampleMp4(): Buffer {
  sampleCache ??= readFileSync(path.join(FIXTURES, 'sample.mp4'));
  return sampleCache;
}
let thumbCache: Buffer | undefined;
export function sampleJpg(): Buffer {
  thumbCache ??= readFileSync(path.join(FIXTURES, 'thumb.jpg'));
  return thumbCache;
}

/** Simulated job: its status is derived from the clock, so a restarted client sees consistent state. */
export type SimJob = {
  id: string;
  createdAt: number;
  renderMs: number;
  /** Set to make the job end failed/rejected instead of succeeding. */
  failWith?: { status: string; code: string; message: string };
  canceled?: boolean;
  data: Record<string, unknown>;
};

export class FakeServer {
  readonly log: RequestLogEntry[] = [];
  readonly faults: Fault[] = [];
  readonly files = new Map<string, { bytes?: Buffer; filePath?: string; mime: string }>();
  readonly cuts: DownloadCut[] = [];
  readonly opts: Required<Omit<FakeOptions, 'port' | 'renderSec' | 'renderSecFor'>> & { renderSec: number | undefined; renderSecFor: (() => number) | undefined };
  private readonly routes: Route[] = [];
  private readonly interceptors: ((req: IncomingMessage, res: ServerResponse) => boolean)[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly secret = randomBytes(16).toString('hex');
  private chaosBinding: ChaosBinding | null = null;
  url = '';

  constructor(
    readonly name: string,
    opts: FakeOptions = {},
  ) {
    this.opts = {
      timeScale: opts.timeScale ?? 0.01,
      renderSec: opts.renderSec,
      renderSecFor: opts.renderSecFor,
      urlTtlMs: opts.urlTtlMs ?? 3_600_000,
      now: opts.now ?? Date.now,
    };
    this.server = http.createServer((req, res) => {
      for (const f of this.interceptors) if (f(req, res)) return;
      void this.handle(req, res);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // The signed file route is common to every fake.
    this.route('GET', '/_files/:key', (req) => this.serveFileRoute(req));
  }

  now(): number {
    return this.opts.now();
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Registers a route; `:name` segments become params. */
  route(method: string, pattern: string, handler: Handler): void {
    const keys: string[] = [];
    const re = new RegExp(
      '^' +
        pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, k: string) => {
          keys.push(k);
          return '([^/]+)';
        }) +
        '$',
    );
    this.routes.push({ method, pattern: re, keys, handler });
  }

  /** Handles raw requests before body parsing (streamed uploads); return true when handled. */
  intercept(fn: (req: IncomingMessage, res: ServerResponse) => boolean): void {
    this.interceptors.push(fn);
  }

  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Cuts the next matching output download part-way (see DownloadCut). */
  cutDownload(cut: DownloadCut = {}): void {
    this.cuts.push({ times: 1, ...cut });
  }

  /** Turns the fault-injection mode on (see Chaos) or off (null). Faults given to `inject` still come first. */
  setChaos(binding: ChaosBinding | null): void {
    this.chaosBinding = binding;
  }

  get chaos(): Chaos | null {
    return this.chaosBinding?.chaos ?? null;
  }

  /** Requests matching method and path (string = exact, RegExp = test). */
  requests(method: string, p: string | RegExp): RequestLogEntry[] {
    return this.log.filter((e) => e.method === method && (typeof p === 'string' ? e.path === p : p.test(e.path)));
  }

  /** Render time in real ms for a new job (call it once per job: renderSecFor may differ per call). */
  renderMsFor(defaultSec: number): number {
    return (this.opts.renderSecFor?.() ?? this.opts.renderSec ?? defaultSec) * 1000 * this.opts.timeScale;
  }

  /** 0..1 progress of a simulated job; >= 1 means done. */
  progressOf(job: SimJob): number {
    if (job.renderMs <= 0) return 1;
    return Math.max(0, (this.now() - job.createdAt) / job.renderMs);
  }

  /** Stores bytes (or a file on disk) and returns a signed URL that expires after urlTtlMs. */
  addFile(key: string, content: { bytes?: Buffer; filePath?: string; mime: string }): void {
    this.files.set(key, content);
  }

  signedUrl(key: string, ttlMs = this.opts.urlTtlMs): string {
    const chaos = this.chaosBinding?.chaos;
    if (chaos?.draw('url') === 'expired') {
      chaos.note(this.name, 'expired', 'URL', `/_files/${key}`);
      ttlMs = -1;
    }
    const exp = this.now() + ttlMs;
    const sig = this.sign(`${key}:${exp}`);
    return `${this.url}/_files/${encodeURIComponent(key)}?X-Amz-Expires=${Math.round(ttlMs / 1000)}&exp=${exp}&sig=${sig}`;
  }

  private sign(s: string): string {
    return createHmac('sha256', this.secret).update(s).digest('hex').slice(0, 32);
  }

  private serveFileRoute(req: FakeRequest): FakeReply {
    // Handled specially in handle() because it streams; this is only reached for bad signatures.
    return { status: 403, text: `<Error><Code>AccessDenied</Code><Message>bad signature for ${req.params.key}</Message></Error>` };
  }

  private streamFile(req: IncomingMessage, res: ServerResponse, key: string, query: URLSearchParams, entry: RequestLogEntry, forcedCut?: DownloadCut): boolean {
    const exp = Number(query.get('exp'));
    const sig = query.get('sig') ?? '';
    if (sig !== this.sign(`${key}:${exp}`)) return false;
    if (this.now() > exp) {
      entry.status = 403;
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      return true;
    }
    const file = this.files.get(key);
    if (!file) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<Error><Code>NoSuchKey</Code></Error>');
      return true;
    }
    const i = forcedCut ? -1 : this.cuts.findIndex((c) => (!c.key || c.key.test(key)) && (c.times ?? 1) > 0);
    const cut = forcedCut ?? (i >= 0 ? this.cuts[i]! : undefined);
    if (cut && !forcedCut) {
      cut.times = (cut.times ?? 1) - 1;
      if (cut.times <= 0) this.cuts.splice(i, 1);
    }
    entry.status = serveBytes(req, res, file, cut, (sent) => (entry.cutAtBytes = sent));
    return true;
  }

  private takeFault(method: string, p: string): Fault | undefined {
    const i = this.faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || f.path.test(p)) && (f.times ?? 1) > 0);
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  /** The chaos fault for one API request, as a Fault (undefined for most requests). */
  private chaosFault(method: string, p: string, entry: RequestLogEntry): Fault | undefined {
    const b = this.chaosBinding;
    if (!b) return undefined;
    const isCreate = b.creates.some((c) => c.method === method && c.path.test(p));
    const kind = b.chaos.draw(isCreate ? 'create' : 'request');
    if (!kind) return undefined;
    // "malformed JSON" is noted once it is applied (only JSON answers can be malformed).
    if (kind !== 'malformed') b.chaos.note(this.name, kind, method, p);
    if (kind === 'reject') {
      // Not an HTTP fault: the render is created and later fails at the provider, with its reason.
      b.reject?.();
      entry.fault = 'reject';
      return undefined;
    }
    const o = b.chaos.options;
    if (kind === 'cut' || kind === 'expired') return undefined;
    return {
      kind,
      retryAfterSec: o.retryAfterSec ?? 1,
      delayMs: kind === 'timeout' ? (o.timeoutMs ?? 1500) : (o.slowMs ?? 300),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    if (method === 'GET' && u.pathname.startsWith('/_files/')) {
      const key = decodeURIComponent(u.pathname.slice('/_files/'.length));
      const entry: RequestLogEntry = { at: this.now(), method, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: plainHeaders(req.headers), body: null, files: {} };
      this.log.push(entry);
      const chaos = this.chaosBinding?.chaos;
      const kind = chaos?.draw('download');
      if (chaos && kind) {
        chaos.note(this.name, kind, method, u.pathname);
        entry.fault = kind;
        if (kind === 'reset') {
          req.socket.destroy();
          return;
        }
        if (kind === '503') {
          entry.status = 503;
          res.writeHead(503, { 'content-type': 'application/xml', 'retry-after': String(chaos.options.retryAfterSec ?? 1) });
          res.end('<Error><Code>SlowDown</Code><Message>injected 503</Message></Error>');
          return;
        }
      }
      if (this.streamFile(req, res, key, u.searchParams, entry, kind === 'cut' ? { fraction: 0.1 + 0.8 * (chaos?.rand() ?? 0.5) } : undefined)) return;
    }
    let parsed: { json: unknown; fields: Record<string, string>; files: FakeRequest['files'] };
    try {
      parsed = await readBody(req);
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `unreadable body: ${(e as Error).message}` }));
      return;
    }
    const entry: RequestLogEntry = {
      at: this.now(),
      method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: plainHeaders(req.headers),
      body: parsed.json ?? (Object.keys(parsed.fields).length ? parsed.fields : null),
      files: Object.fromEntries(Object.entries(parsed.files).map(([k, f]) => [k, { filename: f.filename, size: f.size, mimeType: f.mimeType }])),
    };
    this.log.push(entry);
    const injected = this.takeFault(method, u.pathname);
    const fault = injected ?? this.chaosFault(method, u.pathname, entry);
    if (fault) entry.fault = fault.kind;
    if (fault && (fault.kind === 'reset' || fault.kind.startsWith('429') || /^5\d\d$/.test(fault.kind))) {
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      const status = fault.kind.startsWith('429') ? 429 : Number(fault.kind);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 429 || status === 503) {
        const sec = fault.retryAfterSec ?? 1;
        headers['retry-after'] = fault.kind === '429-date' ? new Date(Date.now() + sec * 1000).toUTCString() : String(sec);
      }
      entry.status = status;
      res.writeHead(status, headers);
      res.end(JSON.stringify(fault.body ?? { message: `injected ${status}`, statusCode: status }));
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 2000));
    const route = this.routes.find((r) => r.method === method && r.pattern.test(u.pathname));
    if (!route) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `Cannot ${method} ${u.pathname}`, statusCode: 404 }));
      return;
    }
    const m = route.pattern.exec(u.pathname)!;
    const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] ?? '')]));
    let reply: FakeReply;
    try {
      reply = await route.handler({ method, path: u.pathname, query: u.searchParams, headers: req.headers, json: parsed.json, fields: parsed.fields, files: parsed.files, params, raw: req });
    } catch (e) {
      reply = { status: 500, json: { message: `fake ${this.name} crashed: ${(e as Error).message}` } };
    }
    if (fault?.kind === 'reset-after') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'timeout') {
      // No answer: the client sees what its own timeout would give it (sent, never answered), compressed.
      const t = setTimeout(() => req.socket.destroy(), fault.delayMs ?? 1500);
      req.socket.once('close', () => clearTimeout(t));
      return;
    }
    const status = reply.status ?? 200;
    entry.status = status;
    if (fault?.kind === 'malformed' && !injected && reply.json === undefined) {
      entry.fault = undefined;
    } else if (fault?.kind === 'malformed') {
      if (!injected) this.chaosBinding?.chaos.note(this.name, 'malformed', method, u.pathname);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{"id": 12, "status": "PEND');
      return;
    }
    if (reply.text !== undefined) {
      res.writeHead(status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
      res.end(reply.text);
    } else {
      res.writeHead(status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
      res.end(reply.json === undefined ? '' : JSON.stringify(reply.json));
    }
  }
}

/**
 * Serves bytes with Content-Length and single-range Range support; returns the status. With `cut`, only
 * part of the body is sent before the connection is destroyed (`onCut` gets the bytes sent).
 */
export function serveBytes(
  req: IncomingMessage,
  res: ServerResponse,
  file: { bytes?: Buffer; filePath?: string; mime: string },
  cut?: DownloadCut,
  onCut?: (sentBytes: number) => void,
): number {
  const size = file.bytes ? file.bytes.length : statSync(file.filePath!).size;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (range && (range[1] || range[2])) {
    start = range[1] ? Number(range[1]) : size - Number(range[2]);
    end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start >= size || start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return 416;
    }
    status = 206;
  }
  const headers: Record<string, string> = {
    'content-type': file.mime,
    'content-length': String(end - start + 1),
    'accept-ranges': 'bytes',
  };
  if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return status;
  }
  if (cut) {
    const length = end - start + 1;
    const sent = Math.max(1, Math.min(length - 1, cut.atBytes ?? Math.floor(length * (cut.fraction ?? 0.5))));
    const bytes = file.bytes ?? readFileSync(file.filePath!);
    onCut?.(sent);
    // Cut only once the partial bytes are flushed to the socket (destroy drops unflushed writes).
    res.write(bytes.subarray(start, start + sent), () => {
      const t = setTimeout(() => req.socket.destroy(), cut.stallMs ?? 0);
      req.socket.once('close', () => clearTimeout(t));
    });
    return status;
  }
  if (file.bytes) res.end(file.bytes.subarray(start, end + 1));
  else createReadStream(file.filePath!, { start, end }).pipe(res);
  return status;
}

function plainHeaders(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function readBody(req: IncomingMessage): Promise<{ json: unknown; fields: Record<string, string>; files: FakeRequest['files'] }> {
  const ct = req.headers['content-type'] ?? '';
  if (ct.startsWith('multipart/form-data')) {
    return await new Promise((resolve, reject) => {
      const fields: Record<string, string> = {};
      const files: FakeRequest['files'] = {};
      const bb = Busboy({ headers: req.headers, limits: { fileSize: 6 * 1024 ** 3 } });
      // A file part can end after busboy's 'close': wait for every one, or a request reads as missing a file.
      const ended: Promise<void>[] = [];
      bb.on('field', (name, value) => {
        fields[name] = value;
      });
      bb.on('file', (name, stream, info) => {
        // Keep only the first 64 KiB of big files: fakes check type and size, not all bytes.
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          if (size < 65536) chunks.push(c);
          size += c.length;
        });
        ended.push(
          new Promise<void>((done) =>
            stream.on('end', () => {
              // Exactly the first 64 KiB: how the bytes were chunked in transit must not change what is kept.
              files[name] = { filename: info.filename ?? '', mimeType: info.mimeType, size, bytes: Buffer.concat(chunks).subarray(0, 65536) };
              done();
            }),
          ),
        );
      });
      bb.on('close', () => void Promise.all(ended).then(() => resolve({ json: undefined, fields, files })));
      bb.on('error', reject);
      req.pipe(bb);
    });
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return { json: undefined, fields: {}, files: {} };
  if (ct.includes('json')) return { json: JSON.parse(text), fields: {}, files: {} };
  if (ct.includes('x-www-form-urlencoded')) return { json: undefined, fields: Object.fromEntries(new URLSearchParams(text)), files: {} };
  return { json: undefined, fields: { _raw: text }, files: {} };
}

/** A counter-based id generator so ids are readable in test failures. */
export function idGen(prefix = ''): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

export function uuidLike(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
