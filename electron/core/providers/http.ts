import { open as openFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { FormData as UndiciFormData, request, type Dispatcher } from 'undici';

/**
 * The shared HTTP client every adapter uses (undici). It knows nothing of any provider; it turns
 * transport failures and HTTP statuses into a `ProviderError` whose `kind` tells the scheduler what to do.
 *
 * The one distinction that protects money: a failure *before* the request left this machine
 * (connection refused, DNS) is always safe to retry; a failure *after* it was sent (reset, timeout,
 * unreadable answer) on a request that creates something is `unknown_outcome`, which the scheduler
 * resolves through the adapter's `reconcile`, never by sending the create again.
 */
export type ErrorKind =
  | 'transient'
  | 'rate_limit'
  | 'concurrency_limit'
  | 'auth'
  | 'permanent'
  | 'not_found'
  | 'expired'
  | 'unknown_outcome';

export class ProviderError extends Error {
  readonly kind: ErrorKind;
  readonly status: number | undefined;
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    opts: Readonly<{ status?: number; code?: string; retryAfterMs?: number; requestId?: string; cause?: unknown }> = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = opts.status;
    this.code = opts.code ?? (opts.status ? `http_${opts.status}` : kind);
    this.retryAfterMs = opts.retryAfterMs;
    this.requestId = opts.requestId;
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}

/** `Retry-After` as seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  // Only the three HTTP-date forms: V8's Date.parse also reads garbage ("retry 1", "-5") as dates in
  // the past, which would mean "retry at once" to a provider that is rate limiting us.
  const imf = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
  const rfc850 = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
  const asctime = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;
  if (!imf.test(t) && !rfc850.test(t) && !asctime.test(t)) return undefined;
  const date = Date.parse(asctime.test(t) ? `${t} GMT` : t);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export type HttpRequest = Readonly<{
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path joined to the base URL, or an absolute URL. */
  path: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  headers?: Readonly<Record<string, string>>;
  json?: unknown;
  form?: UndiciFormData | FormData;
  body?: string | Buffer | Uint8Array;
  /** A body read from a stream (a file), sent with its Content-Length: see `StreamBody`. */
  stream?: StreamBody;
  /** Requests that create something (and may cost money) are not idempotent: see the class comment. */
  idempotent?: boolean;
  timeoutMs?: number;
  /** Which response statuses are not errors (default 2xx). */
  okStatuses?: readonly number[];
}>;

/**
 * A request body streamed from disk, never read whole into memory, and always sent with its
 * Content-Length, never chunked: signed upload URLs (S3-style PUTs) refuse chunked bodies, and a body
 * that turns out shorter or longer than announced fails the request instead of sending a wrong file.
 * `open` is called for every send, before the request may leave (so a file that cannot be read is a
 * failure *before* sending, and a retry reads the file again from its start).
 */
export type StreamBody = Readonly<{ open: () => Promise<Readable> | Readable; length: number; name?: string }>;

/** A file as a request body (see StreamBody). */
export function fileBody(filePath: string, length: number, name: string = filePath): StreamBody {
  return { length, name, open: async () => (await openFile(filePath, 'r')).createReadStream() };
}

/** Local read errors that a retry cannot fix. */
const LASTING_FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR']);

export type HttpResponse = Readonly<{
  status: number;
  headers: Readonly<Record<string, string>>;
  text: string;
  requestId: string | undefined;
}>;

export type ErrorBodyReader = (status: number, body: unknown, text: string) => Readonly<{ code?: string; message?: string }>;

export interface HttpClientOptions {
  baseUrl: string;
  /** Default headers (auth). Never logged. */
  headers?: () => Readonly<Record<string, string>>;
  /** Pulls the provider's code and message out of an error body. */
  readError?: ErrorBodyReader;
  /** Names the request-id header(s) a provider sends. */
  requestIdHeaders?: readonly string[];
  dispatcher?: Dispatcher;
  defaultTimeoutMs?: number;
  now?: () => number;
  /**
   * Called just before a request that is not idempotent (a create) leaves this machine; if it throws,
   * nothing is sent. The engine writes down "sent" here, so after a crash it knows a job whose request
   * never left can simply be sent, with no lookup and no decision.
   */
  beforeSend?: (request: Readonly<{ method: string; url: string }>) => void;
  /** Called once per request with method, URL (no query secrets) and status: the request log. */
  onRequest?: (entry: Readonly<{ method: string; url: string; status: number | null; ms: number; requestId?: string }>) => void;
  signal?: AbortSignal;
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCodeOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export function joinUrl(baseUrl: string, path: string, query?: HttpRequest['query']): string {
  const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(baseUrl.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, ''));
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

export class HttpClient {
  constructor(readonly opts: HttpClientOptions) {}

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  /** A client with the same base URL, signal and request log, plus an adapter's auth headers and error reader. */
  with(extra: Readonly<Pick<HttpClientOptions, 'headers' | 'readError' | 'requestIdHeaders' | 'defaultTimeoutMs'>>): HttpClient {
    return new HttpClient({ ...this.opts, ...extra });
  }

