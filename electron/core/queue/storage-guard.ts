import type { EventName, EventPayload } from '../../../shared/contract';
import type { Logger } from '../log';
import { asStorageError } from '../storage';

/**
 * What the engine does when the data folder cannot be written (disk full, read-only, removed): says so
 * once a minute, keeps the writes that must not be lost (above all a provider's answer to a create, its
 * job id) to do them once it can, and marks the queue for healing (see engine.ts and reschedule.ts).
 */
export class StorageGuard {
  /** Writes that failed for lack of storage, kept to be done once it can (one per job, the latest). */
  private readonly pending = new Map<string, () => void>();
  private notice: { text: string; at: number } | null = null;
  /** A write failed for lack of storage: jobs may be left claimed with no task, to be picked up again. */
  needsHeal = false;

  constructor(
    private readonly d: Readonly<{
      dataDir: string | undefined;
      log: Logger;
      emit: <K extends EventName>(name: K, payload: EventPayload<K>) => void;
    }>,
  ) {}

  /** True when `e` is a storage failure (told, and the queue marked for healing); false for any other error. */
  failed(e: unknown): boolean {
    const { dataDir } = this.d;
    const se = asStorageError(e, dataDir ? `the data folder ${dataDir}` : 'the data folder', dataDir);
    if (!se) return false;
    this.needsHeal = true;
    this.d.log.error('Cannot write to the data folder', { error: se.message });
    this.warn(`${se.message}. Every job is kept as it is and the queue goes on by itself once Talkbatch can write again; nothing is sent twice.`);
    return true;
  }

  /** A warning about storage, told at most once a minute. */
  warn(text: string): void {
    const at = Date.now();
    if (this.notice && this.notice.text === text && at - this.notice.at < 60_000) return;
    this.notice = { text, at };
    this.d.emit('notice', { level: 'warn', message: text });
  }

  /** Runs a write; when the data folder cannot take it, keeps it for later instead of losing it. */
  record(jobId: string, write: () => void): void {
    try {
      write();
    } catch (e) {
      if (!this.failed(e)) throw e;
      this.pending.set(jobId, write);
    }
  }

  /** Does the kept writes; returns the jobs written. Throws (keeping the rest) while storage still fails. */
  writePending(): string[] {
    const written: string[] = [];
    for (const [id, write] of [...this.pending]) {
      write();
      this.pending.delete(id);
      written.push(id);
    }
    return written;
  }

  /** Healed: says so once if the user was told about the failure and something was picked up again. */
  healed(wrote: boolean): void {
    this.needsHeal = false;
    if (wrote && this.notice) {
      this.notice = null;
      this.d.emit('notice', { level: 'info', message: 'Talkbatch can write to its data folder again; the queue goes on.' });
    }
  }
}
