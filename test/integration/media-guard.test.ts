import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/app-core';
import { createHandlers } from '../../electron/core/handlers';
import { parseRange, resolveLibraryFile } from '../../electron/core/library/media-file';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { startServer, type RunningServer } from '../../electron/server/http-server';

/**
 * Server mode's /media/ over real HTTP, the library-only guard on real paths (issue 17 item 1): a
 * symlink inside the library that leads out of it — to /etc/passwd, to the vault key, to a folder —
 * is refused, while a link that stays inside the library and a file whose name contains "%41" are
 * served. The desktop `media:` protocol shares this code (test/unit/shell/window.test.ts).
 */

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
let root: string;
let core: Core;
let server: RunningServer;
let port: number;
let clip: Buffer;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'tb-media-guard-'));
  mkdirSync(path.join(root, 'renderer'), { recursive: true });
  writeFileSync(path.join(root, 'renderer', 'index.html'), '<!doctype html>');
  core = openCore({ dataDir: path.join(root, 'data'), mode: 'server', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: true });
  server = await startServer({ core, handlers: createHandlers(core, { version: 't', mode: 'server' }), rendererDir: path.join(root, 'renderer'), port: 0 });
  port = Number(new URL(server.origin).port);

  const lib = core.library.dir;
  mkdirSync(path.join(lib, 'Batch'), { recursive: true });
  copyFileSync(path.join(FIXTURES, 'sample.mp4'), path.join(lib, 'Batch', 'a.mp4'));
  clip = readFileSync(path.join(lib, 'Batch', 'a.mp4'));
  // Outside the library: a folder with a private file in it.
  mkdirSync(path.join(root, 'private'), { recursive: true });
  writeFileSync(path.join(root, 'private', 'notes.txt'), 'PRIVATE-NOTES-OUTSIDE');
  symlinkSync('/etc/passwd', path.join(lib, 'Batch', 'passwd.mp4'));
  symlinkSync(path.join(core.paths.root, 'vault.key'), path.join(lib, 'Batch', 'key.mp4'));
  symlinkSync(path.join(root, 'private'), path.join(lib, 'outside'));
  symlinkSync('../../../private/notes.txt', path.join(lib, 'Batch', 'relative-out.mp4'));
  // Inside the library: a link to another library file is fine.
  symlinkSync('a.mp4', path.join(lib, 'Batch', 'alias.mp4'));
  writeFileSync(path.join(lib, 'Batch', 'Offer 100%41 off.mp4'), 'percent-name');
});

afterAll(async () => {
  await server.close();
  await core.close();
  rmSync(root, { recursive: true, force: true });
});

function get(rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: rawPath, headers: { 'x-talkbatch-token': server.token, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/media/ serves the library only, on real paths', () => {
  it.each([
    ['a link to /etc/passwd', '/media/Batch/passwd.mp4'],
    ['a link to the vault key file', '/media/Batch/key.mp4'],
    ['a link to a folder outside the library', '/media/outside/notes.txt'],
    ['a relative link that climbs out', '/media/Batch/relative-out.mp4'],
  ])('refuses %s (404, nothing of it sent)', async (_what, p) => {
    const r = await get(p);
    expect(r.status).toBe(404);
    const text = r.body.toString('utf8');
    expect(text).not.toContain('root:');
    expect(text).not.toContain('PRIVATE-NOTES-OUTSIDE');
    expect(text).not.toContain(readFileSync(path.join(core.paths.root, 'vault.key'), 'utf8').trim());
  });

  it('serves a link that stays inside the library, with ranges', async () => {
    const r = await get('/media/Batch/alias.mp4', { range: 'bytes=10-19' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 10-19/${clip.length}`);
    expect(r.body.equals(clip.subarray(10, 20))).toBe(true);
  });

  it('serves a file whose name contains %XX (decoded once), while double-encoded traversal stays refused', async () => {
    const r = await get(`/media/Batch/${encodeURIComponent('Offer 100%41 off.mp4')}`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('percent-name');
    expect((await get('/media/Batch/%252e%252e/%252e%252e/vault.key')).status).toBe(404);
    expect((await get('/media/%252e%252e%252fvault.key')).status).toBe(404);
  });

  it('answers an unsatisfiable range with 416 and the size', async () => {
    const r = await get('/media/Batch/a.mp4', { range: `bytes=${clip.length + 5}-` });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${clip.length}`);
  });
});

describe('a library folder that is itself a link (e.g. ~/Videos → another disk)', () => {
  it('serves its files, compared against its real path, and still refuses links out of it', async () => {
    const real = path.join(root, 'other-disk', 'Videos');
    mkdirSync(path.join(real, 'B'), { recursive: true });
    writeFileSync(path.join(real, 'B', 'v.mp4'), 'video');
    symlinkSync('/etc/passwd', path.join(real, 'B', 'out.mp4'));
    const linkedRoot = path.join(root, 'Videos-link');
    symlinkSync(real, linkedRoot);
    expect(await resolveLibraryFile(linkedRoot, 'B/v.mp4')).toEqual({ path: path.join(real, 'B', 'v.mp4'), size: 5 });
    expect(await resolveLibraryFile(linkedRoot, 'B/out.mp4')).toBeNull();
    expect(await resolveLibraryFile(linkedRoot, 'B')).toBeNull();
    expect(await resolveLibraryFile(path.join(root, 'no-such-library'), 'B/v.mp4')).toBeNull();
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-99', 1000, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=990-', 1000, { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-10', 1000, { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-5000', 1000, { kind: 'partial', start: 0, end: 999 }],
    ['bytes=500-5000', 1000, { kind: 'partial', start: 500, end: 999 }],
    ['bytes=1000-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=-0', 1000, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=9-3', 1000, { kind: 'full' }],
    ['bytes=0-1,5-6', 1000, { kind: 'full' }],
    ['items=0-1', 1000, { kind: 'full' }],
    [undefined, 1000, { kind: 'full' }],
  ] as const)('%s of %d bytes → %j', (header, size, want) => {
    expect(parseRange(header, size)).toEqual(want);
  });
});
