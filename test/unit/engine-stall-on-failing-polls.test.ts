import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/app-core';
import { ProviderError } from '../../electron/core/providers/http';
import type { ProviderAdapter } from '../../electron/core/providers/types';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { osharaSpec } from '../../shared/providers/oshara';

/** Nothing polls forever: a provider whose status checks keep failing stalls the job after the stall time. */
describe('stall on failing status checks', () => {
  let core: Core | null = null;
  afterEach(async () => {
    await core?.close();
    core = null;
  });

  it('moves a job whose every check fails to stalled, with the last error', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    let polls = 0;
    const stub: ProviderAdapter = {
      id: 'oshara',
      describe: () => ({ ...osharaSpec, credentialFields: [], capabilities: [], typicalRenderSec: 8, pollCapSec: 10 }),
      validate: () => [],
      estimateCost: () => ({ amount: null, unit: 'credits', rule: 'none' }),
      submit: async (job) => ({ providerJobId: `p-${job.id}` }),
      poll: async () => {
        polls++;
        throw new ProviderError('transient', 'Oshara answered HTTP 502', { status: 502 });
      },
      output: async () => ({ url: 'file:///nonexistent' }),
      reconcile: async () => ({ outcome: 'unknown', evidence: 'stub' }),
      testCredentials: async () => ({ ok: true, message: 'stub' }),
    };
    core = openCore({
      dataDir: mkdtempSync(path.join(tmpdir(), 'tb-stall-')),
      mode: 'server',
      cipher: (p) => fileKeyCipher(p.root),
      env: {},
      credentialsFromEnv: false,
      adapters: new Map([['oshara', stub]]),
      engine: { idleMs: 50, now: clock, timeScale: 0.001 },
    });
    core.settings.set({ stallMinutes: 5 });
    const [id] = core.jobs.createBatch({ name: 'stall', source: null, budget: null, estimate: [] }, [
      { row: 1, provider: 'oshara', input: { title: 'never answers', params: {} }, costEstimate: null, status: 'queued' },
    ]).jobIds;
    core.engine.start();
    const until = async (cond: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return cond();
    };
    expect(await until(() => polls >= 2)).toBe(true);
    expect(core.jobs.get(id!)!.status).toBe('running');
    offset += 6 * 60_000; // past the stall time, and every check since failed
    core.jobs.setNextAction([id!], clock());
    core.engine.wake();
    expect(await until(() => core!.jobs.get(id!)!.status === 'stalled')).toBe(true);
    const last = core.jobs.events(id!).at(-1)!;
    expect(last.message).toContain('could not be checked');
    expect(last.message).toContain('HTTP 502');
    const pollsAtStall = polls;
    core.jobs.setNextAction([id!], clock());
    core.engine.wake();
    await new Promise((r) => setTimeout(r, 200));
    expect(polls).toBe(pollsAtStall); // a stalled job is not polled
  });
});
