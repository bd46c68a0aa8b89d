import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/app-core';
import { createHandlers } from '../../electron/core/handlers';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { SERVER_CSP, startServer, type RunningServer } from '../../electron/server/http-server';

/**
 * Server mode over real HTTP: the token, the Origin and Host checks, the contract over POST, SSE,
 * the library under /media (Range, no traversal), uploads, the static renderer, and API keys that
 * never come back out.
 */

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const INDEX_HTML = '<!doctype html><title>Talkbatch test shell</title><div id="root"></div>';
const SECRET_NEXT_TO_RENDERER = 'TOP-SECRET-FILE-OUTSIDE-THE-RENDERER';

let root: string;
let core: Core;
let server: RunningServer;
let port: number;

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'tb-server-'));
  const rendererDir = path.join(root, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), INDEX_HTML);
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app");');
  writeFileSync(path.join(root, 'secret.txt'), SECRET_NEXT_TO_RENDERER);
  core = openCore({ dataDir: path.join(root, 'data'), mode: 'server', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: true });
  const handlers = createHandlers(core, { version: '9.9.9-test', mode: 'server' });
  server = await startServer({ core, handlers, rendererDir, port: 0 });
  port = Number(new URL(server.origin).port);
});

afterEach(async () => {
  await server.close();
  await core.close();
  rmSync(root, { recursive: true, force: true });
});

type Res = { status: number; headers: http.IncomingHttpHeaders; body: Buffer; text: string };

/** A raw request: the path is sent exactly as written (no client-side normalisation of ../). */
function request(method: string, rawPath: string, o: { headers?: Record<string, string>; body?: string | Buffer; token?: boolean } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(o.token === false ? {} : { 'x-talkbatch-token': server.token }), ...(o.headers ?? {}) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const api = (channel: string, input: unknown, o: Parameters<typeof request>[2] = {}) =>
  request('POST', `/api/${channel}`, { ...o, headers: { 'content-type': 'application/json', ...(o.headers ?? {}) }, body: JSON.stringify(input) });
const json = (r: Res) => JSON.parse(r.text) as { ok: boolean; value?: unknown; error?: { code: string; message: string; issues?: { field: string; message: string; accepted?: string }[] } };

/** An open SSE stream that collects everything it receives. */
type Sse = { text: () => string; waitFor: (pred: (all: string) => boolean, what: string) => Promise<void>; close: () => void };
function openSse(query = ''): Promise<Sse> {
  return new Promise((resolve, reject) => {
    let all = '';
    const waiters = new Set<() => void>();
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: `/api/events${query}`, headers: query ? {} : { 'x-talkbatch-token': server.token } }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      res.on('data', (c: Buffer) => {
        all += c.toString('utf8');
        for (const w of [...waiters]) w();
      });
      const sse: Sse = {
        text: () => all,
        waitFor: (pred, what) =>
          new Promise<void>((ok, fail) => {
            const deadline = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`SSE: no ${what} within 5 s; got ${all}`));
            }, 5000);
            const check = () => {
              if (pred(all)) {
                clearTimeout(deadline);
                waiters.delete(check);
                ok();
              }
            };
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      };
      resolve(sse);
    });
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
    });
    req.end();
  });
}

