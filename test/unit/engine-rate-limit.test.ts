import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/app-core';
import type { ProviderAdapter } from '../../electron/core/providers/types';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { osharaSpec } from '../../shared/providers/oshara';

/**
 * Regression: a poll postponed by a provider's request-rate limit used to advance the provider's
 * next free slot anyway, so with several jobs due at once the postponed polls crept forward forever
 * and the jobs sat "Rendering" (found by the end-to-end flow).
 */
describe('request-rate limit', () => {
  let core: Core | null = null;
  afterEach(async () => {
    await core?.close();
    core = null;
  });

  it('polls every due job, one slot at a time, when the rate limit spaces them', async () => {
    const polled = new Map<string, number>();
    const stub: ProviderAdapter = {
      id: 'oshara',
      describe: () => ({ ...osharaSpec, credentialFields: [], capabilities: [], typicalRenderSec: 8, pollCapSec: 60 }),
      validate: () => [],
      estimateCost: () => ({ amount: null, unit: 'credits', rule: 'none' }),
      submit: async (job) => ({ providerJobId: `p-${job.id}` }),
      poll: async (jobs) => {
        for (const j of jobs) polled.set(j.id, (polled.get(j.id) ?? 0) + 1);
        return new Map(jobs.map((j) => [j.id, { state: 'running' as const, rawStatus: 'PROCESSING' }]));
      },
      output: async () => ({ url: 'file:///nonexistent' }),
      reconcile: async () => ({ outcome: 'unknown', evidence: 'stub' }),
      testCredentials: async () => ({ ok: true, message: 'stub' }),
    };
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tb-rate-'));
    core = openCore({
      dataDir,
      mode: 'server',
      cipher: (p) => fileKeyCipher(p.root),
      env: {},
      credentialsFromEnv: false,
      adapters: new Map([['oshara', stub]]),
      engine: { idleMs: 50, timeScale: 0.01 },
    });
    // 600 requests/min: one request every 100 ms.
    core.settings.set({ rateLimits: { oshara: 600 }, concurrency: { oshara: 10 } });
    const ids = core.jobs.createBatch(
      { name: 'rate', source: null, budget: null, estimate: [] },
      Array.from({ length: 5 }, (_, i) => ({ row: i + 1, provider: 'oshara' as const, input: { title: `t${i}`, params: {} }, costEstimate: null, status: 'queued' as const })),
    ).jobIds;
    core.engine.start();
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !ids.every((id) => (polled.get(id) ?? 0) > 0)) await new Promise((r) => setTimeout(r, 25));
    expect(ids.filter((id) => !polled.get(id))).toEqual([]);
  });
});