  /** Sends a request; resolves with any ok status, throws ProviderError otherwise. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = joinUrl(this.opts.baseUrl, req.path, req.query);
    const idempotent = req.idempotent ?? (req.method === 'GET' || req.method === 'DELETE' || req.method === 'PUT');
    const headers: Record<string, string> = { accept: 'application/json', ...(this.opts.headers?.() ?? {}), ...(req.headers ?? {}) };
    let body: string | Buffer | Uint8Array | UndiciFormData | Readable | undefined;
    if (req.stream) {
      body = await openStream(req.stream);
      headers['content-length'] = String(req.stream.length);
    } else if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    } else if (req.form) {
      body = req.form as UndiciFormData;
    } else if (req.body !== undefined) {
      body = req.body;
    }
    const timeoutMs = req.timeoutMs ?? this.opts.defaultTimeoutMs ?? 60_000;
    const signals = [AbortSignal.timeout(timeoutMs), ...(this.opts.signal ? [this.opts.signal] : [])];
    const started = Date.now();
    let status: number | null = null;
    if (!idempotent) this.opts.beforeSend?.({ method: req.method, url: redactUrl(url) });
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body,
        signal: AbortSignal.any(signals),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}),
      });
      status = res.statusCode;
      const text = await res.body.text();
      const flatHeaders = flattenHeaders(res.headers);
      const requestId = this.requestIdOf(flatHeaders);
      this.opts.onRequest?.({ method: req.method, url: redactUrl(url), status, ms: Date.now() - started, ...(requestId ? { requestId } : {}) });
      const okStatuses = req.okStatuses;
      const isOk = okStatuses ? okStatuses.includes(status) : status >= 200 && status < 300;
      if (isOk) return { status, headers: flatHeaders, text, requestId };
      throw this.httpError(status, flatHeaders, text, idempotent, requestId, headers);
    } catch (e) {
      if (body && typeof body === 'object' && 'destroy' in body) body.destroy();
      if (e instanceof ProviderError) throw e;
      if (status === null) this.opts.onRequest?.({ method: req.method, url: redactUrl(url), status: null, ms: Date.now() - started });
      if (this.opts.signal?.aborted) throw new ProviderError('transient', 'Request aborted: the engine is stopping', { code: 'aborted', cause: e });
      const code = errorCodeOf(e);
      if (code && CONNECT_FAILURES.has(code)) {
        throw new ProviderError('transient', `Could not connect to ${new URL(url).host} (${code})`, { code: 'connect_failed', cause: e });
      }
      const what = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || (e as Error)?.name === 'TimeoutError' ? 'timed out' : `failed (${code ?? (e as Error)?.message ?? 'network error'})`;
      if (!idempotent) {
        throw new ProviderError('unknown_outcome', `The request to ${new URL(url).host} ${what} after it was sent; it may have been received`, { code: 'outcome_unknown', cause: e });
      }
      throw new ProviderError('transient', `The request to ${new URL(url).host} ${what}`, { code: code === undefined ? 'network' : code.toLowerCase(), cause: e });
    }
  }

  /** Sends and parses a JSON answer. An unreadable answer to a create is `unknown_outcome`. */
  async json<T = unknown>(req: HttpRequest): Promise<{ data: T; res: HttpResponse }> {
    const res = await this.send(req);
    try {
      return { data: (res.text === '' ? null : JSON.parse(res.text)) as T, res };
    } catch (e) {
      const idempotent = req.idempotent ?? (req.method === 'GET' || req.method === 'DELETE' || req.method === 'PUT');
      const msg = `${new URL(joinUrl(this.opts.baseUrl, req.path)).host} answered with unreadable JSON (HTTP ${res.status})`;
      throw new ProviderError(idempotent ? 'transient' : 'unknown_outcome', msg, {
        code: 'malformed_response',
        status: res.status,
        ...(res.requestId ? { requestId: res.requestId } : {}),
        cause: e,
      });
    }
  }