describe('access control', () => {
  it('refuses /api and /media requests without the token (401)', async () => {
    for (const r of [
      await api('app:info', {}, { token: false }),
      await request('GET', '/api/events', { token: false }),
      await request('POST', '/api/upload?name=a.png', { token: false, body: 'x' }),
      await request('GET', '/media/anything.mp4', { token: false }),
    ]) {
      expect(r.status).toBe(401);
      expect(json(r).error?.code).toBe('unauthorized');
    }
  });

  it('refuses a wrong token, including one of the right length', async () => {
    expect((await api('app:info', {}, { token: false, headers: { 'x-talkbatch-token': 'nope' } })).status).toBe(401);
    const sameLength = server.token.replace(/./g, (c) => (c === 'a' ? 'b' : 'a'));
    expect((await api('app:info', {}, { token: false, headers: { 'x-talkbatch-token': sameLength } })).status).toBe(401);
    expect((await request('POST', `/api/app:info?token=${sameLength}`, { token: false, body: '{}' })).status).toBe(401);
  });

  it('accepts the token as a query parameter (the URL printed at start-up)', async () => {
    const r = await request('POST', `/api/app:info?token=${encodeURIComponent(server.token)}`, { token: false, body: '{}' });
    expect(r.status).toBe(200);
    expect(json(r).ok).toBe(true);
  });

  it('refuses requests from another Origin even with the token (403)', async () => {
    for (const origin of ['http://evil.example', `http://localhost.evil.example:${port}`, 'null', `https://127.0.0.1:${port}`]) {
      const r = await api('app:info', {}, { headers: { origin } });
      expect(r.status, origin).toBe(403);
      expect(json(r).error?.code).toBe('forbidden_origin');
    }
    expect((await api('app:info', {}, { headers: { origin: `http://127.0.0.1:${port}` } })).status).toBe(200);
  });

  it('refuses unexpected Host headers (DNS rebinding) with 421, on every path', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
      for (const [method, p] of [
        ['POST', '/api/app:info'],
        ['GET', '/'],
        ['GET', '/media/x.mp4'],
      ] as const) {
        const r = await request(method, p, { headers: { host }, body: method === 'POST' ? '{}' : undefined });
        expect(r.status, `${host} ${p}`).toBe(421);
      }
    }
    expect((await request('GET', '/', { headers: { host: `localhost:${port}` } })).status).toBe(200);
    // No Host header at all (Node's HTTP parser already answers 400).
    const bare = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/', setHost: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect([400, 421]).toContain(bare);
  });
});

describe('the contract over HTTP', () => {
  it('POST /api/app:info answers with the token', async () => {
    const r = await api('app:info', {});
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(json(r)).toEqual({
      ok: true,
      value: { version: '9.9.9-test', mode: 'server', dataDir: core.paths.root, libraryDir: core.library.dir, platform: process.platform },
    });
  });

  it('invalid input → ok:false with invalid_input issues naming the field', async () => {
    const r = await api('jobs:list', { limit: 'ten', statuses: ['bogus'] });
    expect(r.status).toBe(200);
    const body = json(r);
    expect(body.ok).toBe(false);
    expect(body.error?.code).toBe('invalid_input');
    expect(body.error?.message).toBe('The request to jobs:list is not valid');
    expect(body.error?.issues?.map((i) => i.field).sort()).toEqual(['limit', 'statuses.0']);
  });

  it('a user error from a handler comes back as a value, not a 500', async () => {
    const r = await api('jobs:get', { id: 'no-such-job' });
    expect(r.status).toBe(200);
    expect(json(r)).toEqual({ ok: false, error: { code: 'not_found', message: 'That job no longer exists' } });
  });

  it('a body that is not JSON → 400', async () => {
    const r = await request('POST', '/api/app:info', { body: '{"oops' });
    expect(r.status).toBe(400);
    expect(json(r).error?.code).toBe('invalid_json');
  });

  it.each(['nope:nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'app%3Ainfo%00', '%E0%A4%A'])('an unknown channel %s → 404', async (channel) => {
    const r = await request('POST', `/api/${channel}`, { body: '{}' });
    expect(r.status).toBe(404);
    expect(json(r).error?.code).toBe('unknown_channel');
  });

  it('SSE /api/events delivers events emitted by the core', async () => {
    const sse = await openSse();
    try {
      await sse.waitFor((t) => t.includes(': connected'), 'greeting');
      core.events.emit('notice', { level: 'warn', message: 'Hello over SSE', batchId: 'b-1' });
      await sse.waitFor((t) => t.includes('event: notice'), 'notice');
      const frame = sse
        .text()
        .split('\n\n')
        .find((f) => f.startsWith('event: notice'))!;
      expect(frame.split('\n')).toEqual(['event: notice', `data: ${JSON.stringify({ level: 'warn', message: 'Hello over SSE', batchId: 'b-1' })}`]);
      // A change made through the API reaches the stream too.
      expect(json(await api('queue:set-paused', { paused: true })).ok).toBe(true);
      await sse.waitFor((t) => t.includes('event: queue:changed'), 'queue:changed');
    } finally {
      sse.close();
    }
  });

  it('SSE accepts the token in the query string (EventSource cannot send headers)', async () => {
    const sse = await openSse(`?token=${encodeURIComponent(server.token)}`);
    try {
      await sse.waitFor((t) => t.includes(': connected'), 'greeting');
    } finally {
      sse.close();
    }
  });
});

