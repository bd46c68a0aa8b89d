import type { EventName } from '../../../shared/contract';
import { isTerminal } from '../../../shared/lifecycle';
import type { BatchRow } from '../../../shared/model';
import { PROVIDER_IDS, type ProviderId } from '../../../shared/providers';
import { openCore, type Core } from '../../../electron/core/app-core';
import { fileKeyCipher } from '../../../electron/core/secrets/cipher';
import { FIXTURES } from '../../fakes/base';
import { startAllFakes, type AllFakes } from '../../fakes/index';
import { describeJobs, rowFor, TestClock } from '../../helpers/engine-harness';

/**
 * A real core (SQLite, vault, library, scheduler) on a data dir the test chooses (a tiny file system, a
 * folder it breaks), pointed at the provider fakes on a shared fast clock, with every pushed event
 * recorded. Like test/helpers/engine-harness.ts, which always makes its own temp folder.
 */
export type Rig = Readonly<{
  core: Core;
  fakes: AllFakes;
  dataDir: string;
  events: { name: EventName; payload: unknown }[];
  notices: () => string[];
  row: (p: ProviderId, title: string) => BatchRow;
  admit: (rows: readonly BatchRow[], name?: string) => Promise<string[]>;
  waitFor: <T>(check: () => T | undefined | null | false, what: string, timeoutMs?: number) => Promise<T>;
  settled: (ids: readonly string[], timeoutMs?: number) => Promise<void>;
  restart: () => Promise<void>;
  close: () => Promise<void>;
}>;

export async function openRig(dataDir: string, o: Readonly<{ fakes?: AllFakes; speed?: number; env?: Record<string, string> }> = {}): Promise<Rig> {
  const clock = new TestClock(o.speed ?? 100);
  const fakes = o.fakes ?? (await startAllFakes({ timeScale: 0.05, now: clock.now }));
  const open = () =>
    openCore({
      dataDir,
      mode: 'server',
      cipher: (p) => fileKeyCipher(p.root),
      env: { ...process.env, ...fakes.env, ...(o.env ?? {}) },
      credentialsFromEnv: true,
      engine: { idleMs: 200, now: clock.now },
    });
  let core = open();
  const fast = Object.fromEntries(PROVIDER_IDS.map((p) => [p, 6000]));
  core.settings.set({ assetHost: fakes.assetHost, aisaEnabled: true, rateLimits: fast });
  const events: Rig['events'] = [];
  const subscribe = (c: Core) => c.events.on((name, payload) => void events.push({ name, payload }));
  let off = subscribe(core);
  core.engine.start();

  const waitFor = async <T>(check: () => T | undefined | null | false, what: string, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}\n${describeJobs(core)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const rig: Rig = {
    get core() {
      return core;
    },
    fakes,
    dataDir,
    events,
    notices: () => events.filter((e) => e.name === 'notice').map((e) => (e.payload as { message: string }).message),
    row: (p, title) => rowFor(p, title, fakes),
    admit: async (rows, name = 'Rig batch') => {
      const res = await core.admission.admit({ name, rows, baseDir: FIXTURES, source: 'test' });
      for (const id of res.jobIds) core.engine.markChanged(id);
      core.engine.wake();
      return res.jobIds;
    },
    waitFor,
    settled: async (ids, timeoutMs) => {
      await waitFor(() => ids.every((id) => isTerminal(core.jobs.mustGet(id).status)) && core.engine.idle, 'every job to finish', timeoutMs);
    },
    restart: async () => {
      off();
      await core.close();
      core = open();
      off = subscribe(core);
      core.engine.start();
    },
    close: async () => {
      off();
      await core.close();
      if (!o.fakes) await fakes.close();
    },
  };
  return rig;
}
