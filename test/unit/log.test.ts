import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Logger } from '../../electron/core/log';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-log-'));
  file = path.join(dir, 'logs', 'talkbatch.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const logText = () => readFileSync(file, 'utf8');
const lines = () =>
  logText()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { t: string; level: string; message: string; data?: Record<string, unknown> });

describe('Logger', () => {
  it('writes JSON lines with time, level, message and data', () => {
    const log = new Logger(file);
    log.info('Started', { jobs: 3 });
    log.warn('Careful');
    expect(lines()).toEqual([
      { t: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), level: 'info', message: 'Started', data: { jobs: 3 } },
      { t: expect.any(String), level: 'warn', message: 'Careful' },
    ]);
  });

  it('never writes a registered secret, wherever it appears', () => {
    const log = new Logger(file);
    const key = 'sk-live-CANARY-a1b2c3d4e5';
    log.addSecret(key);
    log.addSecret(undefined);
    log.addSecret('abc'); // too short to redact safely: ignored
    log.info(`Using ${key} for sync`, { header: `Bearer ${key}`, nested: { list: [key, 'x'] } });
    log.error('failed', { stack: `Error: 401 for key ${key}\n    at submit` });
    expect(logText()).not.toContain(key);
    expect(logText()).not.toContain('a1b2c3d4e5');
    expect(logText()).toContain('[redacted]');
    expect(lines()[0]!.data).toEqual({ header: 'Bearer [redacted]', nested: { list: ['[redacted]', 'x'] } });
  });

  it('cuts query strings (presigned signatures) from URLs', () => {
    const log = new Logger(file);
    const url = 'https://bucket.s3.amazonaws.com/talkbatch/abc.png?X-Amz-Algorithm=AWS4&X-Amz-Signature=SIGCANARY123&X-Amz-Credential=AKIACANARY';
    log.debug('http', { url, status: 200 });
    log.info(`Uploaded to ${url} in 3 s`);
    expect(logText()).not.toContain('SIGCANARY123');
    expect(logText()).not.toContain('AKIACANARY');
    expect(lines()[0]!.data).toEqual({ url: 'https://bucket.s3.amazonaws.com/talkbatch/abc.png?…', status: 200 });
  });

  it.each([
    ['apiKey', 'ak-CANARY-1111'],
    ['api_key', 'ak-CANARY-2222'],
    ['x-api-key', 'ak-CANARY-3333'],
    ['authorization', 'Bearer tok-CANARY-4444'],
    ['Authorization', 'Basic dXNlcjpwYXNzCANARY'],
    ['password', 'pw CANARY 5555 with spaces'],
    ['token', 'tok-CANARY-6666'],
    ['accessToken', 'tok-CANARY-7777'],
    ['refresh_token', 'tok-CANARY-8888'],
    ['access', 'jwt.CANARY.9999'],
    ['refresh', 'jwt.CANARY.0000'],
    ['secret', 'sec-CANARY-aaaa'],
    ['client_secret', 'sec-CANARY-bbbb'],
    ['secretAccessKey', 'sec-CANARY-cccc'],
    ['accessKeyId', 'AKIACANARYdddd'],
  ])('masks the value of a key-like field %s', (name, value) => {
    const log = new Logger(file);
    log.info('request', { headers: { [name]: value, accept: 'application/json' } });
    expect(logText()).not.toContain('CANARY');
    expect(logText()).toContain('application/json');
  });

  it('masks key-like fields written as text too', () => {
    const log = new Logger(file);
    log.warn('Provider said: {"error":"bad key","api_key":"ak-CANARY-text"} token=tok-CANARY-eq Authorization: Bearer abc-CANARY-hdr');
    log.warn('error: token=tok-CANARY-after-a-name note: password: "pw CANARY quoted", retry: 5');
    expect(logText()).not.toContain('CANARY');
    expect(logText()).toContain('bad key');
    expect(logText()).toContain('retry: 5');
    expect(lines()).toHaveLength(2);
  });

  it('redacts what it echoes to stderr the same way', () => {
    const log = new Logger(null, true);
    log.addSecret('sk-live-CANARY-stderr');
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      log.info('key sk-live-CANARY-stderr', { apiKey: 'ak-CANARY-x' });
      log.debug('debug lines are not echoed');
    } finally {
      process.stderr.write = orig;
    }
    expect(writes).toHaveLength(1);
    expect(writes[0]).not.toContain('CANARY');
  });

  it('keeps ordinary text and data as they are', () => {
    const log = new Logger(file);
    const data = { provider: 'sync', status: 429, at: new Date(0), tokens: null, nested: [{ rawStatus: 'PROCESSING' }] };
    log.info('Poll: 3 jobs, next in 5 s: ok', data);
    expect(lines()[0]).toMatchObject({ message: 'Poll: 3 jobs, next in 5 s: ok', data: { ...data, at: '1970-01-01T00:00:00.000Z' } });
  });

  it('stays fast on long lines without separators', () => {
    const log = new Logger(file);
    const blob = 'A'.repeat(200_000);
    const t0 = Date.now();
    log.info(`${blob}: ${blob}`, { body: `${'tokenish'.repeat(20_000)}=x` });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('rotates the file past its size limit and never throws on a write failure', () => {
    const log = new Logger(file, false, 200);
    for (let i = 0; i < 10; i++) log.info(`line ${i} ${'x'.repeat(50)}`);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(readFileSync(file, 'utf8').length).toBeLessThan(400);
    // A log path that cannot be written (a folder in its place) must not break the caller.
    const blocked = path.join(dir, 'blocked');
    writeFileSync(path.join(dir, 'not-a-dir'), 'x');
    const bad = new Logger(path.join(blocked, 'talkbatch.log'));
    rmSync(blocked, { recursive: true, force: true });
    writeFileSync(blocked, 'now a file');
    expect(() => bad.error('still fine')).not.toThrow();
  });
});
