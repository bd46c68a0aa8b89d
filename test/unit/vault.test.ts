import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialField } from '../../shared/provider-spec';
import { AppError } from '../../shared/result';
import { ASSET_HOST_FIELDS } from '../../electron/core/assets/asset-host';
import { openDatabase, type Db } from '../../electron/core/db/open';
import { allAdapters } from '../../electron/core/providers';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { ASSET_HOST, envNameFor, maskSecret, Vault, type VaultOwner } from '../../electron/core/secrets/vault';

const adapters = allAdapters();
const fieldsOf = (owner: VaultOwner): readonly CredentialField[] =>
  owner === ASSET_HOST ? ASSET_HOST_FIELDS : (adapters.get(owner)?.describe().credentialFields ?? []);

let dir: string;
let dbFile: string;
let db: Db;
let clock: number;
const SYNC_KEY = 'sk-sync-CANARY-7f3e9a1b2c4d';
const CREATIFY_KEY = 'cf-secret-CANARY-99887766';

function vault(env: NodeJS.ProcessEnv | null = null): Vault {
  return new Vault(db, fileKeyCipher(dir), fieldsOf, env, () => clock++);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-vault-'));
  dbFile = path.join(dir, 'talkbatch.db');
  db = openDatabase(dbFile);
  clock = 1000;
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Every byte SQLite wrote: the database, its WAL and shared-memory files. */
function dbBytes(): Buffer {
  return Buffer.concat(
    readdirSync(dir)
      .filter((f) => f.startsWith('talkbatch.db'))
      .map((f) => readFileSync(path.join(dir, f))),
  );
}

describe('Vault storage', () => {
  it('stores secrets encrypted: the database files never hold the plain key', () => {
    const v = vault();
    v.set('sync', 'Work', { apiKey: SYNC_KEY });
    v.set('creatify', 'Main', { apiId: 'creatify-id-123', apiKey: CREATIFY_KEY });
    v.stateSet('oshara', 'access', 'jwt-CANARY-access-token-abc');
    for (const canary of [SYNC_KEY, CREATIFY_KEY, 'jwt-CANARY-access-token-abc', 'CANARY']) {
      expect(dbBytes().includes(Buffer.from(canary)), `${canary} in the WAL or database`).toBe(false);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    for (const canary of [SYNC_KEY, CREATIFY_KEY, 'CANARY']) expect(dbBytes().includes(Buffer.from(canary))).toBe(false);
    // …yet it is all still there for the engine.
    db = openDatabase(dbFile);
    const again = vault();
    expect(again.resolve('sync')).toEqual({ apiKey: SYNC_KEY });
    expect(again.resolve('creatify')).toEqual({ apiId: 'creatify-id-123', apiKey: CREATIFY_KEY });
    expect(again.stateGet('oshara', 'access')).toBe('jwt-CANARY-access-token-abc');
  });

  it('shows only the last 4 characters of secrets, and non-secret fields as they are', () => {
    const v = vault();
    const saved = v.set('creatify', 'Main', { apiId: 'creatify-id-123', apiKey: `  ${CREATIFY_KEY}  ` });
    expect(saved.hints).toEqual({ apiId: 'creatify-id-123', apiKey: '••••7766' });
    expect(saved).toMatchObject({ provider: 'creatify', label: 'Main', active: true, source: 'vault' });
    expect(JSON.stringify(v.list())).not.toContain(CREATIFY_KEY);
    expect(JSON.stringify(v.list())).not.toContain('99887766');
    // Short secrets show nothing at all (4 of 6 characters would give most of it away).
    expect(maskSecret('abcdef')).toBe('••••');
    expect(maskSecret('abcdefgh')).toBe('••••efgh');
  });

  it('rejects missing required fields and unknown fields, naming them', () => {
    const v = vault();
    expect(() => v.set('sync', 'x', { apiKey: '   ' })).toThrow(AppError);
    const err = thrown(() => v.set('sync', 'x', {}));
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_credentials');
    expect((err as AppError).issues).toEqual([expect.objectContaining({ field: 'apiKey', message: 'is empty' })]);
    expect(() => v.set('sync', 'x', { apiKey: SYNC_KEY, password: 'p' })).toThrow(/Unknown credential field\(s\): password/);
    expect(v.list()).toEqual([]);
  });

  it('names the key "Default" when no label is given', () => {
    expect(vault().set('sync', '  ', { apiKey: SYNC_KEY }).label).toBe('Default');
  });
});

describe('Vault active keys', () => {
  it('makes the first key of a provider active, and keeps the active one when asked to', () => {
    const v = vault();
    const a = v.set('sync', 'A', { apiKey: 'sk-aaaaaaaa-1111' }, false);
    expect(a.active).toBe(true); // the first key is active whatever was asked
    const b = v.set('sync', 'B', { apiKey: 'sk-bbbbbbbb-2222' }, false);
    expect(b.active).toBe(false);
    expect(v.resolve('sync')).toEqual({ apiKey: 'sk-aaaaaaaa-1111' });
    const c = v.set('sync', 'C', { apiKey: 'sk-cccccccc-3333' });
    expect(c.active).toBe(true);
    expect(v.list().filter((k) => k.active).map((k) => k.label)).toEqual(['C']);
  });

  it('activate() switches the active key of that provider only', () => {
    const v = vault();
    const a = v.set('sync', 'A', { apiKey: 'sk-aaaaaaaa-1111' });
    v.set('sync', 'B', { apiKey: 'sk-bbbbbbbb-2222' });
    const t = v.set('techforge', 'T', { apiKey: 'tf-tttttttt-9999' });
    v.activate(a.id);
    expect(v.resolve('sync')).toEqual({ apiKey: 'sk-aaaaaaaa-1111' });
    expect(v.list().find((k) => k.id === t.id)?.active).toBe(true);
    expect(() => v.activate('no-such-id')).toThrow(/no longer exists/);
  });

  it('remove() of the active key activates the newest remaining one; the last removal leaves none', () => {
    const v = vault();
    const a = v.set('sync', 'A', { apiKey: 'sk-aaaaaaaa-1111' });
    const b = v.set('sync', 'B', { apiKey: 'sk-bbbbbbbb-2222' }, false);
    const c = v.set('sync', 'C', { apiKey: 'sk-cccccccc-3333' }, false);
    v.remove(a.id);
    expect(v.list().map((k) => [k.label, k.active])).toEqual([
      ['B', false],
      ['C', true],
    ]);
    v.remove(c.id);
    v.remove(b.id);
    expect(v.list()).toEqual([]);
    expect(v.configured('sync')).toBe(false);
    expect(v.resolve('sync')).toBeUndefined();
  });

  it('resolve() by id finds that key only for its own provider', () => {
    const v = vault();
    const a = v.set('sync', 'A', { apiKey: 'sk-aaaaaaaa-1111' });
    v.set('sync', 'B', { apiKey: 'sk-bbbbbbbb-2222' });
    expect(v.resolve('sync', a.id)).toEqual({ apiKey: 'sk-aaaaaaaa-1111' });
    expect(v.resolve('techforge', a.id)).toBeUndefined();
  });
});

describe('Vault environment credentials', () => {
  const env = {
    TALKBATCH_SYNC_API_KEY: 'sk-env-CANARY-5555aaaa',
    TALKBATCH_CREATIFY_API_ID: 'env-id',
    TALKBATCH_CREATIFY_API_KEY: 'cf-env-CANARY-6666bbbb',
    TALKBATCH_ASSET_HOST_SECRET_ACCESS_KEY: 's3-env-CANARY-7777cccc',
    TALKBATCH_ASSET_HOST_ACCESS_KEY_ID: 'AKIAENVCANARY8888',
  };

  it('derives variable names from field names', () => {
    expect(envNameFor('sync', 'apiKey')).toBe('TALKBATCH_SYNC_API_KEY');
    expect(envNameFor('creatify', 'apiId')).toBe('TALKBATCH_CREATIFY_API_ID');
    expect(envNameFor(ASSET_HOST, 'secretAccessKey')).toBe('TALKBATCH_ASSET_HOST_SECRET_ACCESS_KEY');
  });

  it('lists env keys masked, resolves them, and wins over the vault', () => {
    const v = vault(env);
    v.set('sync', 'Saved', { apiKey: SYNC_KEY });
    const list = v.list();
    expect(list.find((k) => k.id === 'env:sync')).toMatchObject({ source: 'env', active: true, hints: { apiKey: '••••aaaa' } });
    expect(list.find((k) => k.id === 'env:creatify')?.hints).toEqual({ apiId: 'env-id', apiKey: '••••bbbb' });
    expect(list.find((k) => k.id === 'env:assethost')?.hints).toEqual({ accessKeyId: '••••8888', secretAccessKey: '••••cccc' });
    for (const canary of Object.values(env).filter((s) => s.includes('CANARY'))) expect(JSON.stringify(list)).not.toContain(canary);
    expect(v.resolve('sync')).toEqual({ apiKey: env.TALKBATCH_SYNC_API_KEY });
    // The saved key is still reachable by its id.
    const saved = list.find((k) => k.source === 'vault')!;
    expect(v.resolve('sync', saved.id)).toEqual({ apiKey: SYNC_KEY });
    expect(v.configured('sync')).toBe(true);
    expect(v.configured('techforge')).toBe(false);
  });

  it('cannot remove env keys (they are unset in the environment)', () => {
    expect(() => vault(env).remove('env:sync')).toThrow(/environment variables/);
  });

  it('ignores the environment when env credentials are off (Electron)', () => {
    const v = vault(null);
    expect(v.list()).toEqual([]);
    expect(v.resolve('sync')).toBeUndefined();
  });
});

describe('Vault provider state', () => {
  it('keeps adapter session state encrypted, per provider and key, and deletes it', () => {
    const v = vault();
    v.stateSet('oshara', 'access', 'jwt-one-CANARY');
    v.stateSet('oshara', 'access', 'jwt-two-CANARY');
    v.stateSet('sync', 'access', 'other');
    expect(v.stateGet('oshara', 'access')).toBe('jwt-two-CANARY');
    expect(v.stateGet('sync', 'access')).toBe('other');
    const blobs = db.prepare('SELECT blob FROM provider_state').all() as { blob: Buffer }[];
    expect(blobs).toHaveLength(2);
    for (const b of blobs) expect(b.blob.includes(Buffer.from('CANARY'))).toBe(false);
    v.stateSet('oshara', 'access', undefined);
    expect(v.stateGet('oshara', 'access')).toBeUndefined();
    expect(v.stateGet('oshara', 'never')).toBeUndefined();
  });
});
