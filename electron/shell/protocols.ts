import { net, protocol } from 'electron';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_HOST, APP_SCHEME, CSP, MEDIA_SCHEME, resolveInside } from '../security';

/** Must run before app is ready: app:// and media: behave like secure standard origins. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: MEDIA_SCHEME, privileges: { secure: true, stream: true, supportFetchAPI: true } },
  ]);
}

/** app://talkbatch/… serves the built renderer; media:… serves library files only (Range for playback). */
export function handleProtocols(rendererDir: string, libraryDir: () => string): void {
  protocol.handle(APP_SCHEME, async (req) => {
    const url = new URL(req.url);
    if (url.host !== APP_HOST) return new Response('Not found', { status: 404 });
    const file = resolveInside(rendererDir, url.pathname === '/' ? 'index.html' : url.pathname);
    if (!file || !existsSync(file) || !statSync(file).isFile()) return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CSP);
    return new Response(res.body, { status: res.status, headers });
  });
  protocol.handle(MEDIA_SCHEME, async (req) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url).pathname.replace(/^\/+/, ''));
    } catch {
      return new Response('Not in the library', { status: 404 });
    }
    const root = libraryDir();
    const file = resolveInside(root, rel);
    // Unfinished downloads are judged on the resolved path (resolveInside decodes further, e.g. %252e).
    if (!file || path.relative(root, file).split(path.sep).includes('.partial') || !existsSync(file) || !statSync(file).isFile()) {
      return new Response('Not in the library', { status: 404 });
    }
    return await net.fetch(pathToFileURL(file).toString(), { headers: req.headers });
  });
}
