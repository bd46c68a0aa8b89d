import type { EventName, EventPayload } from '../../shared/contract';
import type { QueueState } from '../../shared/model';
import type { BooleanSetting } from '../../shared/provider-spec';
import type { ProviderId } from '../../shared/providers';
import type { Settings, SettingsPatch } from '../../shared/settings';

/**
 * Waking the queue after something a job was waiting for changed: a key was added, a budget raised,
 * the queue resumed, a provider switched on, new jobs stored. Jobs that wait for such a thing sleep
 * until their next retry time; this service brings that time to now and wakes the engine, so the
 * change takes effect at once instead of at the next backoff. One place for what every handler did
 * by hand (and the CLI's own processes never need: they start the engine afresh).
 */
export type QueueControlDeps = Readonly<{
  jobs: Readonly<{
    wakeQueued(filter: Readonly<{ batchId?: string; provider?: ProviderId }>, at: number): number;
    countsByStatus(): QueueState['counts'];
  }>;
  engine: Readonly<{ wake(): void; markChanged(jobId: string): void }>;
  settings: Readonly<{ get(): Settings; set(patch: SettingsPatch): Settings }>;
  emit: <K extends EventName>(name: K, payload: EventPayload<K>) => void;
  /** The settings that switch a provider on or off (from the provider specs). */
  providerSwitches: readonly BooleanSetting[];
  now?: () => number;
}>;

export class QueueControl {
  private readonly now: () => number;

  constructor(private readonly d: QueueControlDeps) {
    this.now = d.now ?? Date.now;
  }

  state(): QueueState {
    return { paused: this.d.settings.get().queuePaused, counts: this.d.jobs.countsByStatus() };
  }

  /** New jobs were stored (a batch, a render again): the engine learns of them and runs now. */
  added(jobIds: readonly string[]): void {
    for (const id of jobIds) this.d.engine.markChanged(id);
    this.d.engine.wake();
  }

  /** Queued jobs of a provider, a batch or all wait no longer for their retry time; the engine runs now. */
  retryWaiting(filter: Readonly<{ batchId?: string; provider?: ProviderId }> = {}): void {
    this.d.jobs.wakeQueued(filter, this.now());
    this.d.engine.wake();
  }

  /** Something any running job may need changed (another saved key chosen, the asset host): the engine looks again. */
  wake(): void {
    this.d.engine.wake();
  }

  setPaused(paused: boolean): QueueState {
    this.d.settings.set({ queuePaused: paused });
    if (paused) this.d.engine.wake();
    else this.retryWaiting();
    const state = this.state();
    this.d.emit('queue:changed', state);
    return state;
  }

  /**
   * After a settings change: pausing or resuming, a concurrency change or a provider switched on or
   * off changes what may run now, so waiting jobs are looked at again.
   */
  settingsChanged(before: Settings, after: Settings, patch: SettingsPatch): void {
    const switched = this.d.providerSwitches.some((k) => patch[k] !== undefined);
    if (before.queuePaused === after.queuePaused && !patch.concurrency && !switched) return;
    this.retryWaiting();
    this.d.emit('queue:changed', this.state());
  }
}
