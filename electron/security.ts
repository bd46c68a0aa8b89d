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
  'frame-src https://app.creatify.ai',
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

/** Links the user clicks open in the system browser only when they are plain https (or http) pages. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/** IPC: a call is served only when it comes from our own top-level app:// frame. */
export function isTrustedSender(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  return isMainFrame && !!frameUrl && isAllowedNavigation(frameUrl);
}

/** Permission requests (camera, notifications from the page, …): all denied; the app never needs them. */
export function allowPermission(_permission: string): boolean {
  return false;
}
