import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ensureCliBuilt, exitOf, killAll, talkbatch, until, type CliRun } from '../../reliability/lib/cli';

/**
 * Server mode as `talkbatch serve` runs it (test/integration/server.test.ts covers the token, Origin
 * and Host checks of the HTTP layer in-process): it listens on loopback only unless told otherwise, so
 * this machine's other addresses do not answer; told to listen elsewhere it says so with a warning, and
 * every request still needs the token and our own origin.
 */

const work = mkdtempSync(path.join(tmpdir(), 'tb-serve-'));
afterAll(() => {
  killAll();
  rmSync(work, { recursive: true, force: true });
});

/** An address of this machine that is not loopback (a LAN or container interface), if there is one. */
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

async function serve(args: string[]): Promise<{ run: CliRun; url: URL }> {
  ensureCliBuilt();
  const run = talkbatch(['serve', '--port', '0', '--data-dir', path.join(work, `data-${args.join('-') || 'default'}`), ...args], { cwd: work, env: cleanEnv() });
  await until(() => /Open: \S+/.test(run.stdout()), 'serve to print its URL', 20_000, run);
  return { run, url: new URL(/Open: (\S+)/.exec(run.stdout())![1]!) };
}

function get(host: string, port: string, p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: p, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function stop(run: CliRun): Promise<void> {
  run.child.kill('SIGTERM');
  expect((await exitOf(run, 20_000, 'serve to stop')).code).toBe(0);
}

describe('talkbatch serve', () => {
  it('listens on 127.0.0.1 only by default, without a warning, and wants the token', async () => {
    const { run, url } = await serve([]);
    try {
      expect(url.hostname).toBe('127.0.0.1');
      expect(run.stderr()).not.toMatch(/Warning/);
      const port = Number(url.port);
      expect(await connects('127.0.0.1', port)).toBe(true);
      if (external) expect(await connects(external, port), `reachable at ${external}`).toBe(false);
      expect((await get('127.0.0.1', url.port, '/api/app:info')).status).toBe(401);
      const token = url.searchParams.get('token')!;
      expect((await get('127.0.0.1', url.port, '/api/app:info', { 'x-talkbatch-token': token, origin: 'https://evil.example' })).status).toBe(403);
      expect((await get('127.0.0.1', url.port, '/api/app:info', { 'x-talkbatch-token': token })).status).toBe(200);
    } finally {
      await stop(run);
    }
  });

  it('told to listen on another address: warns, and still refuses requests without the token or from other sites', async () => {
    const host = external ?? '0.0.0.0';
    const { run, url } = await serve(['--host', host]);
    try {
      expect(run.stderr()).toContain(`Warning: listening on ${host}, not only on this computer. Anyone who can reach it and has the token can use your keys' credit.`);
      const reach = external ?? '127.0.0.1';
      const token = url.searchParams.get('token')!;
      expect((await get(reach, url.port, '/api/app:info')).status).toBe(401);
      expect((await get(reach, url.port, '/api/app:info', { 'x-talkbatch-token': 'x'.repeat(token.length) })).status).toBe(401);
      expect((await get(reach, url.port, '/api/app:info', { 'x-talkbatch-token': token, origin: 'http://evil.example' })).status).toBe(403);
      expect((await get(reach, url.port, '/api/app:info', { 'x-talkbatch-token': token })).status).toBe(200);
    } finally {
      await stop(run);
    }
  });
});
