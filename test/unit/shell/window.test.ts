import { beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * The Electron shell with `electron` mocked (its binary cannot be installed here): the window gets the
 * secure preferences, navigation (of every frame, and redirects) and new windows are denied, permissions
 * are refused but for clipboard writes and fullscreen on our own page, responses carry the CSP except the
 * framed Creatify preview, and the app:// / media: protocols never serve a file outside their folder
 * (media: on real paths, with byte ranges).
 */
const h = vi.hoisted(() => ({
  windows: [] as { opts: Record<string, unknown>; handlers: Record<string, (...a: unknown[]) => unknown>; openHandler?: (d: { url: string }) => unknown; loaded?: string }[],
  openExternal: vi.fn(),
  protocols: new Map<string, (req: { url: string; headers?: unknown }) => Promise<Response>>(),
  netFetch: vi.fn(async (url: string) => new Response(`served ${url}`, { status: 200 })),
}));

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(opts: Record<string, unknown>) {
      const w = { opts, handlers: {} as Record<string, (...a: unknown[]) => unknown>, openHandler: undefined as undefined | ((d: { url: string }) => unknown), loaded: undefined as string | undefined };
      h.windows.push(w);
      this.webContents = {
        on: (ev: string, fn: (...a: unknown[]) => unknown) => void (w.handlers[ev] = fn),
        setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => void (w.openHandler = fn),
      };
      this.loadURL = async (u: string) => void (w.loaded = u);
    }
    loadURL: (u: string) => Promise<void>;
    once() {}
    show() {}
  }
  return {
    BrowserWindow,
    shell: { openExternal: h.openExternal },
    protocol: { handle: (scheme: string, fn: (req: { url: string }) => Promise<Response>) => void h.protocols.set(scheme, fn), registerSchemesAsPrivileged: vi.fn() },
    net: { fetch: h.netFetch },
  };
});