describe('/media: the library only', () => {
  let clip: Buffer;
  beforeEach(() => {
    mkdirSync(path.join(core.library.dir, 'Launch day'), { recursive: true });
    copyFileSync(path.join(FIXTURES, 'sample.mp4'), path.join(core.library.dir, 'Launch day', '001-Hello-local.mp4'));
    clip = readFileSync(path.join(core.library.dir, 'Launch day', '001-Hello-local.mp4'));
    mkdirSync(path.join(core.library.dir, '.partial'), { recursive: true });
    writeFileSync(path.join(core.library.dir, '.partial', 'job.part'), 'half a download');
  });

  it('serves a library file with Range (206) for playback', async () => {
    const p = '/media/Launch%20day/001-Hello-local.mp4';
    const part = await request('GET', p, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-99/${clip.length}`);
    expect(part.headers['content-type']).toBe('video/mp4');
    expect(part.headers['accept-ranges']).toBe('bytes');
    expect(part.body.equals(clip.subarray(0, 100))).toBe(true);

    const tail = await request('GET', p, { headers: { range: 'bytes=-50' } });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(clip.subarray(clip.length - 50))).toBe(true);

    const open = await request('GET', p, { headers: { range: `bytes=${clip.length - 10}-` } });
    expect(open.headers['content-range']).toBe(`bytes ${clip.length - 10}-${clip.length - 1}/${clip.length}`);

    const whole = await request('GET', p);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(clip)).toBe(true);

    const beyond = await request('GET', p, { headers: { range: `bytes=${clip.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${clip.length}`);

    const head = await request('HEAD', p);
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(clip.length);
  });

  it.each([
    '/media/../talkbatch.db',
    '/media/../../secret.txt',
    '/media/Launch%20day/../../talkbatch.db',
    '/media/..%2ftalkbatch.db',
    '/media/..%2F..%2Fsecret.txt',
    '/media/%2e%2e/talkbatch.db',
    '/media/%2E%2E%2F%2E%2E%2Fsecret.txt',
    '/media/%252e%252e%252ftalkbatch.db',
    '/media/..%5ctalkbatch.db',
    '/media/%2Fetc%2Fpasswd',
    '/media//etc/passwd',
    '/media/.partial/job.part',
    '/media/%252epartial/job.part',
    '/media/Launch%20day/..%2f.partial/job.part',
    '/media/Launch%20day/001-Hello-local.mp4%00.txt',
    '/media/%E0%A4%A',
    '/media/',
    '/media/Launch%20day',
  ])('%s → 404, nothing outside the library', async (p) => {
    const r = await request('GET', p);
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('SQLite format');
    expect(r.text).not.toContain(SECRET_NEXT_TO_RENDERER);
    expect(r.text).not.toContain('root:');
    expect(r.text).not.toContain('half a download');
  });
});

describe('/api/upload', () => {
  it('stores a dropped file in the asset store', async () => {
    const bytes = readFileSync(path.join(FIXTURES, 'avatar.png'));
    const r = await request('POST', '/api/upload?name=My%20face.png', { body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(r.status).toBe(200);
    const body = json(r) as { ok: boolean; value: { id: string; name: string; kind: string; width: number } };
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(body).toEqual({ ok: true, value: expect.objectContaining({ id: sha, name: 'My face.png', kind: 'image', mime: 'image/png', width: 512, height: 512, size: bytes.length }) });
    expect(core.assets.has(sha)).toBe(true);
    expect(readFileSync(core.assets.pathOf(sha)).equals(bytes)).toBe(true);
  });

  it('rejects a text file named .png with a clear message, and keeps nothing', async () => {
    const r = await request('POST', '/api/upload?name=notes.png', { body: 'Remember to buy milk.' });
    expect(r.status).toBe(200);
    const body = json(r);
    expect(body.ok).toBe(false);
    expect(body.error).toEqual({
      code: 'invalid_file',
      message: 'notes.png is named .png but is not a media file',
      issues: [{ field: 'file', message: 'notes.png is named .png but is not a media file', accepted: 'a real .png file, or rename it to its real type' }],
    });
    // No half-stored asset, no temp upload left behind.
    expect(readdirSync(core.paths.assets)).toEqual([]);
    expect((core.db.prepare('SELECT count(*) AS n FROM assets').get() as { n: number }).n).toBe(0);
  });

  it('keeps only the base name of the given name', async () => {
    const bytes = readFileSync(path.join(FIXTURES, 'voice.wav'));
    const r = await request('POST', '/api/upload?name=..%2F..%2Fevil.wav', { body: bytes });
    expect(json(r)).toMatchObject({ ok: true, value: { name: 'evil.wav', kind: 'audio' } });
    expect(readdirSync(root).sort()).toEqual(['data', 'renderer', 'secret.txt']);
  });
});

describe('the static renderer', () => {
  it('serves index.html and assets with the CSP', async () => {
    const index = await request('GET', '/', { token: false });
    expect(index.status).toBe(200);
    expect(index.text).toBe(INDEX_HTML);
    expect(index.headers['content-security-policy']).toBe(SERVER_CSP);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const js = await request('GET', '/assets/app.js', { token: false });
    expect(js.text).toBe('console.log("app");');
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    // Client-side routes fall back to the app.
    expect((await request('GET', '/queue/some-job', { token: false })).text).toBe(INDEX_HTML);
  });

  it.each([
    '/../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%252e%252e%252fsecret.txt',
    '/..%5csecret.txt',
    '/%2Fetc%2Fpasswd',
    '/index.html%00.js',
    '/%E0%A4%A',
    '/..%2fdata%2ftalkbatch.db',
  ])('%s does not escape the renderer folder', async (p) => {
    const r = await request('GET', p, { token: false });
    expect([200, 404]).toContain(r.status);
    expect(r.text).not.toContain(SECRET_NEXT_TO_RENDERER);
    expect(r.text).not.toContain('root:');
    expect(r.text).not.toContain('SQLite format');
    if (r.status === 200) expect(r.text).toBe(INDEX_HTML);
  });

  it('refuses other methods', async () => {
    expect((await request('PUT', '/index.html', { token: false, body: 'x' })).status).toBe(405);
  });
});

describe('API keys never come back out', () => {
  const CANARIES = {
    sync: 'sk-sync-CANARY-0a1b2c3d4e5f6789',
    creatify: 'cf-CANARY-secret-0f9e8d7c6b5a',
    s3key: 'AKIACANARY00112233',
    s3secret: 's3-CANARY-wJalrXUtnFEMI-K7MDENG',
  };
  const leaked = (text: string) => Object.values(CANARIES).filter((c) => text.includes(c) || text.includes(c.slice(4, -4)));

  it('in no response of credentials:*, settings:get, providers:list, nor in the SSE stream', async () => {
    const sse = await openSse();
    try {
      await sse.waitFor((t) => t.includes(': connected'), 'greeting');
      const bodies: string[] = [];
      const call = async (channel: string, input: unknown) => {
        const r = await api(channel, input);
        bodies.push(r.text);
        const body = json(r);
        expect(body.ok, `${channel}: ${r.text}`).toBe(true);
        return body.value;
      };
      const saved = (await call('credentials:set', { provider: 'sync', label: 'Canary', values: { apiKey: CANARIES.sync } })) as { id: string; hints: Record<string, string> };
      expect(saved.hints).toEqual({ apiKey: '••••6789' });
      await call('credentials:set', { provider: 'creatify', label: 'Canary', values: { apiId: 'creatify-id-public', apiKey: CANARIES.creatify } });
      await call('credentials:set', { provider: 'assethost', label: 'Bucket', values: { accessKeyId: CANARIES.s3key, secretAccessKey: CANARIES.s3secret } });
      await call('credentials:set', { provider: 'sync', label: 'Second', values: { apiKey: 'sk-sync-second-key-1234' }, activate: false });
      await call('credentials:activate', { id: saved.id });
      await call('settings:set', { patch: { aisaEnabled: true, concurrency: { sync: 2 } } });
      const list = (await call('credentials:list', {})) as { provider: string; hints: Record<string, string> }[];
      expect(list.map((c) => c.provider).sort()).toEqual(['assethost', 'creatify', 'sync', 'sync']);
      await call('settings:get', {});
      const providers = (await call('providers:list', {})) as { id: string; configured: boolean }[];
      expect(providers.find((p) => p.id === 'sync')?.configured).toBe(true);
      expect(providers.find((p) => p.id === 'creatify')?.configured).toBe(true);
      await call('queue:get', {});
      await call('app:info', {});

      await sse.waitFor((t) => t.includes('event: settings:changed') && t.includes('event: queue:changed'), 'settings and queue events');
      for (const body of bodies) expect(leaked(body), body).toEqual([]);
      expect(leaked(sse.text())).toEqual([]);
      // Nor in the log file.
      const logs = path.join(core.paths.logs, 'talkbatch.log');
      const logText = readdirSync(core.paths.logs).length ? readFileSync(logs, 'utf8') : '';
      expect(leaked(logText)).toEqual([]);
    } finally {
      sse.close();
    }
  });
});
