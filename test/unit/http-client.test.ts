import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultReadError, HttpClient, joinUrl, parseRetryAfter, ProviderError, redactUrl, type ErrorKind, type HttpRequest } from '../../electron/core/providers/http';

/**
 * The shared HTTP client against a tiny local server: which failures are safe to retry, which may
 * hide a created (paid) job, and how provider error bodies become messages.
 */
let server: http.Server;
let base: string;
let refusedBase: string;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.replace(/^\/v1\//, '/').split('/').filter(Boolean);
      if (parts[0] === 'status') {
        const headers: Record<string, string> = { 'content-type': url.searchParams.get('type') ?? 'application/json', 'x-request-id': 'req-abc' };
        const ra = url.searchParams.get('retryAfter');
        if (ra) headers['retry-after'] = ra;
        res.writeHead(Number(parts[1]), headers);
        res.end(url.searchParams.get('body') ?? '');
        return;
      }
      if (parts[0] === 'reset') {
        req.socket.destroy();
        return;
      }
      if (parts[0] === 'hang') return; // never answers
      if (parts[0] === 'bad-json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": ');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'rid-2' });
      res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null, ct: req.headers['content-type'] ?? null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  // A port nothing listens on: take one, then close it.
  const tmp = http.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  refusedBase = `http://127.0.0.1:${(tmp.address() as AddressInfo).port}`;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function failure(client: HttpClient, req: HttpRequest): Promise<ProviderError> {
  try {
    await client.send(req);
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error(`${req.method} ${req.path} did not fail`);
}

const client = (over: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) => new HttpClient({ baseUrl: base, defaultTimeoutMs: 5000, ...over });
const statusPath = (code: number, q: Record<string, string> = {}) => `/status/${code}?${new URLSearchParams(q).toString()}`;

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7000);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Fri, 01 May 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 01 May 2026 11:00:00 GMT', now)).toBe(0);
    // The obsolete formats HTTP still allows (RFC 9110 §5.6.7).
    expect(parseRetryAfter('Friday, 01-May-26 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Fri May  1 12:00:10 2026', now)).toBe(10_000);
  });

  it.each([undefined, '', '   ', 'soon', 'retry 1', 'abc 2020', '-5', 'x1', '5 minutes', 'NaN', '1e3', 'Infinity', '0x10', '2026-05-01'])(
    'gives undefined for garbage %j (the scheduler then backs off on its own)',
    (v) => {
      expect(parseRetryAfter(v, now)).toBeUndefined();
    },
  );
});

