import type { EventName, EventPayload, JobAction } from '../../../shared/contract';
import { whyNot } from '../../../shared/actions';
import type { JobStatus } from '../../../shared/lifecycle';
import type { Money } from '../../../shared/model';
import type { ProviderId } from '../../../shared/providers';
import { PROVIDER_NAMES } from '../../../shared/providers';
import type { BatchRepo } from '../db/batches';
import { idempotencyKeyFor, publicJob, type JobInternal, type JobPatch, type JobRepo } from '../db/jobs';
import type { Library } from '../library/library';
import type { Logger } from '../log';
import { isProviderError, ProviderError } from '../providers/http';
import type { AdapterContext, AdapterJob, PollResult, ProviderAdapter } from '../providers/types';
import { asStorageError, StorageError } from '../storage';
import { backoffMs, clamp, firstPollDelayMs, isStalled, nextPollDelayMs } from './policy';

/**
 * The queue engine: one scheduler loop driven by each job's next-action time (an index in SQLite,
 * no timer per job), per-provider pools (concurrency, request spacing, backoff), and the stages
 * submit → poll → download, each of which survives a crash. See docs/decisions/0001-two-phase-submit.md.
 *
 * Money rules, in order of importance:
 *  1. A job is written `submitting` (with its idempotency key) before the create request is sent;
 *     the provider id is written the moment it arrives.
 *  2. A create whose outcome is unknown is never sent again blindly: `submit_unknown` → reconcile.
 *  3. A finished render whose download fails is downloaded again, never rendered again.
 */