import { createMainWindow, hardenSession } from '../../../electron/shell/window';
import { handleProtocols } from '../../../electron/shell/protocols';
import { CSP } from '../../../electron/security';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('main window', () => {
  beforeEach(() => {
    h.windows.length = 0;
    h.openExternal.mockClear();
  });

  it('is isolated, sandboxed and without Node in the renderer, loading app://', () => {
    createMainWindow('/app/preload.cjs');
    const w = h.windows[0]!;
    const prefs = w.opts.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, preload: '/app/preload.cjs' });
    expect(w.loaded).toBe('app://talkbatch/index.html');
  });

  it('denies navigation away from app:// and opens only safe links externally', () => {
    createMainWindow('/p');
    const w = h.windows[0]!;
    const nav = (url: string) => {
      let prevented = false;
      w.handlers['will-navigate']!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(nav('https://evil.example/')).toBe(true);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav('app://talkbatch/index.html#queue')).toBe(false);
    expect(w.openHandler!({ url: 'https://docs.sync.so/' })).toEqual({ action: 'deny' });
    expect(h.openExternal).toHaveBeenCalledWith('https://docs.sync.so/');
    expect(w.openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(w.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(h.openExternal).toHaveBeenCalledTimes(1);
    let webviewPrevented = false;
    w.handlers['will-attach-webview']!({ preventDefault: () => (webviewPrevented = true) });
    expect(webviewPrevented).toBe(true);
  });

  it('guards every frame\'s navigation and redirects, and opens only https links (issue 17 item 9)', () => {
    createMainWindow('/p');
    const w = h.windows[0]!;
    const fire = (ev: string, url: string, isMainFrame: boolean) => {
      let prevented = false;
      w.handlers[ev]!({ url, isMainFrame, preventDefault: () => (prevented = true) });
      return prevented;
    };
    for (const ev of ['will-frame-navigate', 'will-redirect']) {
      expect(fire(ev, 'https://evil.example/', true), ev).toBe(true);
      expect(fire(ev, 'https://evil.example/', false), ev).toBe(true);
      expect(fire(ev, 'app://talkbatch/index.html', true), ev).toBe(false);
      // The Creatify template preview may load (and redirect within app.creatify.ai) in its frame.
      expect(fire(ev, 'https://app.creatify.ai/preview/abc', false), ev).toBe(false);
      expect(fire(ev, 'https://app.creatify.ai/preview/abc', true), ev).toBe(true);
    }
    expect(w.openHandler!({ url: 'http://docs.sync.so/' })).toEqual({ action: 'deny' });
    expect(h.openExternal).not.toHaveBeenCalled();
    expect(w.openHandler!({ url: 'https://docs.sync.so/' })).toEqual({ action: 'deny' });
    expect(h.openExternal).toHaveBeenCalledWith('https://docs.sync.so/');
  });

  it('grants clipboard writes and fullscreen to our page only, and leaves the Creatify preview its own headers', () => {
    let perm: ((wc: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl: string; isMainFrame: boolean }) => void) | undefined;
    let check: ((wc: unknown, p: string, origin: string, d: { requestingUrl?: string; isMainFrame: boolean }) => boolean) | undefined;
    let headers: ((d: { url: string; resourceType: string; responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders?: Record<string, string[]> }) => void) => void) | undefined;
    hardenSession({
      setPermissionRequestHandler: (fn: typeof perm) => void (perm = fn),
      setPermissionCheckHandler: (fn: typeof check) => void (check = fn),
      webRequest: { onHeadersReceived: (fn: typeof headers) => void (headers = fn) },
    } as never);
    const ask = (p: string, requestingUrl: string, isMainFrame = true) => {
      let granted: boolean | undefined;
      perm!(null, p, (ok) => (granted = ok), { requestingUrl, isMainFrame });
      return granted;
    };
    expect(ask('clipboard-sanitized-write', 'app://talkbatch/index.html')).toBe(true);
    expect(ask('fullscreen', 'app://talkbatch/index.html')).toBe(true);
    expect(check!(null, 'clipboard-sanitized-write', 'app://talkbatch', { requestingUrl: 'app://talkbatch/index.html', isMainFrame: true })).toBe(true);
    expect(ask('clipboard-sanitized-write', 'https://app.creatify.ai/preview', false)).toBe(false);
    expect(ask('fullscreen', 'https://evil.example/')).toBe(false);
    expect(ask('media', 'app://talkbatch/index.html')).toBe(false);
    expect(ask('notifications', 'app://talkbatch/index.html')).toBe(false);

    const preview = { 'content-security-policy': ["frame-ancestors 'self' app://talkbatch"], 'x-frame-options': ['SAMEORIGIN'] };
    let out: { responseHeaders?: Record<string, string[]> } = {};
    headers!({ url: 'https://app.creatify.ai/preview/abc', resourceType: 'subFrame', responseHeaders: preview }, (r) => (out = r));
    expect(out.responseHeaders?.['Content-Security-Policy']).toBeUndefined();
    headers!({ url: 'https://evil.example/x', resourceType: 'xhr', responseHeaders: {} }, (r) => (out = r));
    expect(out.responseHeaders?.['Content-Security-Policy']).toEqual([CSP]);
  });

  it('refuses every permission and sets the CSP on every response', () => {
    let perm: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let check: ((wc: unknown, p: string) => boolean) | undefined;
    let headers: ((d: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | undefined;
    hardenSession({
      setPermissionRequestHandler: (fn: typeof perm) => void (perm = fn),
      setPermissionCheckHandler: (fn: typeof check) => void (check = fn),
      webRequest: { onHeadersReceived: (fn: typeof headers) => void (headers = fn) },
    } as never);
    let granted: boolean | undefined;
    perm!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(check!(null, 'notifications')).toBe(false);
    let out: Record<string, string[]> = {};
    headers!({ responseHeaders: { 'x-a': ['1'] } }, (r) => (out = r.responseHeaders));
    expect(out['Content-Security-Policy']).toEqual([CSP]);
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toContain('unsafe-eval');
  });
});

