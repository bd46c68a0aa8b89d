import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EventName, EventPayload } from '../../shared/contract';
import { providerOff, type CredentialField } from '../../shared/provider-spec';
import { PROVIDER_NAMES, providerEnvPrefix, type ProviderId } from '../../shared/providers';
import type { Settings } from '../../shared/settings';
import { Admission } from './admission';
import { ASSET_HOST_FIELDS, AssetHost } from './assets/asset-host';
import { AssetStore } from './assets/store';
import { acquireLock, dataPaths, ensureDataDirs, type DataPaths } from './data-dir';
import { AssetRepo } from './db/assets';
import { BatchRepo } from './db/batches';
import { JobRepo } from './db/jobs';
import { openDatabase, type Db } from './db/open';
import { OutputRepo } from './db/outputs';
import { SettingsRepo } from './db/settings';
import { Library } from './library/library';
import { Logger } from './log';
import { allAdapters, DEFAULT_RPM } from './providers';
import { HttpClient } from './providers/http';
import type { AdapterContext, AssetAccess, ProviderAdapter } from './providers/types';
import { QueueControl } from './queue-control';
import { Engine } from './queue/engine';
import { existingFileKeyCipher, FILE_KEY_SCHEME, type Cipher } from './secrets/cipher';
import { ASSET_HOST, Vault, type VaultOwner } from './secrets/vault';
import { SettingsService } from './settings';
import { bestEffortWrite } from './storage';

/**
 * Everything that is not Electron, wired once: it runs the same inside Electron, in server mode and
 * in the CLI. Services get their dependencies as plain objects (DESIGN.md rule 4).
 */
export type CoreOptions = Readonly<{
  dataDir: string;
  mode: 'electron' | 'server' | 'cli';
  cipher: (paths: DataPaths) => Cipher;
  /** Environment for credentials and base URLs (server/CLI); null in Electron for credentials. */
  env: NodeJS.ProcessEnv;
  credentialsFromEnv: boolean;
  adapters?: ReadonlyMap<ProviderId, ProviderAdapter>;
  /** Print log lines to stderr too. */
  echoLog?: boolean;
  /** Engine timing overrides (tests). */
  engine?: Readonly<{ idleMs?: number; maxDownloads?: number; now?: () => number; timeScale?: number }>;
  /** Do not take the data-dir lock (read-only CLI commands never run the queue). */
  noLock?: boolean;
  /** The better-sqlite3 binding to load instead of node_modules' (Electron: see db/native-binding.ts). */
  nativeBinding?: string;
}>;

export type Core = Readonly<{
  paths: DataPaths;
  db: Db;
  jobs: JobRepo;
  batches: BatchRepo;
  outputs: OutputRepo;
  assets: AssetStore;
  vault: Vault;
  settings: SettingsService;
  library: Library;
  engine: Engine;
  admission: Admission;
  queue: QueueControl;
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  assetHost: AssetHost;
  log: Logger;
  events: CoreEvents;
  contextFor: (provider: ProviderId, signal?: AbortSignal, hooks?: ContextHooks) => AdapterContext;
  baseUrlOf: (provider: ProviderId) => string;
  concurrencyOf: (provider: ProviderId) => number;
  providerBlocked: (provider: ProviderId) => string | null;
  setLockUrl: (url: string) => void;
  close: () => Promise<void>;
}>;

/** What the engine hears from an adapter's requests (see HttpClientOptions.beforeSend). */
export type ContextHooks = Readonly<{ beforeSend?: (request: Readonly<{ method: string; url: string }>) => void }>;

/** Typed event bus for pushed events (transports subscribe and forward). */
export class CoreEvents {
  private readonly ee = new EventEmitter();

  constructor() {
    this.ee.setMaxListeners(100);
  }

  emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    this.ee.emit('event', name, payload);
  }

  on(listener: (name: EventName, payload: unknown) => void): () => void {
    this.ee.on('event', listener);
    return () => this.ee.off('event', listener);
  }
}

