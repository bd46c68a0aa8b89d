import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBody, HttpClient, ProviderError, type HttpRequest } from '../../electron/core/providers/http';

/**
 * Streamed request bodies in the shared client: a file goes out with its Content-Length (never chunked),
 * byte for byte, and a failure still tells "never left" (safe to send again) from "sent, answer lost".
 */
type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; sha: string; bytes: number };
const seen: Seen[] = [];
let server: http.Server;
let base: string;
let refusedBase: string;
let dir: string;
let file: string;
let content: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-stream-'));
  content = randomBytes(3 * 1024 * 1024 + 17);
  file = path.join(dir, 'clip.mp4');
  writeFileSync(file, content);
  server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, sha: hash.digest('hex'), bytes });
      // The whole body arrived, then the connection is lost: the server may have acted on it.
      if (req.url?.startsWith('/reset')) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tmp = http.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  refusedBase = `http://127.0.0.1:${(tmp.address() as AddressInfo).port}`;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function client(baseUrl: string, sent: string[] = []): HttpClient {
  return new HttpClient({ baseUrl, defaultTimeoutMs: 5_000, beforeSend: (r) => void sent.push(r.url) });
}

async function failure(c: HttpClient, req: HttpRequest): Promise<ProviderError> {
  try {
    await c.send(req);
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected a failure');
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('HttpClient: streamed bodies', () => {
  it('sends a file with its Content-Length, not chunked, byte for byte', async () => {
    const before = seen.length;
    const res = await client(base).send({ method: 'PUT', path: '/upload/1', headers: { 'content-type': 'video/mp4' }, stream: fileBody(file, content.length) });
    expect(res.status).toBe(200);
    const got = seen[before]!;
    expect(got.headers['content-length']).toBe(String(content.length));
    expect(got.headers['transfer-encoding']).toBeUndefined();
    expect(got.headers['content-type']).toBe('video/mp4');
    expect(got.bytes).toBe(content.length);
    expect(got.sha).toBe(sha(content));
  });

  it('opens the stream afresh for every send, so a second send is the whole file again', async () => {
    const c = client(base);
    const body = fileBody(file, content.length);
    const before = seen.length;
    await c.send({ method: 'PUT', path: '/upload/a', stream: body });
    await c.send({ method: 'PUT', path: '/upload/b', stream: body });
    expect(seen.slice(before).map((s) => s.sha)).toEqual([sha(content), sha(content)]);
  });

  it('refuses a body that is shorter than its announced length instead of sending a wrong file', async () => {
    const short = { length: 100, open: () => Readable.from([Buffer.alloc(40, 1)]) };
    const e = await failure(client(base), { method: 'PUT', path: '/upload/short', stream: short });
    expect(e.kind).toBe('transient');
  });

  it('a file that cannot be read fails before sending: nothing reaches the server and beforeSend is not called', async () => {
    const sent: string[] = [];
    const before = seen.length;
    const e = await failure(client(base, sent), { method: 'POST', path: '/create', stream: fileBody(path.join(dir, 'missing.mp4'), 10, 'missing.mp4'), idempotent: false });
    expect(e).toMatchObject({ kind: 'permanent', code: 'body_unreadable' });
    expect(e.message).toContain('missing.mp4');
    expect(e.message).toContain('nothing was sent');
    expect(sent).toEqual([]);
    expect(seen.length).toBe(before);
  });

  it('connection refused is "before sending": transient even for a create with a stream body', async () => {
    const e = await failure(client(refusedBase), { method: 'POST', path: '/create', stream: fileBody(file, content.length), idempotent: false });
    expect(e).toMatchObject({ kind: 'transient', code: 'connect_failed' });
  });

  it('a lost answer after the body went out is unknown_outcome for a create, transient for an idempotent PUT', async () => {
    const sent: string[] = [];
    const create = await failure(client(base, sent), { method: 'POST', path: '/reset/create', stream: fileBody(file, content.length), idempotent: false });
    expect(create.kind).toBe('unknown_outcome');
    expect(sent).toHaveLength(1);
    const put = await failure(client(base), { method: 'PUT', path: '/reset/put', stream: fileBody(file, content.length) });
    expect(put.kind).toBe('transient');
    expect(seen.filter((s) => s.url.startsWith('/reset')).map((s) => s.bytes)).toEqual([content.length, content.length]);
  });
});
