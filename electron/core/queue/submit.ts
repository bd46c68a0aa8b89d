import { PROVIDER_NAMES } from '../../../shared/providers';
import type { JobInternal } from '../db/jobs';
import type { ProviderError } from '../providers/http';
import type { ProviderAdapter } from '../providers/types';
import { asProviderError, fmtMoney, toAdapterJob, type StageContext } from './context';
import { applyPollOutcome } from './poll-outcome';
import { backoffMs, firstPollDelayMs } from './policy';

/**
 * The submit stage: sends queued jobs to their provider within its pool (concurrency, request rate,
 * backoff) and the batch's spending cap. See docs/decisions/0001-two-phase-submit.md.
 *
 * Money rules, in order of importance:
 *  1. A job is written `submitting` (with its idempotency key) before the create request is sent, and
 *     `request_sent_at` before the first byte that could create something leaves; the provider id is
 *     written the moment it arrives.
 *  2. A create whose outcome is unknown is never sent again blindly: `submit_unknown` → reconcile.
 */

const MAX_SUBMIT_TRIES = 12;

export function startSubmits(ctx: StageContext, now: number): void {
  if (ctx.queuePaused()) return;
  const active = ctx.jobs.activeByProvider();
  for (const [provider, adapter] of ctx.adapters) {
    const lim = ctx.limits(provider);
    const pool = ctx.pools.of(provider);
    if (!lim.ready) {
      const waiting = ctx.jobs.due('queued', now, 1, provider).length;
      if (waiting && pool.heldNotice !== lim.reason) {
        pool.heldNotice = lim.reason;
        ctx.emit('notice', { level: 'warn', message: lim.reason });
      }
      continue;
    }
    pool.heldNotice = null;
    if (pool.backoffUntil > now) continue;
    const free = ctx.pools.capOf(provider, lim.concurrency, now) - (active.get(provider) ?? 0) - pool.inflightSubmits;
    if (free <= 0) continue;
    const queued = ctx.jobs.due('queued', now, free, provider);
    for (let i = 0; i < queued.length; i++) {
      const job = queued[i]!;
      if (!withinBudget(ctx, job)) continue;
      const at = ctx.pools.requestSlot(provider, now);
      if (at > now) {
        // Over the request rate: the rest come back when the next slot is free (one write).
        ctx.jobs.setNextAction(
          queued.slice(i).map((j) => j.id),
          at,
        );
        break;
      }
      pool.inflightSubmits++;
      ctx.tasks.track(
        submit(ctx, adapter, job).finally(() => pool.inflightSubmits--),
        [job.id],
      );
    }
  }
}

/** A job that would take its batch over the spending cap waits (no next action) until the cap is raised. */
function withinBudget(ctx: StageContext, job: JobInternal): boolean {
  const batch = ctx.batches.get(job.batchId);
  if (!batch?.budget || !job.costEstimate || job.costEstimate.unit !== batch.budget.unit) return true;
  const spent = ctx.jobs.committedSpend(job.batchId).find((m) => m.unit === batch.budget!.unit)?.amount ?? 0;
  if (spent + job.costEstimate.amount <= batch.budget.amount + 1e-9) return true;
  ctx.jobs.setNextAction([job.id], null);
  ctx.jobs.addEvent(job.id, {
    message: `Waiting: the batch's spending cap of ${fmtMoney(batch.budget)} would be exceeded (${fmtMoney({ amount: spent, unit: batch.budget.unit })} committed, this job ~${fmtMoney(job.costEstimate)}). Raise the cap to continue.`,
    errorCode: 'budget_cap',
  });
  ctx.notify.markChanged(job.id);
  ctx.notify.once(`budget:${job.batchId}`, {
    level: 'warn',
    message: `Batch "${batch.name}" reached its spending cap of ${fmtMoney(batch.budget)}: no new jobs are sent. Raise the cap to continue.`,
    batchId: batch.id,
  });
  return false;
}

