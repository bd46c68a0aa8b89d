import type { JobAction } from '../../../shared/contract';
import { asStorageError } from '../storage';
import { createStageContext, type EngineDeps, type StageContext } from './context';
import { startDownloads } from './download';
import { clamp } from './policy';
import { startPolls } from './poll';
import { startReconciles } from './reconcile';
import { reschedule } from './reschedule';
import { startSubmits } from './submit';
import { act, reorder, type ActResult } from './user-actions';

export type { EngineDeps };

/**
 * The queue engine: one scheduler loop driven by each job's next-action time (an index in SQLite, no
 * timer per job). Each tick hands what is due to the stages — poll.ts, reconcile.ts, download.ts,
 * submit.ts — which each survive a crash; reschedule.ts picks up what a restart or a storage failure
 * left claimed. This file only starts, stops, ticks and decides when to wake next.
 */

export class Engine {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private ticking = false;
  private tickAgain = false;
  private readonly abort = new AbortController();
  private readonly ctx: StageContext;

  constructor(private readonly d: EngineDeps) {
    this.ctx = createStageContext(d, this.abort.signal, () => this.wake());
  }

  /** Recovery after any stop (crash included), then the loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { ctx } = this;
    reschedule(ctx, ctx.now(), 'Talkbatch stopped while this job was being sent.', ctx.tasks.busy);
    const downloading = new Set(ctx.jobs.list({ statuses: ['downloading'] }).map((j) => j.id));
    const removed = ctx.library.cleanPartials(downloading);
    if (removed) ctx.log.info('Removed partial downloads left by an earlier run', { removed });
    this.wake();
  }

  /** Stops the loop and waits for requests in flight (their results are still recorded). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const a of this.ctx.downloads.aborts.values()) a.abort();
    await this.ctx.tasks.settle();
    this.ctx.notify.stop();
  }

  /** Aborts everything at once (process exit). */
  kill(): void {
    this.running = false;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  get idle(): boolean {
    return this.ctx.tasks.idle;
  }

  /** Re-evaluates what is due now (called after every change from outside). */
  wake(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Applies a user action to many jobs (user-actions.ts); returns what changed and why the rest did not. */
  async act(ids: readonly string[], action: JobAction): Promise<ActResult> {
    const res = await act(this.ctx, ids, action);
    this.wake();
    return res;
  }

  /** Moves queued jobs to the top or bottom of their provider's line. */
  reorder(ids: readonly string[], position: 'top' | 'bottom' | 'up' | 'down' | 'before', before?: string): void {
    reorder(this.ctx, ids, position, before);
    this.wake();
  }

  markChanged(jobId: string): void {
    this.ctx.notify.markChanged(jobId);
  }

  /** Sends the coalesced job changes now. */
  flush(): void {
    this.ctx.notify.flush();
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    const { ctx } = this;
    try {
      const now = ctx.now();
      if (ctx.storage.needsHeal && !this.heal(now)) {
        // Still cannot write: look again in a moment, and do nothing that would need a write meanwhile.
        this.timer = setTimeout(() => this.tick(), ctx.wait(2_000));
        return;
      }
      startPolls(ctx, now);
      startReconciles(ctx, now);
      startDownloads(ctx, now);
      startSubmits(ctx, now);
      this.scheduleNext(now);
    } catch (e) {
      if (!ctx.storage.failed(e)) ctx.log.error('Scheduler tick failed', { error: String((e as Error)?.stack ?? e) });
      this.timer = setTimeout(() => this.tick(), 1000);
    } finally {
      this.ticking = false;
      if (this.tickAgain) {
        this.tickAgain = false;
        this.wake();
      }
    }
  }

  /**
   * After a storage failure: does the writes that were kept, then the reschedule rule (what a restart
   * does, without the restart). Returns false while the data folder still cannot be written.
   */
  private heal(now: number): boolean {
    const { ctx } = this;
    let wrote: boolean;
    try {
      const written = ctx.storage.writePending();
      for (const id of written) ctx.notify.markChanged(id);
      const picked = reschedule(ctx, now, 'Talkbatch could not record what happened to this request (its data folder could not be written).', ctx.tasks.busy);
      wrote = written.length > 0 || picked > 0;
    } catch (e) {
      if (asStorageError(e, '')) return false;
      throw e;
    }
    ctx.storage.healed(wrote);
    return true;
  }

  /** Sleeps until the earliest moment a stage has something to do (or `idleMs`; any change wakes it sooner). */
  private scheduleNext(now: number): void {
    const { ctx } = this;
    const { jobs, pools } = ctx;
    const candidates: (number | null)[] = [jobs.nextDueAt('submit_unknown')];
    // Polls wait for their provider's next free request slot as well as for their own time.
    for (const [provider] of ctx.adapters) {
      const t = jobs.nextDueAt('running', provider);
      if (t !== null) candidates.push(Math.max(t, pools.nextFreeAt(provider)));
    }
    if (ctx.downloads.active < ctx.downloads.max) candidates.push(jobs.nextDueAt('downloading'));
    if (!ctx.queuePaused()) {
      const active = jobs.activeByProvider();
      for (const [provider] of ctx.adapters) {
        const lim = ctx.limits(provider);
        if (!lim.ready) continue;
        if ((active.get(provider) ?? 0) + pools.of(provider).inflightSubmits >= pools.capOf(provider, lim.concurrency, now)) continue;
        const t = jobs.nextDueAt('queued', provider);
        if (t !== null) candidates.push(Math.max(t, pools.nextFreeAt(provider)));
      }
    }
    const next = candidates.filter((t): t is number => t !== null).reduce((a, b) => Math.min(a, b), Infinity);
    const idle = this.d.idleMs ?? 30_000;
    const delay = next === Infinity ? idle : clamp(next - now, 0, idle);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delay);
  }
}
