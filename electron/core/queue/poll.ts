import { PROVIDER_NAMES } from '../../../shared/providers';
import type { JobInternal } from '../db/jobs';
import type { PollResult, ProviderAdapter } from '../providers/types';
import { asStorageError } from '../storage';
import { asProviderError, toAdapterJob, type StageContext } from './context';
import { applyPollOutcome } from './poll-outcome';
import { backoffMs, isStalled } from './policy';

/** Jobs per list request for providers that answer for many jobs at once. */
const POLL_CHUNK = 50;

/**
 * Polls what the providers' free request slots can send now, and loads nothing else: a provider at
 * its request rate keeps its due jobs where they are, and the scheduler wakes at its next slot
 * (loading and postponing every due job on every tick was most of the idle engine's CPU; bench/).
 */
export function startPolls(ctx: StageContext, now: number): void {
  for (const [provider, adapter] of ctx.adapters) {
    if (ctx.pools.nextFreeAt(provider) > now + 5) continue;
    if (ctx.jobs.nextDueAt('running', provider) === null) continue;
    const spec = adapter.describe();
    const batchable = spec.capabilities.includes('list_polling');
    // Jobs due soon ride along with a list request that is being made anyway (the horizon is
    // provider time like every wait the engine chooses, scaled on compressed time).
    const horizon = batchable ? now + ctx.wait(Math.min(15_000, spec.pollCapSec * 250)) : now;
    for (;;) {
      const c = ctx.jobs.dueByTime('running', provider, horizon, batchable ? POLL_CHUNK : 1);
      // Ordered by next action: if the first is not due yet, nothing is.
      if (!c.length || (c[0]!.nextActionAt ?? Infinity) > now) break;
      if (ctx.pools.requestSlot(provider, now) > now) break;
      ctx.jobs.setNextAction(
        c.map((j) => j.id),
        null,
      );
      ctx.tasks.track(
        poll(ctx, adapter, c),
        c.map((j) => j.id),
      );
    }
  }
}

async function poll(ctx: StageContext, adapter: ProviderAdapter, jobs: readonly JobInternal[]): Promise<void> {
  const provider = adapter.id;
  const name = PROVIDER_NAMES[provider];
  let results: ReadonlyMap<string, PollResult>;
  try {
    results = await adapter.poll(jobs.map(toAdapterJob), ctx.contextFor(provider, ctx.signal));
  } catch (e) {
    if (asStorageError(e, '')) throw e;
    const err = asProviderError(e, name);
    for (const j of jobs) {
      const cur = ctx.jobs.get(j.id);
      if (!cur || cur.status !== 'running') continue;
      if (err.kind === 'not_found' && jobs.length === 1) {
        applyPollOutcome(ctx, adapter, cur, { state: 'not_found', rawStatus: 'not_found', error: { code: err.code, message: err.message } });
        continue;
      }
      const fails = cur.pollCount + 1;
      if (err.kind === 'rate_limit') ctx.pools.backOff(provider, err, fails);
      // Nothing polls forever: a provider that cannot answer for the stall time stalls the job too.
      if (err.kind !== 'rate_limit' && isStalled({ now: ctx.now(), lastProgressAt: cur.lastProgressAt, submittedAt: cur.submittedAt, stallMs: ctx.stallMs() })) {
        ctx.jobs.transition(cur.id, 'stalled', { nextActionAt: null, pollCount: fails }, {
          kind: 'error',
          message: `${name} could not be checked for ${Math.round((ctx.now() - (cur.lastProgressAt ?? cur.submittedAt ?? ctx.now())) / 60_000)} min (last error: ${err.message}). Keep waiting, cancel it, or mark it failed.`,
          errorCode: err.code,
          requestId: err.requestId ?? null,
        });
        ctx.emit('notice', { level: 'warn', message: `"${cur.input.title}" looks stuck: ${name} has not answered for a long time.`, batchId: cur.batchId });
        ctx.notify.markChanged(cur.id);
        continue;
      }
      const wait = err.retryAfterMs ?? ctx.wait(backoffMs(Math.min(fails, 8), 5_000, adapter.describe().pollCapSec * 1000 * 2, ctx.rand));
      ctx.jobs.update(cur.id, { nextActionAt: ctx.now() + wait, pollCount: fails }, {
        kind: 'error',
        message: `Checking status at ${name} failed (${err.message}); trying again in ${Math.round(wait / 1000)} s.`,
        errorCode: err.code,
        requestId: err.requestId ?? null,
      });
      ctx.notify.markChanged(cur.id);
    }
    return;
  }
  for (const j of jobs) {
    const cur = ctx.jobs.get(j.id);
    if (!cur || cur.status !== 'running') continue;
    const r = results.get(j.id);
    if (!r) {
      ctx.jobs.update(cur.id, { nextActionAt: ctx.now() + ctx.wait(5_000) });
      continue;
    }
    applyPollOutcome(ctx, adapter, cur, r);
  }
}