  private requestIdOf(headers: Readonly<Record<string, string>>): string | undefined {
    for (const h of this.opts.requestIdHeaders ?? ['x-request-id', 'request-id', 'x-amzn-requestid']) {
      const v = headers[h];
      if (v) return v;
    }
    return undefined;
  }

  private httpError(
    status: number,
    headers: Readonly<Record<string, string>>,
    text: string,
    idempotent: boolean,
    requestId: string | undefined,
    sent: Readonly<Record<string, string>>,
  ): ProviderError {
    // Some APIs quote the key they were given ("Incorrect API key provided: sk-…"). The body is cleaned
    // before anyone reads it (adapters read error bodies too): a provider's words are kept, a credential
    // we sent is not (it would reach the job's timeline, the UI and exports).
    text = withoutSentSecrets(text, sent);
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const read = this.opts.readError?.(status, parsed, text) ?? defaultReadError(status, parsed, text);
    const message = withoutSentSecrets(read.message || `HTTP ${status}`, sent);
    const base = { status, ...(read.code ? { code: read.code } : {}), ...(requestId ? { requestId } : {}) };
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(headers['retry-after'], this.opts.now?.() ?? Date.now());
      return new ProviderError('rate_limit', message, { ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    if (status === 401 || status === 403) return new ProviderError('auth', message, base);
    if (status === 404 || status === 410) return new ProviderError('not_found', message, base);
    if (status === 408) return new ProviderError(idempotent ? 'transient' : 'unknown_outcome', message, base);
    if (status >= 500) {
      const retryAfterMs = parseRetryAfter(headers['retry-after'], this.opts.now?.() ?? Date.now());
      // 503 means the service did not take the request; 500/502/504 on a create may hide a created job.
      const kind: ErrorKind = idempotent || status === 503 ? 'transient' : 'unknown_outcome';
      return new ProviderError(kind, message, { ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    return new ProviderError('permanent', message, base);
  }
}

/** Opens a stream body; a file that cannot be read fails here, before anything is sent (and before `beforeSend`). */
async function openStream(stream: StreamBody): Promise<Readable> {
  try {
    return await stream.open();
  } catch (e) {
    const code = errorCodeOf(e);
    const kind: ErrorKind = code && LASTING_FILE_ERRORS.has(code) ? 'permanent' : 'transient';
    throw new ProviderError(kind, `Could not read ${stream.name ?? 'the file'} to send it (${code ?? (e as Error)?.message ?? 'read error'}); nothing was sent`, {
      code: 'body_unreadable',
      cause: e,
    });
  }
}

/** Credentials among the headers a request sent: auth, key, token, secret and cookie values (each word of 8+ characters). */
function withoutSentSecrets(message: string, sent: Readonly<Record<string, string>>): string {
  let out = message;
  for (const [name, value] of Object.entries(sent)) {
    if (!/auth|key|token|secret|cookie|session|signature/i.test(name)) continue;
    for (const part of [value, ...value.split(/[\s,;=]+/)].filter((p) => p.length >= 8).sort((a, b) => b.length - a.length)) {
      if (out.includes(part)) out = out.split(part).join('[redacted]');
    }
  }
  return out;
}

/** Reads the common error shapes: {error:{message,code}}, {message, errorCode}, {detail}, {error:"…"}, DRF field errors. */
export function defaultReadError(status: number, body: unknown, text: string): { code?: string; message?: string } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const err = b.error;
    if (err && typeof err === 'object') {
      const e = err as Record<string, unknown>;
      return { ...(typeof e.code === 'string' ? { code: e.code } : {}), ...(typeof e.message === 'string' ? { message: e.message } : {}) };
    }
    const code = typeof b.errorCode === 'string' ? b.errorCode : typeof b.error_code === 'string' ? b.error_code : typeof b.code === 'string' ? b.code : undefined;
    const msg = Array.isArray(b.message)
      ? b.message.join('; ')
      : typeof b.message === 'string'
        ? b.message
        : typeof b.detail === 'string'
          ? b.detail
          : typeof err === 'string'
            ? err
            : fieldErrors(b);
    return { ...(code ? { code } : {}), ...(msg ? { message: msg } : {}) };
  }
  const t = text.trim();
  return t && t.length < 500 && !t.startsWith('<') ? { message: t } : { message: `HTTP ${status}` };
}

function fieldErrors(b: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(b)) {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) parts.push(`${k}: ${v.join(' ')}`);
  }
  return parts.length ? parts.join('; ') : undefined;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Drops query strings (presigned URLs carry signatures) from anything that is logged. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

export { UndiciFormData as FormData };
