import { randomUUID } from 'node:crypto';
import { CLOUD_PROVIDER_IDS, isProviderId, PROVIDER_NAMES, providerEnvPrefix, type ProviderId } from '../../../shared/providers';
import type { CredentialInfo } from '../../../shared/contract';
import type { CredentialField } from '../../../shared/provider-spec';
import { AppError } from '../../../shared/result';
import type { Db } from '../db/open';
import { FILE_KEY_SCHEME, type Cipher } from './cipher';

/**
 * The credential vault. Secrets are encrypted by the Cipher before they are written; the renderer,
 * logs and exports only ever see a CredentialSummary (label, configured, last 4 characters).
 */
export const ASSET_HOST = 'assethost';
export type VaultOwner = ProviderId | typeof ASSET_HOST;

/** What anyone outside the vault may know of a saved key (the contract's CredentialInfo). */
export type CredentialSummary = CredentialInfo;

export function maskSecret(value: string): string {
  return value.length >= 8 ? `••••${value.slice(-4)}` : '••••';
}

/** TALKBATCH_CREATIFY_API_ID for (creatify, apiId). */
export function envNameFor(owner: VaultOwner, field: string): string {
  const prefix = owner === ASSET_HOST ? 'TALKBATCH_ASSET_HOST' : providerEnvPrefix(owner);
  return `${prefix}_${field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/**
 * Who can read a stored scheme: every safeStorage backend ("safeStorage:gnome_libsecret",
 * "safeStorage:basic_text", …) is read by safeStorage.decryptString; the key-file scheme by vault.key.
 */
export function schemeFamily(scheme: string): string {
  return scheme.startsWith('safeStorage:') ? 'safeStorage' : scheme;
}

type StoredKey = Readonly<{ id: string; provider: string; label: string; blob: Buffer; scheme: string }>;

export class Vault {
  private moved = 0;
  private readonly readers = new Map<string, Cipher | null>();

  constructor(
    private readonly db: Db,
    readonly cipher: Cipher,
    private readonly fieldsOf: (owner: VaultOwner) => readonly CredentialField[],
    private readonly env: NodeJS.ProcessEnv | null,
    private readonly now: () => number = Date.now,
    /** A cipher for a stored scheme other than this.cipher's (the desktop app reading server-mode keys), or null. */
    private readonly readerFor: (scheme: string) => Cipher | null = () => null,
  ) {}

  /** Keys saved under another scheme that were moved into this cipher in this run (Settings says so). */
  get movedKeys(): number {
    return this.moved;
  }

  /**
   * Moves every saved key this process can read but that is stored under another scheme (server mode's
   * key file, or safeStorage's obfuscation-only basic_text) into this cipher — only when this cipher
   * is a real keychain: moving a key from a 0600 key file to an obfuscated blob would be a downgrade.
   * Returns how many moved; a key that cannot be read stays as it is (resolve() explains why).
   */
  adoptReadableKeys(): number {
    if (!this.cipher.secure) return 0;
    const rows = this.db.prepare('SELECT id, provider, label, blob, scheme FROM credentials WHERE scheme != ?').all(this.cipher.scheme) as StoredKey[];
    let n = 0;
    for (const row of rows) {
      let plain: string;
      try {
        plain = this.open(row);
      } catch {
        continue;
      }
      this.reseal(row, plain);
      n++;
    }
    return n;
  }

  list(): CredentialSummary[] {
    const rows = this.db.prepare('SELECT id, provider, label, hints, active, created_at FROM credentials ORDER BY provider, created_at').all() as {
      id: string;
      provider: string;
      label: string;
      hints: string;
      active: number;
      created_at: number;
    }[];
    const out: CredentialSummary[] = rows.map((r) => ({
      id: r.id,
      provider: r.provider as VaultOwner,
      label: r.label,
      active: r.active === 1,
      source: 'vault',
      hints: JSON.parse(r.hints) as Record<string, string>,
      createdAt: r.created_at,
    }));
    for (const owner of [...CLOUD_PROVIDER_IDS, ASSET_HOST] as VaultOwner[]) {
      const fromEnv = this.fromEnv(owner);
      if (!fromEnv) continue;
      out.push({
        id: `env:${owner}`,
        provider: owner,
        label: 'Environment variables',
        active: true,
        source: 'env',
        hints: this.hintsOf(owner, fromEnv),
        createdAt: 0,
      });
    }
    return out;
  }

  /** Saves a named key; the first key of a provider becomes its active one. */
  set(owner: VaultOwner, label: string, values: Readonly<Record<string, string>>, makeActive = true): CredentialSummary {
    const fields = this.fieldsOf(owner);
    const clean: Record<string, string> = {};
    for (const f of fields) {
      const v = values[f.key]?.trim();
      if (v) clean[f.key] = v;
      else if (!f.optional) throw new AppError('invalid_credentials', `${f.label} is required`, [{ field: f.key, message: 'is empty', accepted: `your ${f.label}` }]);
    }
    const unknown = Object.keys(values).filter((k) => !fields.some((f) => f.key === k));
    if (unknown.length) throw new AppError('invalid_credentials', `Unknown credential field(s): ${unknown.join(', ')}`);
    if (!Object.keys(clean).length) throw new AppError('invalid_credentials', 'Enter at least one credential field');
    const id = randomUUID();
    const hints = this.hintsOf(owner, clean);
    const name = label.trim() || 'Default';
    this.db.transaction(() => {
      const has = this.db.prepare('SELECT count(*) AS n FROM credentials WHERE provider = ?').get(owner) as { n: number };
      const active = makeActive || has.n === 0;
      if (active) this.db.prepare('UPDATE credentials SET active = 0 WHERE provider = ?').run(owner);
      this.db
        .prepare('INSERT INTO credentials (id, provider, label, blob, scheme, hints, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, owner, name, this.cipher.encrypt(JSON.stringify(clean)), this.cipher.scheme, JSON.stringify(hints), active ? 1 : 0, this.now());
    })();
    return this.list().find((c) => c.id === id)!;
  }

  activate(id: string): void {
    const row = this.db.prepare('SELECT provider FROM credentials WHERE id = ?').get(id) as { provider: string } | undefined;
    if (!row) throw new AppError('not_found', 'That key no longer exists');
    this.db.transaction(() => {
      this.db.prepare('UPDATE credentials SET active = 0 WHERE provider = ?').run(row.provider);
      this.db.prepare('UPDATE credentials SET active = 1 WHERE id = ?').run(id);
    })();
  }

  remove(id: string): void {
    if (id.startsWith('env:')) throw new AppError('env_credentials', 'This key comes from environment variables; unset them to remove it');
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT provider, active FROM credentials WHERE id = ?').get(id) as { provider: string; active: number } | undefined;
      this.db.prepare('DELETE FROM credentials WHERE id = ?').run(id);
      if (row?.active) {
        this.db
          .prepare('UPDATE credentials SET active = 1 WHERE id = (SELECT id FROM credentials WHERE provider = ? ORDER BY created_at DESC LIMIT 1)')
          .run(row.provider);
      }
    })();
  }

  /** Decrypted fields for the engine (never for the renderer). Env variables win in server/CLI mode. */
  resolve(owner: VaultOwner, credentialId?: string): Readonly<Record<string, string>> | undefined {
    if (!credentialId || credentialId === `env:${owner}`) {
      const env = this.fromEnv(owner);
      if (env) return env;
    }
    const row = (
      credentialId
        ? this.db.prepare('SELECT id, provider, label, blob, scheme FROM credentials WHERE id = ? AND provider = ?').get(credentialId, owner)
        : this.db.prepare('SELECT id, provider, label, blob, scheme FROM credentials WHERE provider = ? AND active = 1').get(owner)
    ) as StoredKey | undefined;
    if (!row) return undefined;
    const plain = this.open(row);
    if (row.scheme !== this.cipher.scheme && this.cipher.secure) this.reseal(row, plain);
    return JSON.parse(plain) as Record<string, string>;
  }

  /** Decrypts a saved key by the scheme it was stored with, or says plainly why it cannot be read here. */
  private open(row: StoredKey): string {
    if (schemeFamily(row.scheme) === schemeFamily(this.cipher.scheme)) return this.cipher.decrypt(row.blob);
    const reader = this.reader(row.scheme);
    if (reader) return reader.decrypt(row.blob);
    throw new AppError('key_unreadable', this.unreadableMessage(row));
  }

  /**
   * Why the key the engine would use for `owner` cannot be read in this mode (a desktop-app key in server
   * mode), or null. The engine holds that provider's jobs with this reason instead of sending them.
   */
  unreadableReason(owner: VaultOwner): string | null {
    if (this.fromEnv(owner)) return null;
    const row = this.db.prepare('SELECT id, provider, label, blob, scheme FROM credentials WHERE provider = ? AND active = 1').get(owner) as StoredKey | undefined;
    if (!row || schemeFamily(row.scheme) === schemeFamily(this.cipher.scheme) || this.reader(row.scheme)) return null;
    return this.unreadableMessage(row);
  }

  /** The reader for a stored scheme, looked up once (the key file does not change while we run). */
  private reader(scheme: string): Cipher | null {
    if (!this.readers.has(scheme)) this.readers.set(scheme, this.readerFor(scheme));
    return this.readers.get(scheme) ?? null;
  }

  private unreadableMessage(row: StoredKey): string {
    const owner = row.provider as VaultOwner;
    const name = owner === ASSET_HOST ? 'asset host' : isProviderId(owner) ? PROVIDER_NAMES[owner] : owner;
    const env = this.fieldsOf(owner)
      .filter((f) => !f.optional)
      .map((f) => envNameFor(owner, f.key))
      .join(' + ');
    const why =
      schemeFamily(row.scheme) === 'safeStorage'
        ? 'was saved by the desktop app in the system keychain, which server mode and the CLI cannot read'
        : row.scheme === FILE_KEY_SCHEME
          ? 'was saved by server mode with the data folder’s vault.key, which is missing'
          : `was saved with "${row.scheme}", which this Talkbatch cannot read`;
    return `The ${name} key “${row.label}” ${why}. Save the key again in Settings → Keys${env ? ` or set ${env}` : ''}.`;
  }

  private reseal(row: StoredKey, plain: string): void {
    this.db.prepare('UPDATE credentials SET blob = ?, scheme = ? WHERE id = ?').run(this.cipher.encrypt(plain), this.cipher.scheme, row.id);
    this.moved++;
  }

  configured(owner: VaultOwner): boolean {
    if (this.fromEnv(owner)) return true;
    return !!this.db.prepare('SELECT 1 FROM credentials WHERE provider = ? AND active = 1').get(owner);
  }

  /** Encrypted adapter session state (tokens). */
  stateGet(provider: ProviderId, key: string): string | undefined {
    const r = this.db.prepare('SELECT blob FROM provider_state WHERE provider = ? AND key = ?').get(provider, key) as { blob: Buffer } | undefined;
    if (!r) return undefined;
    // provider_state has no scheme column: the key-file format announces itself ("TB1"). Session state
    // (tokens) that the other mode wrote and this one cannot read is simply absent: the adapter logs in again.
    const fileFormat = r.blob.subarray(0, 3).toString('latin1') === 'TB1';
    const reader = fileFormat === (this.cipher.scheme === FILE_KEY_SCHEME) ? this.cipher : fileFormat ? this.reader(FILE_KEY_SCHEME) : null;
    return reader ? reader.decrypt(r.blob) : undefined;
  }

  stateSet(provider: ProviderId, key: string, value: string | undefined): void {
    if (value === undefined) this.db.prepare('DELETE FROM provider_state WHERE provider = ? AND key = ?').run(provider, key);
    else
      this.db
        .prepare('INSERT INTO provider_state (provider, key, blob) VALUES (?, ?, ?) ON CONFLICT(provider, key) DO UPDATE SET blob = excluded.blob')
        .run(provider, key, this.cipher.encrypt(value));
  }

  private fromEnv(owner: VaultOwner): Record<string, string> | undefined {
    if (!this.env) return undefined;
    const out: Record<string, string> = {};
    for (const f of this.fieldsOf(owner)) {
      const v = this.env[envNameFor(owner, f.key)];
      if (v) out[f.key] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }

  private hintsOf(owner: VaultOwner, values: Readonly<Record<string, string>>): Record<string, string> {
    const hints: Record<string, string> = {};
    for (const f of this.fieldsOf(owner)) {
      const v = values[f.key];
      if (v) hints[f.key] = f.secret ? maskSecret(v) : v;
    }
    return hints;
  }
}

export function isVaultOwner(v: unknown): v is VaultOwner {
  return v === ASSET_HOST || isProviderId(v);
}