describe('app:// and media: protocols', () => {
  it('serve files inside their folder only', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tb-proto-'));
    const renderer = path.join(root, 'renderer');
    const library = path.join(root, 'Library');
    mkdirSync(renderer, { recursive: true });
    mkdirSync(path.join(library, 'Batch', '.partial'), { recursive: true });
    writeFileSync(path.join(renderer, 'index.html'), '<html></html>');
    writeFileSync(path.join(library, 'Batch', 'a.mp4'), 'video');
    writeFileSync(path.join(library, 'Batch', '.partial', 'x.part'), 'partial');
    writeFileSync(path.join(root, 'secret.txt'), 'secret');
    handleProtocols(renderer, () => library);
    const app = h.protocols.get('app')!;
    const media = h.protocols.get('media')!;
    expect((await app({ url: 'app://talkbatch/index.html' })).status).toBe(200);
    expect((await app({ url: 'app://talkbatch/index.html' })).headers.get('content-security-policy')).toBe(CSP);
    expect((await app({ url: 'app://talkbatch/..%2fsecret.txt' })).status).toBe(404);
    expect((await app({ url: 'app://talkbatch/%252e%252e/secret.txt' })).status).toBe(404);
    expect((await app({ url: 'app://other-host/index.html' })).status).toBe(404);
    expect((await media({ url: 'media:Batch/a.mp4', headers: {} })).status).toBe(200);
    expect((await media({ url: 'media:../secret.txt', headers: {} })).status).toBe(404);
    expect((await media({ url: 'media:Batch/%2e%2e/%2e%2e/secret.txt', headers: {} })).status).toBe(404);
    expect((await media({ url: 'media:Batch/.partial/x.part', headers: {} })).status).toBe(404);
    expect((await media({ url: 'media:Batch/%252epartial/x.part', headers: {} })).status).toBe(404);
    expect((await media({ url: 'media:Batch/%E0%A4%A', headers: {} })).status).toBe(404);
  });

  it('media: serves byte ranges itself (206 + Content-Range) and refuses links that leave the library', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tb-proto-range-'));
    const library = path.join(root, 'Library');
    mkdirSync(path.join(library, 'Batch'), { recursive: true });
    mkdirSync(path.join(root, 'private'), { recursive: true });
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    writeFileSync(path.join(library, 'Batch', 'long.mp4'), bytes);
    writeFileSync(path.join(root, 'vault.key'), 'KEY-FILE-CONTENT');
    writeFileSync(path.join(root, 'private', 'notes.txt'), 'PRIVATE');
    symlinkSync('/etc/passwd', path.join(library, 'Batch', 'passwd.mp4'));
    symlinkSync(path.join(root, 'vault.key'), path.join(library, 'Batch', 'key.mp4'));
    symlinkSync(path.join(root, 'private'), path.join(library, 'outside'));
    h.netFetch.mockClear();
    handleProtocols(path.join(root, 'renderer'), () => library);
    const media = h.protocols.get('media')!;
    const req = (url: string, headers: Record<string, string> = {}, method = 'GET') => media({ url, headers: new Headers(headers), method } as never);

    const part = await req('media:Batch/long.mp4', { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(part.headers.get('accept-ranges')).toBe('bytes');
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const whole = await req('media:Batch/long.mp4');
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const beyond = await req('media:Batch/long.mp4', { range: 'bytes=1000-' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */1000');
    // Never handed to net.fetch(file://), which answers a range request with 200 and the whole file.
    expect(h.netFetch).not.toHaveBeenCalled();

    for (const url of ['media:Batch/passwd.mp4', 'media:Batch/key.mp4', 'media:outside/notes.txt']) {
      const r = await req(url);
      expect(r.status, url).toBe(404);
      const text = await r.text();
      expect(text).not.toContain('root:');
      expect(text).not.toContain('KEY-FILE-CONTENT');
      expect(text).not.toContain('PRIVATE');
    }
    expect(readFileSync(path.join(root, 'vault.key'), 'utf8')).toBe('KEY-FILE-CONTENT');
  });
});