export function openCore(o: CoreOptions): Core {
  const paths = dataPaths(path.resolve(o.dataDir));
  ensureDataDirs(paths);
  const lock = o.noLock ? null : acquireLock(paths.lock, { mode: o.mode });
  try {
    return build(o, paths, lock);
  } catch (e) {
    lock?.release();
    throw e;
  }
}

function build(o: CoreOptions, paths: DataPaths, lock: ReturnType<typeof acquireLock> | null): Core {
  const log = new Logger(path.join(paths.logs, 'talkbatch.log'), o.echoLog ?? false);
  const db = openDatabase(paths.db, o.nativeBinding);
  const events = new CoreEvents();
  const jobs = new JobRepo(db);
  const batches = new BatchRepo(db);
  const outputs = new OutputRepo(db);
  const assetRepo = new AssetRepo(db);
  const settings = new SettingsService(new SettingsRepo(db), (s) => events.emit('settings:changed', s));
  const adapters = o.adapters ?? allAdapters();
  const fieldsOf = (owner: VaultOwner): readonly CredentialField[] =>
    owner === ASSET_HOST ? ASSET_HOST_FIELDS : (adapters.get(owner)?.describe().credentialFields ?? []);
  // Keys are decrypted by the scheme they were stored with: the desktop app reads keys that server mode
  // saved with vault.key (same data folder), and moves them into the keychain (Settings says so).
  const readerFor = (scheme: string): Cipher | null => (scheme === FILE_KEY_SCHEME ? existingFileKeyCipher(paths.root) : null);
  const vault = new Vault(db, o.cipher(paths), fieldsOf, o.credentialsFromEnv ? o.env : null, Date.now, readerFor);
  if (o.mode === 'electron') {
    const moved = vault.adoptReadableKeys();
    if (moved) log.info('Moved saved keys into the system keychain', { keys: moved });
  }
  const assets = new AssetStore(paths.assets, assetRepo);
  const assetHost = new AssetHost(() => settings.get(), vault, assetRepo, assets);
  const library = new Library({
    jobs,
    batches,
    outputs,
    dir: () => settings.get().libraryDir ?? paths.library,
    template: () => settings.get().fileNameTemplate,
  });

  const baseUrlOf = (p: ProviderId): string =>
    settings.get().baseUrls[p] ?? o.env[`${providerEnvPrefix(p)}_BASE_URL`] ?? adapters.get(p)?.describe().defaultBaseUrl ?? '';
  const concurrencyOf = (p: ProviderId): number => settings.get().concurrency[p] ?? adapters.get(p)?.describe().concurrencyDefault ?? 1;
  const needsKey = (p: ProviderId) => (adapters.get(p)?.describe().credentialFields.length ?? 0) > 0;
  const providerBlocked = (p: ProviderId): string | null => {
    const spec = adapters.get(p)?.describe();
    return spec ? providerOff(spec, settings.get()) : null;
  };

  // Adapter bookkeeping (session tokens, reconcile hints, upload memos) that a full disk could not take:
  // kept in memory for this run, so an adapter never fails a paid create because a note was not saved.
  const unsaved = new Map<string, string | undefined>();
  const skipped = (what: string) => (e: Error) => log.warn(`Could not save ${what}; kept in memory for this run`, { error: e.message });
  const contextFor = (provider: ProviderId, signal?: AbortSignal, hooks?: ContextHooks): AdapterContext => {
    const creds = vault.resolve(provider) ?? {};
    for (const v of Object.values(creds)) log.addSecret(v);
    const workDir = path.join(paths.work, provider);
    mkdirSync(workDir, { recursive: true });
    const assetAccess: AssetAccess = {
      info: (id) => assets.info(id),
      path: (id) => assets.pathOf(id),
      blob: (id) => assets.blob(id),
      publicUrl: (id) => assetHost.publicUrl(id, PROVIDER_NAMES[provider]),
      remembered: (key) => (unsaved.has(`upload:${provider}:${key}`) ? unsaved.get(`upload:${provider}:${key}`) : (assetRepo.upload(key, provider) ?? undefined)),
      remember: (key, value) => {
        if (bestEffortWrite(() => assetRepo.rememberUpload(key, provider, value), skipped('an upload memo'))) unsaved.delete(`upload:${provider}:${key}`);
        else unsaved.set(`upload:${provider}:${key}`, value);
      },
    };
    return {
      baseUrl: baseUrlOf(provider),
      credentials: creds,
      http: new HttpClient({
        baseUrl: baseUrlOf(provider),
        defaultTimeoutMs: 60_000,
        ...(signal ? { signal } : {}),
        ...(hooks?.beforeSend ? { beforeSend: hooks.beforeSend } : {}),
        onRequest: (e) => log.debug('http', { provider, ...e }),
      }),
      assets: assetAccess,
      state: {
        get: (k) => (unsaved.has(`state:${provider}:${k}`) ? unsaved.get(`state:${provider}:${k}`) : vault.stateGet(provider, k)),
        set: (k, v) => {
          if (bestEffortWrite(() => vault.stateSet(provider, k, v), skipped(`${PROVIDER_NAMES[provider]} session state`))) unsaved.delete(`state:${provider}:${k}`);
          else unsaved.set(`state:${provider}:${k}`, v);
        },
      },
      log: (level, message, data) => log.log(level, `[${provider}] ${message}`, data),
      now: Date.now,
      signal: signal ?? new AbortController().signal,
      workDir,
    };
  };

  const engine = new Engine({
    jobs,
    batches,
    library,
    adapters,
    contextFor: (p, signal, hooks) => contextFor(p, signal, hooks),
    limits: (p) => {
      const concurrency = concurrencyOf(p);
      const rpm = settings.get().rateLimits[p] ?? DEFAULT_RPM[p];
      const blocked = providerBlocked(p);
      if (blocked) return { concurrency, rpm, ready: false, reason: blocked };
      if (needsKey(p) && !vault.configured(p)) {
        return { concurrency, rpm, ready: false, reason: `Jobs for ${PROVIDER_NAMES[p]} are waiting for an API key: add one in Settings → Keys.` };
      }
      // A key this mode cannot read (saved by the desktop app into the keychain): hold the jobs with the reason.
      const unreadable = needsKey(p) ? vault.unreadableReason(p) : null;
      if (unreadable) return { concurrency, rpm, ready: false, reason: `Jobs for ${PROVIDER_NAMES[p]} are waiting: ${unreadable}` };
      return { concurrency, rpm, ready: true };
    },
    queuePaused: () => settings.get().queuePaused,
    stallMs: () => settings.get().stallMinutes * 60_000,
    emit: (name, payload) => events.emit(name, payload),
    log,
    dataDir: paths.root,
    ...(o.engine?.idleMs !== undefined ? { idleMs: o.engine.idleMs } : {}),
    ...(o.engine?.maxDownloads !== undefined ? { maxDownloads: o.engine.maxDownloads } : {}),
    ...(o.engine?.now ? { now: o.engine.now } : {}),
    ...(o.engine?.timeScale !== undefined ? { timeScale: o.engine.timeScale } : {}),
  });
  const admission = new Admission({ adapters, assets, jobs, outputs, providerBlocked });
  const queue = new QueueControl({
    jobs,
    engine,
    settings,
    emit: (name, payload) => events.emit(name, payload),
    providerSwitches: [...adapters.values()].flatMap((a) => a.describe().enabledBy?.setting ?? []),
  });

  let closed = false;
  return {
    paths,
    db,
    jobs,
    batches,
    outputs,
    assets,
    vault,
    settings,
    library,
    engine,
    admission,
    queue,
    adapters,
    assetHost,
    log,
    events,
    contextFor,
    baseUrlOf,
    concurrencyOf,
    providerBlocked,
    setLockUrl: (url) => lock?.update(url),
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.stop();
      db.close();
      lock?.release();
    },
  };
}

export type { Settings };
