import { randomUUID } from 'node:crypto';
import { CLOUD_PROVIDER_IDS, isProviderId, providerEnvPrefix, type ProviderId } from '../../../shared/providers';
import type { CredentialInfo } from '../../../shared/contract';
import type { CredentialField } from '../../../shared/provider-spec';
import { AppError } from '../../../shared/result';
import type { Db } from '../db/open';
import type { Cipher } from './cipher';

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

export class Vault {
  constructor(
    private readonly db: Db,
    readonly cipher: Cipher,
    private readonly fieldsOf: (owner: VaultOwner) => readonly CredentialField[],
    private readonly env: NodeJS.ProcessEnv | null,
    private readonly now: () => number = Date.now,
  ) {}

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
        ? this.db.prepare('SELECT blob FROM credentials WHERE id = ? AND provider = ?').get(credentialId, owner)
        : this.db.prepare('SELECT blob FROM credentials WHERE provider = ? AND active = 1').get(owner)
    ) as { blob: Buffer } | undefined;
    if (!row) return undefined;
    return JSON.parse(this.cipher.decrypt(row.blob)) as Record<string, string>;
  }

  configured(owner: VaultOwner): boolean {
    if (this.fromEnv(owner)) return true;
    return !!this.db.prepare('SELECT 1 FROM credentials WHERE provider = ? AND active = 1').get(owner);
  }

  /** Encrypted adapter session state (tokens). */
  stateGet(provider: ProviderId, key: string): string | undefined {
    const r = this.db.prepare('SELECT blob FROM provider_state WHERE provider = ? AND key = ?').get(provider, key) as { blob: Buffer } | undefined;
    return r ? this.cipher.decrypt(r.blob) : undefined;
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
