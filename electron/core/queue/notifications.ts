import type { EventName, EventPayload } from '../../../shared/contract';
import type { BatchRepo } from '../db/batches';
import { publicJob, type JobRepo } from '../db/jobs';

/**
 * What the engine tells the renderer: changed jobs coalesced into one jobs:changed event per 100 ms (a
 * busy queue never floods the renderer); batch summaries and queue counts (aggregates over every job) at
 * most once a second, with a notice when a batch finishes; and notices told once per run.
 */
export class Notifications {
  private readonly changedJobs = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly changedBatches = new Set<string>();
  private summaryTimer: NodeJS.Timeout | null = null;
  private lastSummaryAt = 0;
  private readonly finishedNotified = new Map<string, string>();
  private readonly told = new Set<string>();

  constructor(
    private readonly d: Readonly<{
      jobs: JobRepo;
      batches: BatchRepo;
      queuePaused: () => boolean;
      emit: <K extends EventName>(name: K, payload: EventPayload<K>) => void;
    }>,
  ) {}

  markChanged(jobId: string): void {
    this.changedJobs.add(jobId);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), 100);
  }

  /** A notice told once per run for `key` (e.g. a batch reaching its spending cap). */
  once(key: string, notice: EventPayload<'notice'>): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.d.emit('notice', notice);
  }

  /**
   * Coalesces changes into one jobs:changed event. Batch summaries and queue counts follow at most once a
   * second: with a thousand jobs in flight, recomputing them ten times a second was the idle engine's main cost.
   */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
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

  /** Everything still held back goes out now (the engine stops). */
  stop(): void {
    this.flush();
    this.flushSummaries();
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