async function submit(ctx: StageContext, adapter: ProviderAdapter, queued: JobInternal): Promise<void> {
  const { jobs } = ctx;
  const name = PROVIDER_NAMES[queued.provider];
  const job = jobs.transition(
    queued.id,
    'submitting',
    { nextActionAt: null, submittedAt: ctx.now(), requestSentAt: null },
    { message: `Sending to ${name} (attempt ${queued.attempt}, key ${queued.idempotencyKey})` },
  );
  ctx.notify.markChanged(job.id);
  let sent = false;
  const adapterCtx = ctx.contextFor(job.provider, ctx.signal, {
    // Written (durably) before the first request that could create something leaves: a crash before
    // it means nothing was sent, so the job is simply sent again; after it, the provider is asked first.
    beforeSend: (r) => {
      if (sent) return;
      jobs.update(job.id, { requestSentAt: ctx.now() }, { message: `Request sent to ${name} (${r.method} ${r.url}); waiting for its answer.`, errorCode: 'request_sent' });
      sent = true;
    },
  });
  let res: Awaited<ReturnType<ProviderAdapter['submit']>>;
  try {
    res = await adapter.submit(toAdapterJob(job), adapterCtx);
  } catch (e) {
    // The adapter could not write its own state (disk full): whether the create went out is unknown,
    // so the job stays `submitting` and is checked with the provider once writes work (reschedule).
    if (ctx.storage.failed(e)) return;
    ctx.storage.record(job.id, () => submitFailed(ctx, job, e));
    return;
  }
  // The provider's job id is written the moment it arrives; if the data folder cannot take it, it is
  // kept in memory and written as soon as it can (a restart meanwhile falls back to reconcile).
  ctx.storage.record(job.id, () => {
    const now = ctx.now();
    const initial = res.initial;
    jobs.transition(
      job.id,
      'running',
      {
        providerJobId: res.providerJobId,
        providerState: { ...job.providerState, ...(res.providerState ?? {}), ...(initial?.providerState ?? {}) },
        providerStatus: initial?.rawStatus ?? null,
        nextActionAt: now + ctx.wait(firstPollDelayMs(adapter.describe())),
        lastProgressAt: now,
        error: null,
      },
      { message: `Accepted by ${name} as ${res.providerJobId}`, ...(res.requestId ? { requestId: res.requestId } : {}) },
    );
    ctx.notify.markChanged(job.id);
    if (initial && initial.state !== 'queued' && initial.state !== 'running') applyPollOutcome(ctx, adapter, jobs.mustGet(job.id), initial);
  });
}

function submitFailed(ctx: StageContext, job: JobInternal, e: unknown): void {
  const { jobs } = ctx;
  const now = ctx.now();
  const name = PROVIDER_NAMES[job.provider];
  const err = asProviderError(e, name);
  const tries = job.submitTries + 1;
  const requestId = err.requestId ?? null;
  switch (err.kind) {
    case 'rate_limit':
    case 'concurrency_limit':
    case 'transient': {
      if (err.kind === 'rate_limit') ctx.pools.backOff(job.provider, err, tries);
      if (err.kind === 'concurrency_limit') ctx.pools.reduceCap(job.provider, (jobs.activeByProvider().get(job.provider) ?? 0) - 1, now);
      if (tries >= MAX_SUBMIT_TRIES) {
        jobs.transition(job.id, 'failed', { submitTries: tries, error: { code: err.code, message: `${err.message} (gave up after ${tries} tries)` }, finishedAt: now, nextActionAt: null }, {
          kind: 'error',
          message: `${name} could not take the job: ${err.message}`,
          errorCode: err.code,
          requestId,
        });
      } else {
        const wait = err.retryAfterMs ?? ctx.wait(backoffMs(tries, 2_000, 10 * 60_000, ctx.rand));
        jobs.transition(job.id, 'queued', { submitTries: tries, nextActionAt: now + wait, error: { code: err.code, message: err.message } }, {
          kind: 'error',
          message: `${kindWords(err.kind)}: ${err.message}. Nothing was created; sending again in ${Math.round(wait / 1000)} s.`,
          errorCode: 'submit_retry',
          requestId,
        });
      }
      break;
    }
    case 'unknown_outcome':
      jobs.transition(job.id, 'submit_unknown', { lostAnswers: job.lostAnswers + 1, nextActionAt: now + ctx.wait(3_000), error: { code: err.code, message: err.message } }, {
        kind: 'error',
        message: `${err.message}. It will not be sent again blindly: checking with ${name} first.`,
        errorCode: err.code,
        requestId,
      });
      break;
    default:
      jobs.transition(job.id, 'failed', { error: { code: err.code, message: err.message }, finishedAt: now, nextActionAt: null }, {
        kind: 'error',
        message: `${name} refused the job: ${err.message}`,
        errorCode: err.code,
        requestId,
      });
  }
  ctx.notify.markChanged(job.id);
}

function kindWords(kind: ProviderError['kind']): string {
  return kind === 'rate_limit' ? 'Rate limited' : kind === 'concurrency_limit' ? 'Too many jobs running at the provider' : 'Temporary problem';
}
