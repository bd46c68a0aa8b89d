import { expect } from 'vitest';
import { isTerminal } from '../../../shared/lifecycle';
import type { ProviderId } from '../../../shared/providers';
import { createHandlers } from '../../../electron/core/handlers';
import type { JobInternal } from '../../../electron/core/db/jobs';
import { CHAOS_KINDS, type ChaosKind } from '../../fakes/base';
import { CLOUD_PROVIDERS, describeJobs, openHarness, type CloudProvider, type Harness } from '../../helpers/engine-harness';
import { decide, fakeRenders, integrity, ledgerProblems, libraryProblems, openJobs, tempFiles, waitsForDecision, type Decision } from './checks';

/**
 * A batch across the five cloud fakes with the fault-injection mode on (a seeded ~20% of requests,
 * signed URLs and downloads get a fault: 429 in both Retry-After forms, 500/502/503, resets before and
 * after a create, slow answers, answers that never come, malformed JSON, expired output links, cut
 * downloads and renders the provider rejects), through the real scheduler, SQLite and HTTP.
 *
 * Afterwards: every job that can complete did; a job that did not was rejected by its provider and
 * carries the provider's own reason, or needed a person's decision (TechForge cannot look up a lost
 * create) and got one; no render was paid for twice; the library holds the provider's bytes.
 */
export type FaultRunOptions = Readonly<{ seed: number; perProvider: number; rate?: number; timeoutMs?: number }>;

export type FaultRunResult = Readonly<{
  jobs: JobInternal[];
  decisions: Decision[];
  counts: Partial<Record<ChaosKind, number>>;
  requests: number;
}>;

const ALL_RPM: Partial<Record<ProviderId, number>> = { oshara: 6000, techforge: 6000, aisa: 6000, sync: 6000, creatify: 6000 };
const CONCURRENCY: Partial<Record<ProviderId, number>> = { oshara: 6, techforge: 6, aisa: 6, sync: 6, creatify: 6 };

export async function runFaultBatch(o: FaultRunOptions): Promise<FaultRunResult> {
  const h = await openHarness({ settings: { rateLimits: ALL_RPM, concurrency: CONCURRENCY } });
  try {
    return await withSeed(o.seed, () => run(h, o));
  } finally {
    await h.close();
  }
}

/** Prefixes any failure with the seed that reproduces it. */
export async function withSeed<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Error) e.message = `[seed ${seed}: rerun with TALKBATCH_SEED=${seed}] ${e.message}`;
    throw e;
  }
}

async function run(h: Harness, o: FaultRunOptions): Promise<FaultRunResult> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  // Creatify's Aurora list is [UNCONFIRMED]; the fake offers it, so Creatify can look up lost creates too.
  h.fakes.creatify.auroraList = 'available';
  const chaos = h.fakes.chaos({ seed: o.seed, rate: o.rate ?? 0.2, retryAfterSec: 1, slowMs: 150, timeoutMs: 600 });
  const rows = CLOUD_PROVIDERS.flatMap((p) => Array.from({ length: o.perProvider }, (_, i) => h.row(p, `Faults ${p} ${i + 1}`)));
  const { jobIds } = await h.admit(rows, { name: 'Faults' });

  // Everything the engine can finish on its own, it finishes; what is left waits for a person.
  await h.waitFor(() => jobIds.every((id) => isTerminal(h.job(id).status) || waitsForDecision(h.core, h.job(id))) && h.core.engine.idle, {
    timeoutMs,
    what: 'every job to finish or to wait for a decision',
  });
  chaos.stop();
  const counts = chaos.counts();
  const requests = CLOUD_PROVIDERS.reduce((n, p) => n + h.fakes[p].server.log.length, 0);

  // A person decides, through the same contract channel as the app's buttons.
  const undecided = jobIds.map((id) => h.job(id)).filter((j) => waitsForDecision(h.core, j));
  const decisions = decide(h.core, h.fakes, undecided);
  const handlers = createHandlers(h.core, { version: 'test', mode: 'server' });
  for (const d of decisions) {
    const res = await handlers['jobs:action']({ ids: [d.jobId], action: d.action });
    expect(res, `decision for ${d.jobId}`).toEqual({ changed: 1, skipped: [] });
  }
  const jobs = await h.waitFor(() => (jobIds.every((id) => isTerminal(h.job(id).status)) ? jobIds.map((id) => h.job(id)) : undefined), {
    timeoutMs,
    what: 'every job to be finished after the decisions',
  });

  const problems: string[] = [];
  const decided = new Map(decisions.map((d) => [d.jobId, d]));
  for (const j of jobs) {
    if (j.status === 'completed') continue;
    const d = decided.get(j.id);
    if (j.status === 'failed' && d?.action === 'mark_failed' && j.error?.code === 'marked_failed') continue;
    const render = j.providerJobId ? fakeRenders(h.fakes, j.provider as CloudProvider).get(j.providerJobId) : undefined;
    if (j.status === 'failed' && render?.failure && j.error?.message.includes(render.failure)) continue;
    problems.push(
      `row ${j.row} ${j.provider} ended ${j.status} (${j.error?.code}: ${j.error?.message}) but ${render?.failure ? `the provider's reason was "${render.failure}"` : 'the provider did not fail it'}\n` +
        h.core.jobs
          .events(j.id)
          .map((e) => `      ${e.toStatus ?? '·'} ${e.errorCode ? `[${e.errorCode}] ` : ''}${e.message}`)
          .join('\n'),
    );
  }
  problems.push(...ledgerProblems(h.core, h.fakes, { decided: decisions }));
  problems.push(...libraryProblems(h.core));
  problems.push(...openJobs(h.core));
  problems.push(...tempFiles(h.dataDir).map((f) => `temp file left: ${f}`));
  const check = integrity(h.core.paths.db);
  if (check !== 'ok') problems.push(`integrity_check: ${check}`);
  expect(problems, `${problems.join('\n')}\nfaults injected: ${JSON.stringify(counts)}\n${describeJobs(h.core)}`).toEqual([]);
  return { jobs, decisions, counts, requests };
}

/** Kinds a run of this size must have covered (create-only kinds need enough creates to come up). */
export function expectAllKinds(counts: Partial<Record<ChaosKind, number>>): void {
  const all = new Set<ChaosKind>(Object.values(CHAOS_KINDS).flat());
  const missing = [...all].filter((k) => !counts[k]);
  expect(missing, `faults injected: ${JSON.stringify(counts)}`).toEqual([]);
}
