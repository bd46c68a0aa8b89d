import { net, protocol } from 'electron';
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { fileResponse, resolveLibraryFile } from '../core/library/media-file';
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
    // media:<path>: the same guard and byte ranges as server mode's /media/ (core/library/media-file.ts).
    // net.fetch(file://) would answer a Range request with the whole file (200), so seeking snapped back.
    const file = await resolveLibraryFile(libraryDir(), new URL(req.url).pathname);
    if (!file) return new Response('Not in the library', { status: 404 });
    return fileResponse(req.method ?? 'GET', headerOf(req, 'range'), file);
  });
}

/** A request header from Electron's Request (a Headers object). */
function headerOf(req: Readonly<{ headers?: unknown }>, name: string): string | null {
  const h = req.headers as { get?: (n: string) => string | null } | Record<string, string> | undefined;
  if (!h) return null;
  if (typeof h.get === 'function') return h.get(name);
  const found = Object.entries(h as Record<string, string>).find(([k]) => k.toLowerCase() === name);
  return found ? String(found[1]) : null;
}
