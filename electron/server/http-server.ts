import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isChannelName, type Handlers } from '../../shared/contract';
import type { Core } from '../core/app-core';
import { dispatch, toErrorInfo } from '../core/handlers';
import { resolveLibraryFile, sendFile } from '../core/library/media-file';
import { resolveInside } from '../security';

/**
 * Server mode: the same core, the built renderer and the contract over HTTP —
 * POST /api/<channel> (JSON in, Result out), GET /api/events (SSE), POST /api/upload (drag-and-drop
 * bytes into the asset store), GET /media/<path> (library files only, with Range for playback).
 * Bound to 127.0.0.1 unless told otherwise; every /api and /media request needs the random token.
 */
export type ServerOptions = Readonly<{
  core: Core;
  handlers: Handlers;
  rendererDir: string;
  host?: string;
  port?: number;
  token?: string;
}>;

export type RunningServer = Readonly<{ url: string; origin: string; token: string; close(): Promise<void> }>;

/** Same CSP as the Electron window (media from our own origin only; no remote code). */
export const SERVER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-src https://app.creatify.ai; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const token = o.token ?? randomBytes(24).toString('base64url');
  const host = o.host ?? '127.0.0.1';
  const clients = new Set<ServerResponse>();
  let origin = '';
  const tokenOk = (given: string | null | undefined): boolean => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      o.core.log.error('HTTP handler failed', { error: String((e as Error)?.stack ?? e) });
      if (!res.headersSent) json(res, 500, { ok: false, error: toErrorInfo(e, 'http') });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    // DNS rebinding: only our own host names reach the app.
    const hostHeader = req.headers.host ?? '';
    const port = (server.address() as AddressInfo).port;
    const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`]);
    if (!allowedHosts.has(hostHeader)) {
      text(res, 421, 'Misdirected request: unexpected Host header');
      return;
    }
    // Routed on the path as sent too: the URL parser resolves "/media/../x" (and "%2e%2e") to "/x",
    // which would turn a refused library request into a request for the app shell.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const isMedia = rawPath.startsWith('/media/') || url.pathname.startsWith('/media/');
    const isApi = url.pathname.startsWith('/api/') || isMedia;
    if (isApi) {
      // Requests from other origins (a web page the user visits) are refused even with a guessed token.
      const reqOrigin = req.headers.origin;
      if (reqOrigin && reqOrigin !== `http://${hostHeader}`) {
        json(res, 403, { ok: false, error: { code: 'forbidden_origin', message: 'Requests from other sites are refused' } });
        return;
      }
      const given = (req.headers['x-talkbatch-token'] as string | undefined) ?? url.searchParams.get('token');
      if (!tokenOk(given)) {
        json(res, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong token: open the URL Talkbatch printed at start-up' } });
        return;
      }
    }
    if (url.pathname === '/api/events' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (url.pathname === '/api/upload' && req.method === 'POST') {
      const name = path.basename(url.searchParams.get('name') ?? 'upload');
      try {
        const asset = await o.core.assets.importStream(name, req);
        json(res, 200, { ok: true, value: asset });
      } catch (e) {
        json(res, 200, { ok: false, error: toErrorInfo(e, 'upload') });
      }
      return;
    }
    if (url.pathname.startsWith('/api/') && req.method === 'POST') {
      const channel = safeDecode(url.pathname.slice('/api/'.length)) ?? '';
      if (!isChannelName(channel)) {
        json(res, 404, { ok: false, error: { code: 'unknown_channel', message: `No channel ${channel}` } });
        return;
      }
      const body = await readJson(req, 80 * 1024 * 1024);
      if (body === INVALID) {
        json(res, 400, { ok: false, error: { code: 'invalid_json', message: 'The request body is not JSON' } });
        return;
      }
      json(res, 200, await dispatch(o.handlers, channel, body, o.core.log.error));
      return;
    }
    if (isMedia && (req.method === 'GET' || req.method === 'HEAD')) {
      // One guard for both transports (core/library/media-file.ts): decoded once, real paths compared.
      const file = await resolveLibraryFile(o.core.library.dir, (rawPath.startsWith('/media/') ? rawPath : url.pathname).slice('/media/'.length));
      if (!file) {
        text(res, 404, 'Not in the library');
        return;
      }
      sendFile(req, res, file);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const rel = url.pathname === '/' ? 'index.html' : safeDecode(url.pathname.slice(1));
      let file = rel === null ? null : resolveInside(o.rendererDir, rel);
      if (!file || !existsSync(file) || !statSync(file).isFile()) file = path.join(o.rendererDir, 'index.html');
      if (!existsSync(file)) {
        text(res, 500, 'The interface is not built: run `npm run build` first.');
        return;
      }
      res.setHeader('content-security-policy', SERVER_CSP);
      sendFile(req, res, { path: file, size: statSync(file).size }, path.basename(file) === 'index.html' ? 'no-store' : 'public, max-age=31536000, immutable');
      return;
    }
    text(res, 405, 'Method not allowed');
  }

  const unsubscribe = o.core.events.on((name, payload) => {
    const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const c of clients) c.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(': ping\n\n');
  }, 20_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    origin,
    url: `${origin}/?token=${token}`,
    token,
    close: async () => {
      unsubscribe();
      clearInterval(heartbeat);
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const INVALID = Symbol('invalid');

/** decodeURIComponent, or null for a malformed escape ("%E0%A4%A"): a bad path is a 404, not a 500. */
function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) return INVALID;
    chunks.push(c as Buffer);
  }
  const t = Buffer.concat(chunks).toString('utf8');
  if (!t) return {};
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return INVALID;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(s);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
