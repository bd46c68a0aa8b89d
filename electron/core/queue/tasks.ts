/**
 * The engine's work in flight: each stage hands its request here with the jobs it claimed, so the loop
 * knows when it is idle, a stop waits for answers that are on their way (they are still recorded), and
 * the reschedule rule leaves alone the jobs a task is working on.
 */
export class Tasks {
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly working = new Set<string>();

  constructor(
    private readonly d: Readonly<{
      /** A task failed unexpectedly (reported, never thrown at the loop). */
      failed: (e: unknown) => void;
      /** A task ended: what is due may have changed. */
      settled: () => void;
    }>,
  ) {}

  track<T>(promise: Promise<T>, jobIds: readonly string[] = []): void {
    for (const id of jobIds) this.working.add(id);
    const p = promise
      .catch((e: unknown) => this.d.failed(e))
      .finally(() => {
        for (const id of jobIds) this.working.delete(id);
        this.inflight.delete(p);
        this.d.settled();
      });
    this.inflight.add(p);
  }

  /** Jobs a task of this run is working on right now (submit, poll, reconcile, download). */
  get busy(): ReadonlySet<string> {
    return this.working;
  }

  get idle(): boolean {
    return this.inflight.size === 0;
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }
}
