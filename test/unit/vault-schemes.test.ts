import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialField } from '../../shared/provider-spec';
import { AppError } from '../../shared/result';
import { ASSET_HOST_FIELDS } from '../../electron/core/assets/asset-host';
import { openDatabase, type Db } from '../../electron/core/db/open';
import { allAdapters } from '../../electron/core/providers';
import { existingFileKeyCipher, FILE_KEY_SCHEME, fileKeyCipher, type Cipher } from '../../electron/core/secrets/cipher';
import { ASSET_HOST, Vault, type VaultOwner } from '../../electron/core/secrets/vault';

/**
 * Issue 19 item 5: server mode and the desktop app share a data folder but not a cipher. Keys are
 * decrypted by the scheme they were stored with; the desktop app moves server-mode keys into the
 * keychain (never into an obfuscation-only store); a key that cannot be read says why and what to do.
 */

const adapters = allAdapters();
const fieldsOf = (owner: VaultOwner): readonly CredentialField[] =>
  owner === ASSET_HOST ? ASSET_HOST_FIELDS : (adapters.get(owner)?.describe().credentialFields ?? []);

/** A stand-in for safeStorage: reversible, and its output never contains the plain text. */
function keychain(backend: string, secure: boolean): Cipher {
  const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
  return {
    scheme: `safeStorage:${backend}`,
    secure,
    description: 'test keychain',
    encrypt: (plain) => Buffer.concat([Buffer.from('v11'), xor(Buffer.from(plain, 'utf8'))]),
    decrypt: (blob) => {
      if (blob.subarray(0, 3).toString() !== 'v11') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return xor(blob.subarray(3)).toString('utf8');
    },
  };
}

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-vault-schemes-'));
  db = openDatabase(path.join(dir, 'talkbatch.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEY = 'sk-sync-CANARY-2468ace0';
const serverVault = () => new Vault(db, fileKeyCipher(dir), fieldsOf, null, Date.now, () => null);
const desktopVault = (c: Cipher) => new Vault(db, c, fieldsOf, null, Date.now, (s) => (s === FILE_KEY_SCHEME ? existingFileKeyCipher(dir) : null));
const schemeOf = () => (db.prepare("SELECT scheme FROM credentials WHERE provider = 'sync'").get() as { scheme: string }).scheme;

describe('keys saved in server mode, read by the desktop app', () => {
  it('are decrypted by their stored scheme and moved into the keychain on first read', () => {
    serverVault().set('sync', 'Work', { apiKey: KEY });
    expect(schemeOf()).toBe(FILE_KEY_SCHEME);
    const desktop = desktopVault(keychain('gnome_libsecret', true));
    expect(desktop.resolve('sync')).toEqual({ apiKey: KEY });
    expect(schemeOf()).toBe('safeStorage:gnome_libsecret');
    expect(desktop.movedKeys).toBe(1);
    // Read again: now straight from the keychain.
    expect(desktop.resolve('sync')).toEqual({ apiKey: KEY });
    expect(desktop.movedKeys).toBe(1);
  });

  it('adoptReadableKeys() moves them all at start, and leaves what it cannot read', () => {
    serverVault().set('sync', 'Work', { apiKey: KEY });
    serverVault().set('creatify', 'Team', { apiId: 'id-1', apiKey: 'cf-CANARY-1357' });
    db.prepare("INSERT INTO credentials (id, provider, label, blob, scheme, hints, active, created_at) VALUES ('x', 'aisa', 'Odd', x'00', 'rot13-future', '{}', 1, 1)").run();
    const desktop = desktopVault(keychain('keychain_access', true));
    expect(desktop.adoptReadableKeys()).toBe(2);
    expect(desktop.resolve('creatify')).toEqual({ apiId: 'id-1', apiKey: 'cf-CANARY-1357' });
    expect(() => desktop.resolve('aisa')).toThrow('The aisa.one (Sora 2) key “Odd” was saved with "rot13-future", which this Talkbatch cannot read. Save the key again in Settings → Keys or set TALKBATCH_AISA_API_KEY.');
  });

  it('are not moved into an obfuscation-only store (Linux basic_text), but stay readable', () => {
    serverVault().set('sync', 'Work', { apiKey: KEY });
    const desktop = desktopVault(keychain('basic_text', false));
    expect(desktop.adoptReadableKeys()).toBe(0);
    expect(desktop.resolve('sync')).toEqual({ apiKey: KEY });
    expect(schemeOf()).toBe(FILE_KEY_SCHEME);
  });

  it('a key file that went missing: the error says so', () => {
    serverVault().set('sync', 'Work', { apiKey: KEY });
    rmSync(path.join(dir, 'vault.key'));
    const desktop = desktopVault(keychain('gnome_libsecret', true));
    expect(desktop.adoptReadableKeys()).toBe(0);
    expect(() => desktop.resolve('sync')).toThrow('The Sync.so key “Work” was saved by server mode with the data folder’s vault.key, which is missing. Save the key again in Settings → Keys or set TALKBATCH_SYNC_API_KEY.');
  });
});

describe('keys saved by the desktop app, read by server mode or the CLI', () => {
  it('fail with what to do, not with a decryption error', () => {
    desktopVault(keychain('gnome_libsecret', true)).set('sync', 'Work', { apiKey: KEY });
    let err: unknown;
    try {
      serverVault().resolve('sync');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('key_unreadable');
    expect((err as AppError).message).toBe(
      'The Sync.so key “Work” was saved by the desktop app in the system keychain, which server mode and the CLI cannot read. Save the key again in Settings → Keys or set TALKBATCH_SYNC_API_KEY.',
    );
  });

  it('any safeStorage backend is read by safeStorage (basic_text keys after a keyring appears)', () => {
    desktopVault(keychain('basic_text', false)).set('sync', 'Old', { apiKey: KEY });
    const upgraded = desktopVault(keychain('gnome_libsecret', true));
    expect(upgraded.resolve('sync')).toEqual({ apiKey: KEY });
    expect(schemeOf()).toBe('safeStorage:gnome_libsecret');
  });
});

describe('adapter session state across modes', () => {
  it('is read by its format; state the other mode wrote and this one cannot read is absent (log in again)', () => {
    serverVault().stateSet('oshara', 'token', 'tok-CANARY');
    expect(desktopVault(keychain('gnome_libsecret', true)).stateGet('oshara', 'token')).toBe('tok-CANARY');
    desktopVault(keychain('gnome_libsecret', true)).stateSet('oshara', 'token', 'tok-desktop');
    expect(serverVault().stateGet('oshara', 'token')).toBeUndefined();
    expect(desktopVault(keychain('gnome_libsecret', true)).stateGet('oshara', 'token')).toBe('tok-desktop');
  });
});
