import type { EventName, EventPayload } from '../../../shared/contract';
import type { Money } from '../../../shared/model';
import type { ProviderId } from '../../../shared/providers';
import type { BatchRepo } from '../db/batches';
import type { JobInternal, JobRepo } from '../db/jobs';
import type { Library } from '../library/library';
import type { Logger } from '../log';
import { isProviderError, ProviderError } from '../providers/http';
import type { AdapterContext, AdapterJob, ProviderAdapter } from '../providers/types';
import { Notifications } from './notifications';
import { Pools } from './pools';
import { StorageGuard } from './storage-guard';
import { Tasks } from './tasks';

/**
 * What every stage of the queue is given: the repositories, the clock, the adapters, the pools and the
 * ways to tell the world. A stage is a plain module of functions over this context; none knows the
 * engine (engine.ts builds the context and runs the loop).
 */

/** What a provider's limits allow now: its concurrency cap, requests per minute, and whether jobs may start. */
export type ProviderLimits = Readonly<{ concurrency: number; rpm: number; ready: true } | { concurrency: number; rpm: number; ready: false; reason: string }>;

export type ContextFor = (
  provider: ProviderId,
  signal: AbortSignal,
  hooks?: Readonly<{ beforeSend?: (request: Readonly<{ method: string; url: string }>) => void }>,
) => AdapterContext;

export type StageContext = Readonly<{
  jobs: JobRepo;
  batches: BatchRepo;
  library: Library;
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  contextFor: ContextFor;
  limits: (provider: ProviderId) => ProviderLimits;
  queuePaused: () => boolean;
  stallMs: () => number;
  emit: <K extends EventName>(name: K, payload: EventPayload<K>) => void;
  log: Logger;
  now: () => number;
  rand: () => number;
  /** A wait chosen by the engine (poll gaps, backoffs), on the engine's time scale. */
  wait: (ms: number) => number;
  /** 1 in real use; >1 or <1 when the providers run on compressed time (tests, demos). */
  timeScale: number;
  /** Aborted when the process exits: every request stops at once. */
  signal: AbortSignal;
  pools: Pools;
  tasks: Tasks;
  notify: Notifications;
  storage: StorageGuard;
  downloads: Downloads;
}>;

/** The download slots (a few files at a time) and a way to stop each one (cancel, stop). */
export type Downloads = {
  readonly max: number;
  active: number;
  readonly aborts: Map<string, AbortController>;
  /** The library-folder problem last written to each job's timeline (written once, however often it is tried). */
  readonly told: Map<string, string>;
};

export type EngineDeps = Readonly<{
  jobs: JobRepo;
  batches: BatchRepo;
  library: Library;
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  contextFor: ContextFor;
  /** Concurrency cap, requests per minute, whether jobs may start (key present, provider enabled). */
  limits: (provider: ProviderId) => ProviderLimits;
  queuePaused: () => boolean;
  stallMs: () => number;
  emit: <K extends EventName>(name: K, payload: EventPayload<K>) => void;
  log: Logger;
  now?: () => number;
  rand?: () => number;
  maxDownloads?: number;
  /** Longest the loop sleeps with nothing due (it also wakes on every change). */
  idleMs?: number;
  /**
   * Multiplies every wait the engine chooses (poll gaps, backoffs). 1 in real use; demo mode and tests
   * run the provider fakes on compressed time and scale the engine's clock-based waits to match.
   */
  timeScale?: number;
  /** The data folder, to name it when it cannot be written (disk full, read-only). */
  dataDir?: string;
}>;

/** The context every stage is given, built once per engine from its dependencies. */
export function createStageContext(d: EngineDeps, signal: AbortSignal, wake: () => void): StageContext {
  const now = d.now ?? Date.now;
  const rand = d.rand ?? Math.random;
  const timeScale = d.timeScale ?? 1;
  const wait = (ms: number): number => (timeScale === 1 ? ms : Math.max(20, Math.round(ms * timeScale)));
  const storage = new StorageGuard({ dataDir: d.dataDir, log: d.log, emit: d.emit });
  return {
    jobs: d.jobs,
    batches: d.batches,
    library: d.library,
    adapters: d.adapters,
    contextFor: d.contextFor,
    limits: d.limits,
    queuePaused: d.queuePaused,
    stallMs: d.stallMs,
    emit: d.emit,
    log: d.log,
    now,
    rand,
    wait,
    timeScale,
    signal,
    pools: new Pools({ rpm: (p) => d.limits(p).rpm, now, rand, wait, log: d.log }),
    tasks: new Tasks({
      failed: (e) => {
        if (!storage.failed(e)) d.log.error('Engine task failed', { error: String((e as Error)?.stack ?? e) });
      },
      settled: wake,
    }),
    notify: new Notifications({ jobs: d.jobs, batches: d.batches, queuePaused: d.queuePaused, emit: d.emit }),
    storage,
    downloads: { max: d.maxDownloads ?? 3, active: 0, aborts: new Map(), told: new Map() },
  };
}

export function toAdapterJob(j: JobInternal): AdapterJob {
  return {
    id: j.id,
    idempotencyKey: j.idempotencyKey,
    attempt: j.attempt,
    input: j.input,
    providerJobId: j.providerJobId,
    providerState: j.providerState,
    submittedAt: j.submittedAt,
  };
}

export function asProviderError(e: unknown, name: string): ProviderError {
  if (isProviderError(e)) return e;
  // An unexpected exception inside an adapter may have happened after the request was sent:
  // treat it like a lost answer (reconcile first), never as "safe to send again".
  return new ProviderError('unknown_outcome', `Unexpected error talking to ${name}: ${(e as Error)?.message ?? String(e)}`, { code: 'adapter_error', cause: e });
}

export function fmtMoney(m: Money): string {
  return m.unit === 'USD' ? `$${m.amount.toFixed(2)}` : `${Math.round(m.amount * 100) / 100} credits`;
}
