import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { raceInProcesses } from '../helpers/race';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-cipher-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Starts `n` processes (tsx) that run `imports` and wait; then releases them all at once, so they
 * race for real. Each prints one line of JSON: what `body` returned, or its error.
 */

const SECRET = 'sk-live-CANARY-0123456789abcdef';

describe('fileKeyCipher', () => {
  it('round-trips text, including non-ASCII and empty strings', () => {
    const c = fileKeyCipher(dir);
    for (const plain of [SECRET, '', 'ключ-🔑-鍵', JSON.stringify({ apiId: 'id', apiKey: SECRET })]) {
      expect(c.decrypt(c.encrypt(plain))).toBe(plain);
    }
  });

  it('never stores the plain text and uses a fresh IV each time', () => {
    const c = fileKeyCipher(dir);
    const a = c.encrypt(SECRET);
    const b = c.encrypt(SECRET);
    expect(a.includes(Buffer.from(SECRET))).toBe(false);
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(0, 3).toString()).toBe('TB1');
  });

  it('creates a 32-byte key in a 0600 file and reuses it (a second instance decrypts)', () => {
    const c1 = fileKeyCipher(dir);
    const keyFile = path.join(dir, 'vault.key');
    expect(existsSync(keyFile)).toBe(true);
    if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')).toHaveLength(32);
    const blob = c1.encrypt(SECRET);
    const c2 = fileKeyCipher(dir);
    expect(c2.decrypt(blob)).toBe(SECRET);
    expect(c2.scheme).toBe('aes-256-gcm-file');
    expect(c2.secure).toBe(false);
    expect(c2.description).toContain(keyFile);
  });

  it('tightens a key file whose mode was loosened', () => {
    if (process.platform === 'win32') return;
    fileKeyCipher(dir);
    const keyFile = path.join(dir, 'vault.key');
    chmodSync(keyFile, 0o644);
    fileKeyCipher(dir);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('processes creating the key at the same moment all end up with one and the same key', async () => {
    const data = path.join(dir, 'data');
    const cipherModule = path.resolve(__dirname, '../../electron/core/secrets/cipher.ts');
    const results = await raceInProcesses(
      4,
      dir,
      `import { fileKeyCipher } from ${JSON.stringify(cipherModule)};`,
      `return fileKeyCipher(${JSON.stringify(data)}).encrypt('shared secret').toString('base64');`,
    );
    const c = fileKeyCipher(data);
    for (const r of results) {
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      const { ok, result } = JSON.parse(r.out) as { ok: boolean; result: string };
      expect(ok).toBe(true);
      expect(c.decrypt(Buffer.from(result, 'base64'))).toBe('shared secret');
    }
    // No temp key files left behind.
    expect(readdirSync(data)).toEqual(['vault.key']);
    if (process.platform !== 'win32') expect(statSync(path.join(data, 'vault.key')).mode & 0o777).toBe(0o600);
  });

  it('creates the data folder when it does not exist yet', () => {
    const nested = path.join(dir, 'a', 'b');
    const c = fileKeyCipher(nested);
    expect(c.decrypt(c.encrypt('x'))).toBe('x');
    expect(existsSync(path.join(nested, 'vault.key'))).toBe(true);
  });

  it('detects tampering and foreign blobs', () => {
    const c = fileKeyCipher(dir);
    const blob = c.encrypt(SECRET);
    const flipped = Buffer.from(blob);
    flipped[flipped.length - 1]! ^= 0x01;
    expect(() => c.decrypt(flipped)).toThrow();
    expect(() => c.decrypt(Buffer.from('not a secret blob at all'))).toThrow(/Unknown secret format/);
    const other = fileKeyCipher(mkdtempSync(path.join(dir, 'other-')));
    expect(() => other.decrypt(blob)).toThrow();
  });

  it('refuses a key file that is not a vault key, with a message saying what to do', () => {
    writeFileSync(path.join(dir, 'vault.key'), Buffer.from('too short').toString('base64'));
    expect(() => fileKeyCipher(dir)).toThrow(/is not a Talkbatch vault key \(remove it to start over/);
  });
});
