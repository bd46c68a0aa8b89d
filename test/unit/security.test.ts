import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allowPermission,
  appliesAppCsp,
  FRAME_ORIGINS,
  isAllowedFrameNavigation,
  APP_ORIGIN,
  CSP,
  isAllowedNavigation,
  isSafeExternalUrl,
  isTrustedSender,
  resolveInside,
  secureWebPreferences,
} from '../../electron/security';
import { SERVER_CSP } from '../../electron/server/http-server';

const root = path.resolve('/srv/talkbatch/renderer');
const inside = (p: string | null): boolean => p !== null && (p === root || p.startsWith(root + path.sep));

describe('resolveInside', () => {
  it('resolves plain paths inside the root', () => {
    expect(resolveInside(root, 'index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveInside(root, 'assets/app.js')).toBe(path.join(root, 'assets', 'app.js'));
    expect(resolveInside(root, 'a/./b/../c.js')).toBe(path.join(root, 'a', 'c.js'));
    expect(resolveInside(root, 'Batch%201/001-Hello.mp4')).toBe(path.join(root, 'Batch 1', '001-Hello.mp4'));
  });

  it.each([
    '../secret.txt',
    '../../etc/passwd',
    'assets/../../secret.txt',
    '..',
    '..\\..\\windows\\win.ini',
    '%2e%2e/secret.txt',
    '%2E%2E%2Fsecret.txt',
    '..%2f..%2fetc%2fpasswd',
    '%252e%252e/secret.txt',
    '%252e%252e%252fsecret.txt',
    '%25252e%25252e/secret.txt',
    'assets/%2e%2e/%2e%2e/secret.txt',
  ])('rejects traversal %s', (p) => {
    expect(resolveInside(root, p)).toBeNull();
  });

  it.each(['a\0b', 'index.html\0.png', '%00', 'index.html%00.png', '%2500'])('rejects NUL bytes %j', (p) => {
    expect(resolveInside(root, p)).toBeNull();
  });

  it('rejects the root itself and malformed encodings', () => {
    expect(resolveInside(root, '')).toBeNull();
    expect(resolveInside(root, '/')).toBeNull();
    expect(resolveInside(root, '.')).toBeNull();
    expect(resolveInside(root, '%E0%A4%A')).toBeNull();
    expect(resolveInside(root, '%')).toBe(path.join(root, '%'));
  });

  it.each(['/etc/passwd', '//etc/passwd', '%2Fetc%2Fpasswd', '\\etc\\passwd', '/../etc/passwd'])(
    'never lets an absolute path %s out of the root (it is taken relative to the root, or refused)',
    (p) => {
      const r = resolveInside(root, p);
      expect(r === null || inside(r)).toBe(true);
      expect(r).not.toBe('/etc/passwd');
    },
  );

  it('treats a leading slash as the root (app:// and /media/ URLs start with one)', () => {
    expect(resolveInside(root, '/index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveInside(root, '/etc/passwd')).toBe(path.join(root, 'etc', 'passwd'));
  });
});

describe('navigation and links', () => {
  it('allows only our own app:// origin in the window', () => {
    expect(isAllowedNavigation(`${APP_ORIGIN}/`)).toBe(true);
    expect(isAllowedNavigation(`${APP_ORIGIN}/index.html#/queue`)).toBe(true);
    for (const u of [
      'https://talkbatch/',
      'http://localhost:5173/',
      'app://evil/',
      'app://talkbatch.evil.com/',
      'app://talkbatch:8080/',
      'app://user@evil/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'about:blank',
      'not a url',
      '',
    ]) {
      expect(isAllowedNavigation(u), u).toBe(false);
    }
  });

  it('opens only plain https links externally (issue 17 item 9: not http)', () => {
    expect(isSafeExternalUrl('https://docs.creatify.ai/api')).toBe(true);
    for (const u of [
      'http://example.com/',
      'http://docs.sync.so/',
      'https://user:pass@example.com/',
      'https://user@example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'vbscript:msgbox',
      'data:text/html,x',
      'smb://server/share',
      'ms-msdt:/id',
      'mailto:a@b.c',
      'https://',
      'garbage',
    ]) {
      expect(isSafeExternalUrl(u), u).toBe(false);
    }
  });

  it('trusts IPC only from our top-level app:// frame', () => {
    expect(isTrustedSender(`${APP_ORIGIN}/index.html`, true)).toBe(true);
    expect(isTrustedSender(`${APP_ORIGIN}/index.html`, false)).toBe(false);
    expect(isTrustedSender('https://app.creatify.ai/preview', true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
    expect(isTrustedSender('', true)).toBe(false);
  });

  it('denies every permission request', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(allowPermission(p)).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(allowPermission(p, `${APP_ORIGIN}/index.html`, true)).toBe(false);
  });

  it('allows clipboard writes and fullscreen to our own top-level page only (issue 19 item 8)', () => {
    expect(allowPermission('clipboard-sanitized-write', `${APP_ORIGIN}/index.html`, true)).toBe(true);
    expect(allowPermission('fullscreen', `${APP_ORIGIN}/index.html#library`, true)).toBe(true);
    // The Creatify preview frame, another site, a frame inside our page, an unknown requester: no.
    expect(allowPermission('clipboard-sanitized-write', 'https://app.creatify.ai/preview', false)).toBe(false);
    expect(allowPermission('fullscreen', 'https://evil.example/', true)).toBe(false);
    expect(allowPermission('fullscreen', `${APP_ORIGIN}/index.html`, false)).toBe(false);
    expect(allowPermission('clipboard-sanitized-write', undefined, true)).toBe(false);
    expect(allowPermission('clipboard-sanitized-write', 'app://talkbatch.evil/', true)).toBe(false);
  });

  it('lets frames navigate only where they may (issue 17 item 9)', () => {
    expect(isAllowedFrameNavigation(`${APP_ORIGIN}/index.html`, true)).toBe(true);
    expect(isAllowedFrameNavigation('https://app.creatify.ai/preview/abc', true)).toBe(false);
    expect(isAllowedFrameNavigation('https://app.creatify.ai/preview/abc', false)).toBe(true);
    expect(isAllowedFrameNavigation('about:blank', false)).toBe(true);
    for (const u of ['https://evil.example/', 'http://app.creatify.ai/', 'https://app.creatify.ai.evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'garbage']) {
      expect(isAllowedFrameNavigation(u, false), u).toBe(false);
      expect(isAllowedFrameNavigation(u, true), u).toBe(false);
    }
  });

  it('puts the app CSP on everything but the framed Creatify preview (issue 17 item 9)', () => {
    expect(appliesAppCsp(`${APP_ORIGIN}/index.html`, 'mainFrame')).toBe(true);
    expect(appliesAppCsp('https://evil.example/x.js', 'script')).toBe(true);
    expect(appliesAppCsp('https://app.creatify.ai/preview/abc', 'subFrame')).toBe(false);
    expect(appliesAppCsp('https://app.creatify.ai/assets/app.js', 'script')).toBe(false);
    expect(FRAME_ORIGINS).toEqual(['https://app.creatify.ai']);
    expect(CSP).toContain('frame-src https://app.creatify.ai');
  });
});

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe.each([
  ['Electron CSP', CSP],
  ['server CSP', SERVER_CSP],
])('%s', (_name, csp) => {
  const d = directives(csp);

  it("runs only our own scripts: script-src 'self', no unsafe-eval or unsafe-inline scripts", () => {
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).not.toMatch(/wasm-unsafe-eval/);
    expect(d.get('script-src')).not.toContain("'unsafe-inline'");
  });

  it('blocks plugins, base-tag hijacks, form posts and framing', () => {
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
  });

  it('allows no wildcard sources anywhere', () => {
    for (const [, values] of d) for (const v of values) expect(v === '*' || v === 'http:' || v === 'https:').toBe(false);
  });
});

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the renderer without Node', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toEqual(
      expect.objectContaining({
        preload: '/app/preload.cjs',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
      }),
    );
  });
});
