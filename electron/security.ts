import path from 'node:path';

/**
 * Security decisions, each a small pure function with a unit test (DESIGN.md rule 8; Electron's
 * security checklist). main.ts imports this file first and applies every decision; server mode
 * shares the path guard and the CSP.
 */

/** The renderer's Content-Security-Policy: our own code only, media from our own origins. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: media:",
  "media-src 'self' blob: media:",
  "connect-src 'self'",
  // Creatify template previews are pages of app.creatify.ai, shown in a sandboxed frame.
  `frame-src ${['https://app.creatify.ai'].join(' ')}`,
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** BrowserWindow webPreferences: isolation, sandbox, no Node in the renderer. */
export function secureWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: true,
  } as const;
}

/**
 * Resolves a request path inside a root folder, or null when it would escape it (../, absolute
 * paths, encoded traversal, NUL bytes). Used by the app:// and media: protocols and server mode.
 */
export function resolveInside(root: string, requestPath: string): string | null {
  if (requestPath.includes('\0')) return null;
  let decoded = requestPath;
  try {
    // Paths may arrive encoded once more (%252e%252e): decode until stable.
    for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(decoded); i++) decoded = decodeURIComponent(decoded);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = path.resolve(root);
  const target = path.resolve(base, '.' + path.sep + decoded.replace(/^[/\\]+/, ''));
  const rel = path.relative(base, target);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return target;
}

export const APP_SCHEME = 'app';
export const APP_HOST = 'talkbatch';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const MEDIA_SCHEME = 'media';

/** Only our own app:// pages may be shown in the window; everything else is denied. */
export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Origins whose pages may be shown in a frame of our page (the CSP's frame-src says the same). */
export const FRAME_ORIGINS: readonly string[] = ['https://app.creatify.ai'];

/**
 * Navigation of any frame (will-frame-navigate, will-redirect): the main frame stays on app://;
 * a sub frame may show only a page of an allowed frame origin (the Creatify template preview) or
 * an empty document.
 */
export function isAllowedFrameNavigation(url: string, isMainFrame: boolean): boolean {
  if (isMainFrame) return isAllowedNavigation(url);
  if (url === 'about:blank' || url === 'about:srcdoc') return true;
  try {
    return FRAME_ORIGINS.includes(new URL(url).origin);
  } catch {
    return false;
  }
}

/**
 * Links the user clicks open in the system browser only when they are https pages. Plain http would
 * hand the user to a page anyone on the network can alter; the app has no mailto: links.
 */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && !u.username && !u.password && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/**
 * Whether our CSP is put on a response (session.webRequest.onHeadersReceived). Our own pages carry it
 * already (the app:// handler sets it); what must not get it is a page we frame on purpose — the
 * Creatify template preview is another site's document, and our policy (frame-ancestors 'none',
 * script-src 'self') would stop it from displaying. A sub frame from anywhere else cannot load at
 * all: the main document's frame-src refuses it.
 */
export function appliesAppCsp(url: string, resourceType: string | undefined): boolean {
  if (resourceType === 'subFrame') return false;
  try {
    return !FRAME_ORIGINS.includes(new URL(url).origin);
  } catch {
    return true;
  }
}

/** IPC: a call is served only when it comes from our own top-level app:// frame. */
export function isTrustedSender(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  return isMainFrame && !!frameUrl && isAllowedNavigation(frameUrl);
}

/**
 * Permissions: only what the app itself uses, and only for our own top-level app:// page —
 * writing to the clipboard ("Copy for support") and fullscreen (the video player). Everything
 * else (camera, notifications from the page, geolocation, …) and every other origin: denied.
 */
const APP_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write', 'fullscreen']);
export function allowPermission(permission: string, requestingUrl?: string, isMainFrame = true): boolean {
  if (!APP_PERMISSIONS.has(permission) || !isMainFrame || !requestingUrl) return false;
  return isAllowedNavigation(requestingUrl);
}