export type EngineDeps = Readonly<{
  jobs: JobRepo;
  batches: BatchRepo;
  library: Library;
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  contextFor: (provider: ProviderId, signal: AbortSignal, hooks?: Readonly<{ beforeSend?: (request: Readonly<{ method: string; url: string }>) => void }>) => AdapterContext;
  /** Concurrency cap, requests per minute, whether jobs may start (key present, provider enabled). */
  limits: (provider: ProviderId) => Readonly<{ concurrency: number; rpm: number; ready: true } | { concurrency: number; rpm: number; ready: false; reason: string }>;
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

type Pool = {
  backoffUntil: number;
  nextRequestAt: number;
  /** After a provider's concurrency 429: a lower cap until `until`. */
  reducedCap: { cap: number; until: number } | null;
  inflightSubmits: number;
  heldNotice: string | null;
};

const MAX_SUBMIT_TRIES = 12;
/** The timeline mark of a create request that left this machine (see submit). */
const REQUEST_SENT = 'request_sent';
const MAX_DOWNLOAD_TRIES = 15;
const MAX_RECONCILE_TRIES = 6;
const POLL_CHUNK = 50;

export class Engine {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private ticking = false;
  private tickAgain = false;
  private readonly abort = new AbortController();
  private readonly pools = new Map<ProviderId, Pool>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly downloadAborts = new Map<string, AbortController>();
  private downloadsActive = 0;
  private readonly changedJobs = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly changedBatches = new Set<string>();
  private summaryTimer: NodeJS.Timeout | null = null;
  private lastSummaryAt = 0;
  private readonly finishedNotified = new Map<string, string>();
  private readonly budgetNotified = new Set<string>();
  private readonly now: () => number;
  private readonly rand: () => number;
  /** Jobs a task of this run is working on right now (submit, poll, reconcile, download). */
  private readonly busy = new Set<string>();
  /**
   * Writes that failed because the data folder could not be written (disk full…), kept to be done once it
   * can: above all a provider's answer to a create (its job id), which must never be forgotten.
   */
  private readonly pendingWrites = new Map<string, () => void>();
  /** A write failed for lack of storage: jobs may be left claimed with no task, to be picked up again. */
  private needsHeal = false;
  private storageNotice: { text: string; at: number } | null = null;

  constructor(private readonly d: EngineDeps) {
    this.now = d.now ?? Date.now;
    this.rand = d.rand ?? Math.random;
  }

  /** A wait chosen by the engine, on the engine's time scale. */
  private wait(ms: number): number {
    const k = this.d.timeScale ?? 1;
    return k === 1 ? ms : Math.max(20, Math.round(ms * k));
  }

  /** Recovery after any stop (crash included), then the loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.recover();
    this.wake();
  }

  /** Stops the loop and waits for requests in flight (their results are still recorded). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const a of this.downloadAborts.values()) a.abort();
    await Promise.allSettled([...this.inflight]);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flush();
    this.flushSummaries();
  }

  /** Aborts everything at once (process exit). */
  kill(): void {
    this.running = false;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  get idle(): boolean {
    return this.inflight.size === 0;
  }

  /** Re-evaluates what is due now (called after every change from outside). */
  wake(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  // ---------------------------------------------------------------- recovery

  private recover(): void {
    const now = this.now();
    const { jobs } = this.d;
    // A job caught between "request sent" and "id recorded": the provider may have it. One whose
    // request never left (stopped while preparing or uploading its inputs) is simply sent again.
    for (const j of jobs.list({ statuses: ['submitting'] })) {
      this.interrupted(j, now, 'Talkbatch stopped while this job was being sent.');
      this.markChanged(j.id);
    }
    // Renders go on at the provider while we are away: resume polling by provider id.
    for (const status of ['running', 'downloading', 'queued'] as const) {
      for (const j of jobs.list({ statuses: [status] })) {
        if (j.nextActionAt === null) jobs.setNextAction([j.id], now);
      }
    }
    // A reconcile in flight when Talkbatch stopped left its job claimed (no next action) but undecided:
    // check again. Only jobs whose last word was "your decision" keep waiting for the user.
    for (const j of jobs.list({ statuses: ['submit_unknown'] })) {
      if (j.nextActionAt !== null) continue;
      const last = jobs.events(j.id).at(-1)?.errorCode;
      if (last === 'reconcile_unknown' || last === 'reconcile_failed') continue;
      jobs.setNextAction([j.id], now);
      this.markChanged(j.id);
    }
    const downloading = new Set(jobs.list({ statuses: ['downloading'] }).map((j) => j.id));
    const removed = this.d.library.cleanPartials(downloading);
    if (removed) this.d.log.info('Removed partial downloads left by an earlier run', { removed });
  }

  /** A job left `submitting` with no task: sent again if its request never left, else checked first. */
  private interrupted(j: JobInternal, now: number, why: string): void {
    const events = this.d.jobs.events(j.id);
    const since = events.findLastIndex((e) => e.toStatus === 'submitting');
    const sent = events.slice(since + 1).some((e) => e.errorCode === REQUEST_SENT);
    if (sent) {
      this.d.jobs.transition(j.id, 'submit_unknown', { nextActionAt: now }, { message: `${why} Checking with the provider before anything is sent again.` });
    } else {
      this.d.jobs.transition(j.id, 'queued', { nextActionAt: now }, { message: `${why} Its request had not been sent yet, so it is simply sent now.` });
    }
  }

  // ---------------------------------------------------------------- loop

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      const now = this.now();
      if (this.needsHeal && !this.heal(now)) {
        // Still cannot write: look again in a moment, and do nothing that would need a write meanwhile.
        this.timer = setTimeout(() => this.tick(), this.wait(2_000));
        return;
      }
      this.startPolls(now);
      this.startReconciles(now);
      this.startDownloads(now);
      this.startSubmits(now);
      this.scheduleNext(now);
    } catch (e) {
      if (!this.storageFailed(e)) this.d.log.error('Scheduler tick failed', { error: String((e as Error)?.stack ?? e) });
      this.timer = setTimeout(() => this.tick(), 1000);
    } finally {
      this.ticking = false;
      if (this.tickAgain) {
        this.tickAgain = false;
        this.wake();
      }
    }
  }

  private scheduleNext(now: number): void {
    const { jobs } = this.d;
    const candidates: (number | null)[] = [jobs.nextDueAt('submit_unknown')];
    // Polls wait for their provider's next free request slot as well as for their own time.
    for (const [provider] of this.d.adapters) {
      const t = jobs.nextDueAt('running', provider);
      if (t !== null) {
        const pool = this.pool(provider);
        candidates.push(Math.max(t, pool.nextRequestAt, pool.backoffUntil));
      }
    }
    if (this.downloadsActive < this.maxDownloads) candidates.push(jobs.nextDueAt('downloading'));
    if (!this.d.queuePaused()) {
      const active = jobs.activeByProvider();
      for (const [provider] of this.d.adapters) {
        const lim = this.d.limits(provider);
        if (!lim.ready) continue;
        const pool = this.pool(provider);
        if ((active.get(provider) ?? 0) + pool.inflightSubmits >= this.capOf(provider, lim.concurrency, now)) continue;
        const t = jobs.nextDueAt('queued', provider);
        if (t !== null) candidates.push(Math.max(t, pool.backoffUntil, pool.nextRequestAt));
      }
    }
    const next = candidates.filter((t): t is number => t !== null).reduce((a, b) => Math.min(a, b), Infinity);
    const idle = this.d.idleMs ?? 30_000;
    const delay = next === Infinity ? idle : clamp(next - now, 0, idle);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private get maxDownloads(): number {
    return this.d.maxDownloads ?? 3;
  }

  private pool(provider: ProviderId): Pool {
    let p = this.pools.get(provider);
    if (!p) {
      p = { backoffUntil: 0, nextRequestAt: 0, reducedCap: null, inflightSubmits: 0, heldNotice: null };
      this.pools.set(provider, p);
    }
    return p;
  }

  private capOf(provider: ProviderId, configured: number, now: number): number {
    const p = this.pool(provider);
    if (p.reducedCap && p.reducedCap.until > now) return Math.min(configured, p.reducedCap.cap);
    p.reducedCap = null;
    return configured;
  }

  /**
   * Takes one request slot of a provider's rate limit if one is free now (returns `now`), or returns
   * when the next slot frees up without taking it (the caller postpones the work until then).
   */
  private requestSlot(provider: ProviderId, now: number): number {
    const p = this.pool(provider);
    const at = Math.max(now, p.nextRequestAt, p.backoffUntil);
    if (at > now + 5) return at;
    p.nextRequestAt = Math.max(now, p.nextRequestAt) + 60_000 / Math.max(1, this.d.limits(provider).rpm);
    return now;
  }

  private track<T>(promise: Promise<T>, jobIds: readonly string[] = []): void {
    for (const id of jobIds) this.busy.add(id);
    const p = promise
      .catch((e: unknown) => {
        if (!this.storageFailed(e)) this.d.log.error('Engine task failed', { error: String((e as Error)?.stack ?? e) });
      })
      .finally(() => {
        for (const id of jobIds) this.busy.delete(id);
        this.inflight.delete(p);
        this.wake();
      });
    this.inflight.add(p);
  }

  // ---------------------------------------------------------------- storage

  /**
   * A write failed because the data folder cannot be written (disk full, read-only, removed): says so once
   * a minute, and marks the queue for healing. Returns false for any other error.
   */
  private storageFailed(e: unknown): boolean {
    const se = asStorageError(e, this.d.dataDir ? `the data folder ${this.d.dataDir}` : 'the data folder', this.d.dataDir);
    if (!se) return false;
    this.needsHeal = true;
    this.d.log.error('Cannot write to the data folder', { error: se.message });
    this.noticeStorage(`${se.message}. Every job is kept as it is and the queue goes on by itself once Talkbatch can write again; nothing is sent twice.`);
    return true;
  }

  private noticeStorage(text: string): void {
    const at = Date.now();
    if (this.storageNotice && this.storageNotice.text === text && at - this.storageNotice.at < 60_000) return;
    this.storageNotice = { text, at };
    this.d.emit('notice', { level: 'warn', message: text });
  }

  /** Runs a write; when the data folder cannot take it, keeps it for later (see heal) instead of losing it. */
  private record(jobId: string, write: () => void): void {
    try {
      write();
    } catch (e) {
      if (!this.storageFailed(e)) throw e;
      this.pendingWrites.set(jobId, write);
    }
  }

  /**
   * After a storage failure: does the writes that were kept, then gives every job a task again that was
   * left claimed without one (what a restart's recovery does, without the restart). Returns false while
   * the data folder still cannot be written.
   */
  private heal(now: number): boolean {
    const { jobs } = this.d;
    let wrote = this.pendingWrites.size > 0;
    try {
      for (const [id, write] of [...this.pendingWrites]) {
        write();
        this.pendingWrites.delete(id);
        this.markChanged(id);
      }
      for (const j of jobs.list({ statuses: ['submitting'] })) {
        if (this.busy.has(j.id)) continue;
        this.interrupted(j, now, 'Talkbatch could not record what happened to this request (its data folder could not be written).');
        this.markChanged(j.id);
        wrote = true;
      }
      for (const status of ['running', 'downloading', 'submit_unknown'] as const) {
        for (const j of jobs.list({ statuses: [status] })) {
          if (j.nextActionAt !== null || this.busy.has(j.id)) continue;
          const last = jobs.events(j.id).at(-1)?.errorCode;
          if (status === 'submit_unknown' && (last === 'reconcile_unknown' || last === 'reconcile_failed')) continue;
          jobs.setNextAction([j.id], now);
          this.markChanged(j.id);
          wrote = true;
        }
      }
    } catch (e) {
      if (asStorageError(e, '')) return false;
      throw e;
    }
    this.needsHeal = false;
    if (wrote && this.storageNotice) {
      this.storageNotice = null;
      this.d.emit('notice', { level: 'info', message: 'Talkbatch can write to its data folder again; the queue goes on.' });
    }
    return true;
  }

  // ---------------------------------------------------------------- submit

  private startSubmits(now: number): void {
    if (this.d.queuePaused()) return;
    const active = this.d.jobs.activeByProvider();
    for (const [provider, adapter] of this.d.adapters) {
      const lim = this.d.limits(provider);
      const pool = this.pool(provider);
      if (!lim.ready) {
        const waiting = this.d.jobs.due('queued', now, 1, provider).length;
        if (waiting && pool.heldNotice !== lim.reason) {
          pool.heldNotice = lim.reason;
          this.d.emit('notice', { level: 'warn', message: lim.reason });
        }
        continue;
      }
      pool.heldNotice = null;
      if (pool.backoffUntil > now) continue;
      const free = this.capOf(provider, lim.concurrency, now) - (active.get(provider) ?? 0) - pool.inflightSubmits;
      if (free <= 0) continue;
      const queued = this.d.jobs.due('queued', now, free, provider);
      for (let i = 0; i < queued.length; i++) {
        const job = queued[i]!;
        if (!this.withinBudget(job)) continue;
        const at = this.requestSlot(provider, now);
        if (at > now) {
          // Over the request rate: the rest come back when the next slot is free (one write).
          this.d.jobs.setNextAction(
            queued.slice(i).map((j) => j.id),
            at,
          );
          break;
        }
        pool.inflightSubmits++;
        this.track(
          this.submit(adapter, job).finally(() => pool.inflightSubmits--),
          [job.id],
        );
      }
    }
  }

  private withinBudget(job: JobInternal): boolean {
    const batch = this.d.batches.get(job.batchId);
    if (!batch?.budget || !job.costEstimate || job.costEstimate.unit !== batch.budget.unit) return true;
    const spent = this.d.jobs.committedSpend(job.batchId).find((m) => m.unit === batch.budget!.unit)?.amount ?? 0;
    if (spent + job.costEstimate.amount <= batch.budget.amount + 1e-9) return true;
    this.d.jobs.setNextAction([job.id], null);
    this.d.jobs.addEvent(job.id, {
      message: `Waiting: the batch's spending cap of ${fmtMoney(batch.budget)} would be exceeded (${fmtMoney({ amount: spent, unit: batch.budget.unit })} committed, this job ~${fmtMoney(job.costEstimate)}). Raise the cap to continue.`,
      errorCode: 'budget_cap',
    });
    this.markChanged(job.id);
    if (!this.budgetNotified.has(job.batchId)) {
      this.budgetNotified.add(job.batchId);
      this.d.emit('notice', {
        level: 'warn',
        message: `Batch "${batch.name}" reached its spending cap of ${fmtMoney(batch.budget)}: no new jobs are sent. Raise the cap to continue.`,
        batchId: batch.id,
      });
    }
    return false;
  }

  private async submit(adapter: ProviderAdapter, queued: JobInternal): Promise<void> {
    const { jobs } = this.d;
    const name = PROVIDER_NAMES[queued.provider];
    const job = jobs.transition(
      queued.id,
      'submitting',
      { nextActionAt: null, submittedAt: this.now() },
      { message: `Sending to ${name} (attempt ${queued.attempt}, key ${queued.idempotencyKey})` },
    );
    this.markChanged(job.id);
    let sent = false;
    const ctx = this.d.contextFor(job.provider, this.abort.signal, {
      // Written (durably) before the first request that could create something leaves: a crash before
      // it means nothing was sent, so the job is simply sent again; after it, the provider is asked first.
      beforeSend: (r) => {
        if (sent) return;
        jobs.addEvent(job.id, { message: `Request sent to ${name} (${r.method} ${r.url}); waiting for its answer.`, errorCode: REQUEST_SENT });
        sent = true;
      },
    });
    let res: Awaited<ReturnType<ProviderAdapter['submit']>>;
    try {
      res = await adapter.submit(toAdapterJob(job), ctx);
    } catch (e) {
      // The adapter could not write its own state (disk full): whether the create went out is unknown,
      // so the job stays `submitting` and is checked with the provider once writes work (heal).
      if (this.storageFailed(e)) return;
      this.record(job.id, () => this.submitFailed(job, e));
      return;
    }
    // The provider's job id is written the moment it arrives; if the data folder cannot take it, it is
    // kept in memory and written as soon as it can (a restart meanwhile falls back to reconcile).
    this.record(job.id, () => {
      const now = this.now();
      const initial = res.initial;
      jobs.transition(
        job.id,
        'running',
        {
          providerJobId: res.providerJobId,
          providerState: { ...job.providerState, ...(res.providerState ?? {}), ...(initial?.providerState ?? {}) },
          providerStatus: initial?.rawStatus ?? null,
          nextActionAt: now + this.wait(firstPollDelayMs(adapter.describe())),
          lastProgressAt: now,
          error: null,
        },
        { message: `Accepted by ${name} as ${res.providerJobId}`, ...(res.requestId ? { requestId: res.requestId } : {}) },
      );
      this.markChanged(job.id);
      if (initial && initial.state !== 'queued' && initial.state !== 'running') this.applyPoll(adapter, jobs.mustGet(job.id), initial);
    });
  }

  private submitFailed(job: JobInternal, e: unknown): void {
    const { jobs } = this.d;
    const now = this.now();
    const name = PROVIDER_NAMES[job.provider];
    const err = asProviderError(e, name);
    const tries = this.countEvents(job.id, 'submit_retry') + 1;
    const requestId = err.requestId ?? null;
    switch (err.kind) {
      case 'rate_limit':
      case 'concurrency_limit':
      case 'transient': {
        if (err.kind === 'rate_limit') this.backOffProvider(job.provider, err, tries);
        if (err.kind === 'concurrency_limit') {
          const active = jobs.activeByProvider().get(job.provider) ?? 0;
          this.pool(job.provider).reducedCap = { cap: Math.max(1, active - 1), until: now + 5 * 60_000 };
        }
        if (tries >= MAX_SUBMIT_TRIES) {
          jobs.transition(job.id, 'failed', { error: { code: err.code, message: `${err.message} (gave up after ${tries} tries)` }, finishedAt: now, nextActionAt: null }, {
            kind: 'error',
            message: `${name} could not take the job: ${err.message}`,
            errorCode: err.code,
            requestId,
          });
        } else {
          const wait = err.retryAfterMs ?? this.wait(backoffMs(tries, 2_000, 10 * 60_000, this.rand));
          jobs.transition(job.id, 'queued', { nextActionAt: now + wait, error: { code: err.code, message: err.message } }, {
            kind: 'error',
            message: `${kindWords(err.kind)}: ${err.message}. Nothing was created; sending again in ${Math.round(wait / 1000)} s.`,
            errorCode: 'submit_retry',
            requestId,
          });
        }
        break;
      }
      case 'unknown_outcome':
        jobs.transition(job.id, 'submit_unknown', { nextActionAt: now + this.wait(3_000), error: { code: err.code, message: err.message } }, {
          kind: 'error',
          message: `${err.message}. It will not be sent again blindly: checking with ${name} first.`,
          errorCode: err.code,
          requestId,
        });
        break;
      default:
        jobs.transition(job.id, 'failed', { error: { code: err.code, message: err.message }, finishedAt: now, nextActionAt: null }, {
          kind: 'error',
          message: `${name} refused the job: ${err.message}`,
          errorCode: err.code,
          requestId,
        });
    }
    this.markChanged(job.id);
  }

  private backOffProvider(provider: ProviderId, err: ProviderError, tries: number): void {
    const p = this.pool(provider);
    const wait = err.retryAfterMs ?? this.wait(backoffMs(tries, 5_000, 5 * 60_000, this.rand));
    p.backoffUntil = Math.max(p.backoffUntil, this.now() + wait);
    this.d.log.warn('Provider asked us to slow down', { provider, waitMs: wait, code: err.code });
  }

  private countEvents(jobId: string, code: string): number {
    return this.d.jobs.events(jobId).filter((e) => e.errorCode === code).length;
  }

  // ---------------------------------------------------------------- reconcile

  private startReconciles(now: number): void {
    for (const job of this.d.jobs.due('submit_unknown', now, 20)) {
      const adapter = this.d.adapters.get(job.provider);
      if (!adapter) continue;
      this.d.jobs.setNextAction([job.id], null);
      this.track(this.reconcile(adapter, job), [job.id]);
    }
  }

  private async reconcile(adapter: ProviderAdapter, job: JobInternal): Promise<void> {
    const { jobs } = this.d;
    const name = PROVIDER_NAMES[job.provider];
    const now = () => this.now();
    try {
      const r = await adapter.reconcile(toAdapterJob(job), this.d.contextFor(job.provider, this.abort.signal));
      // The adapter's evidence is a sentence of its own: no ".." when it is followed by ours.
      const evidence = r.evidence.replace(/\.+$/, '');
      if (r.outcome === 'found') {
        jobs.transition(
          job.id,
          'running',
          { providerJobId: r.providerJobId, providerState: { ...job.providerState, ...(r.providerState ?? {}) }, nextActionAt: now(), lastProgressAt: now(), error: null },
          { message: `Found at ${name} as ${r.providerJobId}: ${evidence}. Nothing was sent twice.` },
        );
      } else if (r.outcome === 'absent') {
        // Answers the provider lost (resets, timeouts…), not Talkbatch's own restarts: an app killed
        // three times while sending is no reason to give up on a job.
        const lost = this.d.jobs.events(job.id).filter((e) => e.toStatus === 'submit_unknown' && e.errorCode !== null).length;
        const resends = lost - 1;
        if (resends >= 3) {
          jobs.transition(job.id, 'failed', { error: { code: 'submit_failed', message: `Sending to ${name} kept failing: ${job.error?.message ?? 'unknown reason'}` }, finishedAt: now(), nextActionAt: null }, {
            kind: 'error',
            message: `Gave up after ${resends} proven-safe resends.`,
            errorCode: 'submit_failed',
          });
        } else {
          jobs.transition(job.id, 'queued', { nextActionAt: now() }, { message: `Not at ${name}: ${evidence}. Safe to send again.`, errorCode: 'reconcile_absent' });
        }
      } else {
        // Still submit_unknown (not a status change: the state machine has no submit_unknown → submit_unknown).
        jobs.update(job.id, { nextActionAt: null }, {
          message: `Could not prove whether ${name} received this job: ${evidence}. Your decision: send it again (may be charged twice) or mark it failed.`,
          errorCode: 'reconcile_unknown',
        });
        this.d.emit('notice', { level: 'warn', message: `"${job.input.title}" needs a decision: ${name} may or may not have received it.`, batchId: job.batchId });
      }
    } catch (e) {
      if (asStorageError(e, '')) throw e;
      const err = asProviderError(e, name);
      const tries = this.countEvents(job.id, 'reconcile_retry') + 1;
      if (err.kind === 'rate_limit') this.backOffProvider(job.provider, err, tries);
      const giveUp = tries >= MAX_RECONCILE_TRIES || err.kind === 'auth' || err.kind === 'permanent';
      jobs.update(job.id, { nextActionAt: giveUp ? null : now() + (err.retryAfterMs ?? this.wait(backoffMs(tries, 3_000, 5 * 60_000, this.rand))) }, {
        kind: 'error',
        message: giveUp
          ? `Could not check with ${name} (${err.message}). Your decision: check again, send again, or mark failed.`
          : `Checking with ${name} failed (${err.message}); trying again.`,
        // reconcile_failed marks "waiting for the user" (recovery leaves such jobs alone).
        errorCode: giveUp ? 'reconcile_failed' : 'reconcile_retry',
        requestId: err.requestId ?? null,
      });
    }
    this.markChanged(job.id);
  }

  // ---------------------------------------------------------------- poll

  /**
   * Polls what the providers' free request slots can send now, and loads nothing else: a provider at
   * its request rate keeps its due jobs where they are, and the scheduler wakes at its next slot
   * (loading and postponing every due job on every tick was most of the idle engine's CPU; bench/).
   */
  private startPolls(now: number): void {
    for (const [provider, adapter] of this.d.adapters) {
      const pool = this.pool(provider);
      if (Math.max(pool.nextRequestAt, pool.backoffUntil) > now + 5) continue;
      if (this.d.jobs.nextDueAt('running', provider) === null) continue;
      const spec = adapter.describe();
      const batchable = spec.capabilities.includes('list_polling');
      // Jobs due soon ride along with a list request that is being made anyway (the horizon is
      // provider time like every wait the engine chooses, scaled on compressed time).
      const horizon = batchable ? now + this.wait(Math.min(15_000, spec.pollCapSec * 250)) : now;
      for (;;) {
        const c = this.d.jobs.dueByTime('running', provider, horizon, batchable ? POLL_CHUNK : 1);
        // Ordered by next action: if the first is not due yet, nothing is.
        if (!c.length || (c[0]!.nextActionAt ?? Infinity) > now) break;
        if (this.requestSlot(provider, now) > now) break;
        this.d.jobs.setNextAction(
          c.map((j) => j.id),
          null,
        );
        this.track(
          this.poll(adapter, c),
          c.map((j) => j.id),
        );
      }
    }
  }

  private async poll(adapter: ProviderAdapter, jobs: readonly JobInternal[]): Promise<void> {
    const provider = adapter.id;
    const name = PROVIDER_NAMES[provider];
    let results: ReadonlyMap<string, PollResult>;
    try {
      results = await adapter.poll(jobs.map(toAdapterJob), this.d.contextFor(provider, this.abort.signal));
    } catch (e) {
      if (asStorageError(e, '')) throw e;
      const err = asProviderError(e, name);
      for (const j of jobs) {
        const cur = this.d.jobs.get(j.id);
        if (!cur || cur.status !== 'running') continue;
        if (err.kind === 'not_found' && jobs.length === 1) {
          this.applyPoll(adapter, cur, { state: 'not_found', rawStatus: 'not_found', error: { code: err.code, message: err.message } });
          continue;
        }
        const fails = cur.pollCount + 1;
        if (err.kind === 'rate_limit') this.backOffProvider(provider, err, fails);
        // Nothing polls forever: a provider that cannot answer for the stall time stalls the job too.
        if (err.kind !== 'rate_limit' && isStalled({ now: this.now(), lastProgressAt: cur.lastProgressAt, submittedAt: cur.submittedAt, stallMs: this.d.stallMs() })) {
          this.d.jobs.transition(cur.id, 'stalled', { nextActionAt: null, pollCount: fails }, {
            kind: 'error',
            message: `${name} could not be checked for ${Math.round((this.now() - (cur.lastProgressAt ?? cur.submittedAt ?? this.now())) / 60_000)} min (last error: ${err.message}). Keep waiting, cancel it, or mark it failed.`,
            errorCode: err.code,
            requestId: err.requestId ?? null,
          });
          this.d.emit('notice', { level: 'warn', message: `"${cur.input.title}" looks stuck: ${name} has not answered for a long time.`, batchId: cur.batchId });
          this.markChanged(cur.id);
          continue;
        }
        const wait = err.retryAfterMs ?? this.wait(backoffMs(Math.min(fails, 8), 5_000, adapter.describe().pollCapSec * 1000 * 2, this.rand));
        this.d.jobs.update(cur.id, { nextActionAt: this.now() + wait, pollCount: fails }, {
          kind: 'error',
          message: `Checking status at ${name} failed (${err.message}); trying again in ${Math.round(wait / 1000)} s.`,
          errorCode: err.code,
          requestId: err.requestId ?? null,
        });
        this.markChanged(cur.id);
      }
      return;
    }
    for (const j of jobs) {
      const cur = this.d.jobs.get(j.id);
      if (!cur || cur.status !== 'running') continue;
      const r = results.get(j.id);
      if (!r) {
        this.d.jobs.update(cur.id, { nextActionAt: this.now() + this.wait(5_000) });
        continue;
      }
      this.applyPoll(adapter, cur, r);
    }
  }

  private applyPoll(adapter: ProviderAdapter, job: JobInternal, r: PollResult): void {
    const { jobs } = this.d;
    const spec = adapter.describe();
    const name = PROVIDER_NAMES[job.provider];
    const now = this.now();
    const state = { ...job.providerState, ...(r.providerState ?? {}), ...(r.preview ? { preview: r.preview } : {}) };
    const cost = r.costUsed?.amount ?? null;
    const requestId = r.requestId ?? null;
    switch (r.state) {
      case 'queued':
      case 'running': {
        const moved = r.rawStatus !== job.providerStatus || (r.progress ?? null) !== job.progress;
        const lastProgressAt = moved ? now : job.lastProgressAt;
        if (isStalled({ now, lastProgressAt, submittedAt: job.submittedAt, stallMs: this.d.stallMs() })) {
          jobs.transition(job.id, 'stalled', { providerStatus: r.rawStatus, providerState: state, nextActionAt: null }, {
            message: `No progress from ${name} for ${Math.round((now - (lastProgressAt ?? now)) / 60_000)} min (status "${r.rawStatus}"). Keep waiting, cancel it, or mark it failed.`,
          });
          this.d.emit('notice', { level: 'warn', message: `"${job.input.title}" looks stuck at ${name}.`, batchId: job.batchId });
          break;
        }
        // Policy works in provider time; the engine's time scale converts it (1 in real use).
        const k = this.d.timeScale ?? 1;
        const elapsed = (now - (job.submittedAt ?? now)) / k;
        const delay = this.wait(nextPollDelayMs({ elapsedMs: elapsed, progress: r.progress ?? null, etaSec: r.etaSec ?? null, providerHintMs: r.nextPollMs ?? null, spec }));
        const patch: JobPatch = {
          providerStatus: r.rawStatus,
          providerState: state,
          progress: r.progress ?? job.progress,
          etaSec: r.etaSec ?? null,
          nextActionAt: now + delay,
          lastProgressAt,
          pollCount: 0,
          ...(cost !== null ? { costUsed: cost } : {}),
        };
        if (r.rawStatus !== job.providerStatus) jobs.transition(job.id, 'running', patch, { kind: 'progress', message: `${name}: ${r.rawStatus}`, requestId });
        else jobs.update(job.id, patch);
        break;
      }
      case 'awaiting_approval':
        // The adapter's word becomes the lifecycle's state: nothing is checked until the user decides.
        jobs.transition(job.id, 'awaiting_approval', { providerStatus: r.rawStatus, providerState: state, nextActionAt: null, lastProgressAt: now }, {
          kind: 'progress',
          message: `Preview ready at ${name}: approve it to render the final video${r.preview ? ` (${r.preview.url})` : ''}.`,
          requestId,
        });
        this.d.emit('notice', { level: 'info', message: `A preview of "${job.input.title}" waits for your approval.`, batchId: job.batchId });
        break;
      case 'succeeded':
        jobs.transition(
          job.id,
          'downloading',
          { providerStatus: r.rawStatus, providerState: state, progress: 1, etaSec: null, nextActionAt: now, ...(cost !== null ? { costUsed: cost } : {}) },
          { message: `Rendered by ${name}${cost !== null ? ` (cost ${fmtMoney({ amount: cost, unit: spec.costUnit })})` : ''}; downloading.`, requestId },
        );
        break;
      case 'failed':
        jobs.transition(
          job.id,
          'failed',
          {
            providerStatus: r.rawStatus,
            providerState: state,
            nextActionAt: null,
            finishedAt: now,
            error: { code: r.error?.code ?? r.rawStatus.toLowerCase(), message: r.error?.message ?? `${name} reported ${r.rawStatus} without a reason` },
            ...(cost !== null ? { costUsed: cost } : {}),
          },
          { kind: 'error', message: `${name}: ${r.error?.message ?? r.rawStatus}`, errorCode: r.error?.code ?? null, requestId },
        );
        break;
      case 'canceled':
        jobs.transition(job.id, 'canceled', { providerStatus: r.rawStatus, nextActionAt: null, finishedAt: now }, { message: `${name} reports the job canceled.`, requestId });
        break;
      case 'not_found':
        if (spec.retryLostJobs) {
          jobs.transition(job.id, 'queued', { providerJobId: null, providerState: {}, nextActionAt: now, progress: null }, {
            message: `${name} lost this render (${r.error?.message ?? 'not found'}); it costs nothing to redo, so it is queued again.`,
          });
        } else {
          jobs.transition(
            job.id,
            'failed',
            {
              nextActionAt: null,
              finishedAt: now,
              error: { code: 'provider_not_found', message: `${name} says job ${job.providerJobId ?? ''} does not exist${r.error?.message ? ` (${r.error.message})` : ''}` },
            },
            { kind: 'error', message: `${name} no longer knows this job.`, errorCode: 'provider_not_found', requestId },
          );
        }
        break;
    }
    this.markChanged(job.id);
  }

  // ---------------------------------------------------------------- download

  private startDownloads(now: number): void {
    const free = this.maxDownloads - this.downloadsActive;
    if (free <= 0) return;
    for (const job of this.d.jobs.due('downloading', now, free)) {
      const adapter = this.d.adapters.get(job.provider);
      if (!adapter) continue;
      this.d.jobs.setNextAction([job.id], null);
      this.downloadsActive++;
      this.track(
        this.download(adapter, job).finally(() => this.downloadsActive--),
        [job.id],
      );
    }
  }

  private async download(adapter: ProviderAdapter, job: JobInternal): Promise<void> {
    const { jobs } = this.d;
    const name = PROVIDER_NAMES[job.provider];
    const ac = new AbortController();
    this.downloadAborts.set(job.id, ac);
    try {
      const spec = await adapter.output(toAdapterJob(job), this.d.contextFor(job.provider, this.abort.signal));
      let completed = false;
      // The library entry and the job's completion are written in one transaction.
      const out = await this.d.library.store(job, spec, AbortSignal.any([ac.signal, this.abort.signal]), (o) => {
        if (jobs.mustGet(job.id).status !== 'downloading') return;
        jobs.transition(job.id, 'completed', { outputId: o.id, finishedAt: this.now(), nextActionAt: null, error: null }, {
          message: `Saved to the library as ${o.file} (${o.size} bytes, sha256 ${o.sha256.slice(0, 12)}…)`,
        });
        completed = true;
      });
      if (completed) this.d.emit('library:changed', { outputIds: [out.id] });
    } catch (e) {
      const cur = jobs.get(job.id);
      if (!cur || cur.status !== 'downloading') return;
      if (e instanceof StorageError) {
        this.libraryUnwritable(cur, e);
        return;
      }
      // The database could not be written (disk full): the job is picked up again once it can (heal).
      if (this.storageFailed(e)) return;
      const err = asProviderError(e, name);
      const tries = cur.downloadAttempts + 1;
      const permanent = err.kind === 'permanent' || err.kind === 'auth' || err.kind === 'not_found';
      if (tries >= MAX_DOWNLOAD_TRIES || (permanent && tries >= 3)) {
        jobs.transition(
          job.id,
          'failed',
          { downloadAttempts: tries, nextActionAt: null, finishedAt: this.now(), error: { code: 'download_failed', message: `The video was rendered but could not be downloaded: ${err.message}` } },
          { kind: 'error', message: `Download failed for good (${err.message}). Retry downloads it again; it is never rendered again.`, errorCode: 'download_failed' },
        );
      } else {
        // An expired link is refreshed through the adapter on the next try (output() is called again).
        const wait = err.kind === 'expired' ? this.wait(500) : this.wait(backoffMs(tries, 2_000, 5 * 60_000, this.rand));
        jobs.update(job.id, { downloadAttempts: tries, nextActionAt: this.now() + wait }, {
          kind: 'error',
          message: `${err.kind === 'expired' ? 'Download link expired; asking for a fresh one' : `Download interrupted (${err.message})`}; retrying.`,
          errorCode: err.code,
        });
      }
    } finally {
      this.downloadAborts.delete(job.id);
      this.markChanged(job.id);
    }
  }

  /**
   * The library folder cannot take the video (full, read-only, a file in its place, removed): the user's
   * to fix, not the provider's. The job keeps waiting in `downloading` without using up its download
   * tries, the user is told once, and the download is tried again every little while (the render is
   * kept at the provider; it is never rendered again).
   */
  private libraryUnwritable(job: JobInternal, e: StorageError): void {
    const { jobs } = this.d;
    // A folder that disappeared is simply made again on the next try.
    const soon = e.kind === 'missing';
    const last = jobs.events(job.id).at(-1);
    const message = soon ? `${e.message}; saving it again.` : `${e.message}. The video is kept at the provider and saved as soon as this is fixed.`;
    this.record(job.id, () =>
      jobs.update(job.id, { nextActionAt: this.now() + this.wait(soon ? 1_000 : 10_000) }, last?.errorCode === 'library_unwritable' && last.message === message ? undefined : { kind: 'error', message, errorCode: 'library_unwritable' }),
    );
    if (!soon) this.noticeStorage(`${e.message}: finished videos wait until it is fixed (nothing is rendered again).`);
  }

  // ---------------------------------------------------------------- control

  /** Applies a user action to many jobs; returns what changed and why the rest did not. */
  async act(ids: readonly string[], action: JobAction): Promise<{ changed: number; skipped: { id: string; reason: string }[] }> {
    const skipped: { id: string; reason: string }[] = [];
    let changed = 0;
    for (const id of ids) {
      const job = this.d.jobs.get(id);
      if (!job) {
        skipped.push({ id, reason: 'no such job' });
        continue;
      }
      try {
        const reason = await this.actOne(job, action);
        if (reason) skipped.push({ id, reason });
        else changed++;
      } catch (e) {
        skipped.push({ id, reason: (e as Error).message });
      }
      this.markChanged(id);
    }
    this.wake();
    return { changed, skipped };
  }

  private async actOne(job: JobInternal, action: JobAction): Promise<string | null> {
    const { jobs } = this.d;
    const now = this.now();
    const name = PROVIDER_NAMES[job.provider];
    const adapter = this.d.adapters.get(job.provider);
    const s = job.status;
    const refused = whyNot(job, action);
    if (refused) return refused;
    switch (action) {
      case 'cancel': {
        let note = 'Canceled by you.';
        if (job.providerJobId && (s === 'running' || s === 'stalled' || s === 'paused' || s === 'awaiting_approval')) {
          if (adapter?.cancel) {
            try {
              await adapter.cancel(toAdapterJob(job), this.d.contextFor(job.provider, this.abort.signal));
              note = `Canceled by you, and at ${name}.`;
            } catch (e) {
              note = `Canceled by you. ${name} could not cancel it (${(e as Error).message}); it may still finish and be charged.`;
            }
          } else note = `Canceled by you. ${name} has no way to cancel a job; it may still finish and be charged.`;
        }
        this.downloadAborts.get(job.id)?.abort();
        jobs.transition(job.id, 'canceled', { nextActionAt: null, finishedAt: now }, { message: note });
        return null;
      }
      case 'retry': {
        if (s === 'failed' && job.error?.code === 'download_failed') {
          jobs.transition(job.id, 'downloading', { nextActionAt: now, downloadAttempts: 0, error: null, finishedAt: null }, { message: 'Retrying the download (the render is not repeated).' });
          return null;
        }
        const attempt = job.attempt + 1;
        jobs.transition(
          job.id,
          'queued',
          {
            attempt,
            idempotencyKey: idempotencyKeyFor(job.id, attempt),
            providerJobId: null,
            providerStatus: null,
            providerState: {},
            progress: null,
            etaSec: null,
            error: null,
            costUsed: null,
            outputId: null,
            finishedAt: null,
            submittedAt: null,
            downloadAttempts: 0,
            pollCount: 0,
            nextActionAt: now,
          },
          { message: `Retry requested (attempt ${attempt}).` },
        );
        return null;
      }
      case 'pause':
        jobs.transition(job.id, 'paused', { nextActionAt: null }, { message: s === 'running' ? `Paused: no longer checking ${name} (the render goes on there).` : 'Paused: it will not be sent.' });
        return null;
      case 'resume':
        if (job.providerJobId) jobs.transition(job.id, 'running', { nextActionAt: now, lastProgressAt: now }, { message: 'Resumed: checking the provider again.' });
        else jobs.transition(job.id, 'queued', { nextActionAt: now }, { message: 'Resumed.' });
        return null;
      case 'keep_waiting':
        jobs.transition(job.id, 'running', { nextActionAt: now, lastProgressAt: now }, { message: 'You chose to keep waiting.' });
        return null;
      case 'mark_failed':
        jobs.transition(job.id, 'failed', { nextActionAt: null, finishedAt: now, error: { code: 'marked_failed', message: 'Marked failed by you' } }, { message: 'Marked failed by you.' });
        return null;
      case 'resubmit': {
        const attempt = job.attempt + 1;
        jobs.transition(job.id, 'queued', { attempt, idempotencyKey: idempotencyKeyFor(job.id, attempt), nextActionAt: now, error: null }, {
          message: 'You chose to send it again, accepting that the provider may have received the first request.',
        });
        return null;
      }
      case 'reconcile':
        jobs.update(job.id, { nextActionAt: now }, { message: 'Checking with the provider again.' });
        return null;
      case 'approve':
        if (!adapter?.approve) return `${name} has no approval step`;
        {
          const res = await adapter.approve(toAdapterJob(job), this.d.contextFor(job.provider, this.abort.signal));
          const providerState = { ...job.providerState, ...(res?.providerState ?? {}), preview: undefined };
          jobs.transition(job.id, 'running', { providerStatus: 'approved', providerState, nextActionAt: now + this.wait(2_000), lastProgressAt: now }, {
            message: 'Preview approved: rendering the final video.',
          });
        }
        return null;
      case 'release':
        jobs.transition(job.id, 'queued', { nextActionAt: now }, { message: 'Released to the queue.' });
        return null;
    }
  }

  /** Moves queued jobs to the top or bottom of their provider's line. */
  reorder(ids: readonly string[], position: 'top' | 'bottom'): void {
    const all = this.d.jobs.list({ statuses: ['queued', 'paused', 'draft'] });
    const prios = all.map((j) => j.priority);
    const min = prios.length ? Math.min(...prios) : 0;
    const max = prios.length ? Math.max(...prios) : 0;
    ids.forEach((id, i) => this.d.jobs.setPriority(id, position === 'top' ? min - ids.length + i : max + 1 + i));
    ids.forEach((id) => this.markChanged(id));
    this.wake();
  }

  // ---------------------------------------------------------------- events

  markChanged(jobId: string): void {
    this.changedJobs.add(jobId);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), 100);
  }

  /**
   * Coalesces changes into one jobs:changed event per 100 ms: a busy queue never floods the renderer.
   * Batch summaries and queue counts (aggregates over every job) follow at most once a second: with a
   * thousand jobs in flight, recomputing them ten times a second was the idle engine's main cost.
   */
  flush(): void {
    this.flushTimer = null;
    if (!this.changedJobs.size) return;
    const ids = [...this.changedJobs];
    this.changedJobs.clear();
    const changed = [];
    for (let i = 0; i < ids.length; i += 500) changed.push(...this.d.jobs.list({ ids: ids.slice(i, i + 500) }));
    this.d.emit('jobs:changed', { jobs: changed.map(publicJob) });
    for (const j of changed) this.changedBatches.add(j.batchId);
    const wait = this.lastSummaryAt + 1000 - Date.now();
    if (wait <= 0) this.flushSummaries();
    else this.summaryTimer ??= setTimeout(() => this.flushSummaries(), wait);
  }

  private flushSummaries(): void {
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    this.summaryTimer = null;
    this.lastSummaryAt = Date.now();
    if (!this.changedBatches.size) return;
    const batchIds = [...this.changedBatches];
    this.changedBatches.clear();
    const batches = this.d.batches.summaries(batchIds);
    this.d.emit('batches:changed', { batches });
    this.d.emit('queue:changed', { paused: this.d.queuePaused(), counts: this.d.jobs.countsByStatus() });
    for (const b of batches) {
      if (b.total === 0 || b.active > 0 || b.total !== b.completed + b.failed + (this.d.jobs.countsByStatus(b.id).canceled ?? 0)) continue;
      const key = `${b.completed}/${b.failed}`;
      if (this.finishedNotified.get(b.id) === key) continue;
      this.finishedNotified.set(b.id, key);
      this.d.emit('notice', {
        level: b.failed ? 'warn' : 'info',
        message: `Batch "${b.name}" finished: ${b.completed} done${b.failed ? `, ${b.failed} failed` : ''}.`,
        batchId: b.id,
      });
    }
  }
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

function asProviderError(e: unknown, name: string): ProviderError {
  if (isProviderError(e)) return e;
  // An unexpected exception inside an adapter may have happened after the request was sent:
  // treat it like a lost answer (reconcile first), never as "safe to send again".
  return new ProviderError('unknown_outcome', `Unexpected error talking to ${name}: ${(e as Error)?.message ?? String(e)}`, { code: 'adapter_error', cause: e });
}

function kindWords(kind: ProviderError['kind']): string {
  return kind === 'rate_limit' ? 'Rate limited' : kind === 'concurrency_limit' ? 'Too many jobs running at the provider' : 'Temporary problem';
}

export function fmtMoney(m: Money): string {
  return m.unit === 'USD' ? `$${m.amount.toFixed(2)}` : `${Math.round(m.amount * 100) / 100} credits`;
}

export type { JobStatus };