describe('HttpClient.send: answers', () => {
  it('returns ok answers with text, lower-cased headers and the request id', async () => {
    const res = await client().send({ method: 'POST', path: 'echo', json: { a: 1 }, headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ method: 'POST', body: '{"a":1}', auth: 'Bearer t', ct: 'application/json' });
    expect(res.requestId).toBe('rid-2');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('sends auth headers from the client and adapter-chosen request-id headers', async () => {
    const c = client().with({ headers: () => ({ authorization: 'Bearer from-client' }), requestIdHeaders: ['x-request-id'] });
    const res = await c.send({ method: 'GET', path: statusPath(200, { body: '{}' }) });
    expect(res.requestId).toBe('req-abc');
    expect(seen.at(-1)?.headers.authorization).toBe('Bearer from-client');
  });

  it('accepts the statuses a call says are fine', async () => {
    const res = await client().send({ method: 'GET', path: statusPath(404), okStatuses: [200, 404] });
    expect(res.status).toBe(404);
  });

  it('joins paths and queries, and also takes absolute URLs', async () => {
    expect(joinUrl('https://api.x.com/v1/', '/videos', { limit: 10, after: undefined, q: 'a b' })).toBe('https://api.x.com/v1/videos?limit=10&q=a+b');
    expect(joinUrl('https://api.x.com/v1', 'https://cdn.x.com/file.mp4?sig=1')).toBe('https://cdn.x.com/file.mp4?sig=1');
  });

  it('logs every request without its query string (signatures)', async () => {
    const log: { method: string; url: string; status: number | null }[] = [];
    await client({ onRequest: (e) => log.push(e) }).send({ method: 'GET', path: 'echo', query: { signature: 'SECRET-SIG' } });
    expect(log).toEqual([expect.objectContaining({ method: 'GET', url: `${base}/echo?…`, status: 200 })]);
    expect(JSON.stringify(log)).not.toContain('SECRET-SIG');
    expect(redactUrl('https://s3/x?X-Amz-Signature=abc')).toBe('https://s3/x?…');
  });
});

describe('HttpClient.send: status → ErrorKind', () => {
  const cases: [number, HttpRequest['method'], ErrorKind][] = [
    [400, 'POST', 'permanent'],
    [422, 'POST', 'permanent'],
    [401, 'GET', 'auth'],
    [403, 'POST', 'auth'],
    [404, 'GET', 'not_found'],
    [410, 'GET', 'not_found'],
    [408, 'GET', 'transient'],
    [408, 'POST', 'unknown_outcome'],
    [429, 'POST', 'rate_limit'],
    [500, 'GET', 'transient'],
    [502, 'GET', 'transient'],
    [500, 'POST', 'unknown_outcome'],
    [502, 'POST', 'unknown_outcome'],
    [504, 'POST', 'unknown_outcome'],
    // 503: the service did not take the request, even a create is safe to send again.
    [503, 'POST', 'transient'],
    [500, 'PUT', 'transient'],
    [500, 'DELETE', 'transient'],
  ];

  it.each(cases)('HTTP %i on %s → %s', async (status, method, kind) => {
    const e = await failure(client(), { method, path: statusPath(status) });
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
    expect(e.code).toBe(`http_${status}`);
    expect(e.requestId).toBe('req-abc');
  });

  it('treats a create marked idempotent (idempotency key) like a GET on 5xx', async () => {
    const e = await failure(client(), { method: 'POST', path: statusPath(500), idempotent: true });
    expect(e.kind).toBe('transient');
  });

  it('carries Retry-After on 429 and 503', async () => {
    expect((await failure(client(), { method: 'POST', path: statusPath(429, { retryAfter: '12' }) })).retryAfterMs).toBe(12_000);
    const now = Date.parse('2026-05-01T12:00:00Z');
    const e = await failure(client({ now: () => now }), { method: 'GET', path: statusPath(503, { retryAfter: 'Fri, 01 May 2026 12:00:05 GMT' }) });
    expect(e).toMatchObject({ kind: 'transient', retryAfterMs: 5000 });
    expect((await failure(client(), { method: 'POST', path: statusPath(429, { retryAfter: 'later please' }) })).retryAfterMs).toBeUndefined();
  });

  it("uses the provider's code and message from the error body", async () => {
    const body = JSON.stringify({ error: { code: 'invalid_size', message: 'size must be 720x1280' } });
    const e = await failure(client(), { method: 'POST', path: statusPath(400, { body }) });
    expect(e).toMatchObject({ kind: 'permanent', code: 'invalid_size', message: 'size must be 720x1280', status: 400 });
  });

  it('uses an adapter error reader when given', async () => {
    const c = client().with({ readError: (status, body) => ({ code: 'custom', message: `custom ${status} ${JSON.stringify(body)}` }) });
    const e = await failure(c, { method: 'GET', path: statusPath(409, { body: '{"x":1}' }) });
    expect(e).toMatchObject({ kind: 'permanent', code: 'custom', message: 'custom 409 {"x":1}' });
  });
});

describe('HttpClient.send: transport failures', () => {
  it('connection refused is transient even for a create (nothing was sent)', async () => {
    const e = await failure(client({ baseUrl: refusedBase }), { method: 'POST', path: '/videos', json: {} });
    expect(e).toMatchObject({ kind: 'transient', code: 'connect_failed' });
    expect(e.message).toMatch(/Could not connect to 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('a reset after sending is transient for a GET …', async () => {
    const e = await failure(client(), { method: 'GET', path: 'reset' });
    expect(e.kind).toBe('transient');
  });

  it('… and unknown_outcome for a create (it may have been received)', async () => {
    const e = await failure(client(), { method: 'POST', path: 'reset', json: { prompt: 'x' } });
    expect(e).toMatchObject({ kind: 'unknown_outcome', code: 'outcome_unknown' });
    expect(e.message).toMatch(/after it was sent; it may have been received/);
  });

  it('a timeout is transient for a GET and unknown_outcome for a create', async () => {
    const g = await failure(client(), { method: 'GET', path: 'hang', timeoutMs: 150 });
    expect(g.kind).toBe('transient');
    expect(g.message).toMatch(/timed out/);
    const p = await failure(client(), { method: 'POST', path: 'hang', json: {}, timeoutMs: 150 });
    expect(p.kind).toBe('unknown_outcome');
    expect(p.message).toMatch(/timed out after it was sent/);
  });

  it('an aborted engine gives a transient "aborted" error', async () => {
    const ac = new AbortController();
    const pending = failure(client({ signal: ac.signal }), { method: 'POST', path: 'hang', json: {} });
    ac.abort();
    expect(await pending).toMatchObject({ kind: 'transient', code: 'aborted' });
  });
});

describe('HttpClient.json', () => {
  it('parses JSON answers (empty body → null)', async () => {
    expect((await client().json({ method: 'POST', path: 'echo', json: { a: 1 } })).data).toMatchObject({ method: 'POST' });
    expect((await client().json({ method: 'GET', path: statusPath(204) })).data).toBeNull();
  });

  it('an unreadable answer is transient for a GET and unknown_outcome for a create', async () => {
    await expect(client().json({ method: 'GET', path: 'bad-json' })).rejects.toMatchObject({ kind: 'transient', code: 'malformed_response', status: 200 });
    await expect(client().json({ method: 'POST', path: 'bad-json', json: {} })).rejects.toMatchObject({ kind: 'unknown_outcome', code: 'malformed_response' });
  });
});

describe('defaultReadError', () => {
  it.each([
    [{ error: { code: 'E1', message: 'nested' } }, { code: 'E1', message: 'nested' }],
    [{ error: { message: 'only message' } }, { message: 'only message' }],
    [{ message: 'top', errorCode: 'E2' }, { code: 'E2', message: 'top' }],
    [{ message: 'snake', error_code: 'E3' }, { code: 'E3', message: 'snake' }],
    [{ message: 'plain', code: 'E4' }, { code: 'E4', message: 'plain' }],
    [{ message: ['first problem', 'second problem'] }, { message: 'first problem; second problem' }],
    [{ detail: 'FastAPI style' }, { message: 'FastAPI style' }],
    [{ error: 'just a string' }, { message: 'just a string' }],
    [{ image: ['This field is required.'], size: ['Too big.', 'Wrong type.'] }, { message: 'image: This field is required.; size: Too big. Wrong type.' }],
    [{ unrelated: 1 }, {}],
  ])('reads %j', (body, expected) => {
    expect(defaultReadError(400, body, JSON.stringify(body))).toEqual(expected);
  });

  it('uses short plain text, but not HTML pages or walls of text', () => {
    expect(defaultReadError(502, undefined, 'Bad gateway, try again')).toEqual({ message: 'Bad gateway, try again' });
    expect(defaultReadError(502, undefined, '<html><body>nginx</body></html>')).toEqual({ message: 'HTTP 502' });
    expect(defaultReadError(500, undefined, 'x'.repeat(600))).toEqual({ message: 'HTTP 500' });
    expect(defaultReadError(500, undefined, '   ')).toEqual({ message: 'HTTP 500' });
  });
});
