import { PROVIDER_NAMES } from '../../../shared/providers';
import type { JobInternal } from '../db/jobs';
import type { ProviderAdapter } from '../providers/types';
import { asStorageError } from '../storage';
import { asProviderError, toAdapterJob, type StageContext } from './context';
import { backoffMs } from './policy';

/**
 * The reconcile stage: a create request whose answer was lost (`submit_unknown`) is looked up at the
 * provider before anything is sent again. Found: running, nothing sent twice. Provably absent: sent
 * again. Neither: the user decides (`awaiting = 'user'`), as after checks that keep failing.
 */

const MAX_RECONCILE_TRIES = 6;
/** Proven-safe resends after lost answers before a job is given up on. */
const MAX_RESENDS = 3;

export function startReconciles(ctx: StageContext, now: number): void {
  for (const job of ctx.jobs.due('submit_unknown', now, 20)) {
    const adapter = ctx.adapters.get(job.provider);
    if (!adapter) continue;
    ctx.jobs.setNextAction([job.id], null);
    ctx.tasks.track(reconcile(ctx, adapter, job), [job.id]);
  }
}

async function reconcile(ctx: StageContext, adapter: ProviderAdapter, job: JobInternal): Promise<void> {
  const { jobs } = ctx;
  const name = PROVIDER_NAMES[job.provider];
  const now = ctx.now;
  try {
    const r = await adapter.reconcile(toAdapterJob(job), ctx.contextFor(job.provider, ctx.signal));
    // The adapter's evidence is a sentence of its own: no ".." when it is followed by ours.
    const evidence = r.evidence.replace(/\.+$/, '');
    if (r.outcome === 'found') {
      jobs.transition(
        job.id,
        'running',
        { providerJobId: r.providerJobId, providerState: { ...job.providerState, ...(r.providerState ?? {}) }, nextActionAt: now(), lastProgressAt: now(), error: null },
        { message: `Found at ${name} as ${r.providerJobId}: ${evidence}. Nothing was sent twice.` },
      );
    } else if (r.outcome === 'absent') {
      // Answers the provider lost (resets, timeouts…), not Talkbatch's own restarts: an app killed
      // three times while sending is no reason to give up on a job.
      const resends = job.lostAnswers - 1;
      if (resends >= MAX_RESENDS) {
        jobs.transition(job.id, 'failed', { error: { code: 'submit_failed', message: `Sending to ${name} kept failing: ${job.error?.message ?? 'unknown reason'}` }, finishedAt: now(), nextActionAt: null }, {
          kind: 'error',
          message: `Gave up after ${resends} proven-safe resends.`,
          errorCode: 'submit_failed',
        });
      } else {
        jobs.transition(job.id, 'queued', { nextActionAt: now() }, { message: `Not at ${name}: ${evidence}. Safe to send again.`, errorCode: 'reconcile_absent' });
      }
    } else {
      // Still submit_unknown (not a status change: the state machine has no submit_unknown → submit_unknown).
      jobs.update(job.id, { nextActionAt: null, awaiting: 'user' }, {
        message: `Could not prove whether ${name} received this job: ${evidence}. Your decision: send it again (may be charged twice) or mark it failed.`,
        errorCode: 'reconcile_unknown',
      });
      ctx.emit('notice', { level: 'warn', message: `"${job.input.title}" needs a decision: ${name} may or may not have received it.`, batchId: job.batchId });
    }
  } catch (e) {
    if (asStorageError(e, '')) throw e;
    const err = asProviderError(e, name);
    const tries = job.reconcileTries + 1;
    if (err.kind === 'rate_limit') ctx.pools.backOff(job.provider, err, tries);
    const giveUp = tries >= MAX_RECONCILE_TRIES || err.kind === 'auth' || err.kind === 'permanent';
    jobs.update(
      job.id,
      { reconcileTries: tries, awaiting: giveUp ? 'user' : 'none', nextActionAt: giveUp ? null : now() + (err.retryAfterMs ?? ctx.wait(backoffMs(tries, 3_000, 5 * 60_000, ctx.rand))) },
      {
        kind: 'error',
        message: giveUp
          ? `Could not check with ${name} (${err.message}). Your decision: check again, send again, or mark failed.`
          : `Checking with ${name} failed (${err.message}); trying again.`,
        // The timeline's words for the audit; the decision itself is the `awaiting` column.
        errorCode: giveUp ? 'reconcile_failed' : 'reconcile_retry',
        requestId: err.requestId ?? null,
      },
    );
  }
  ctx.notify.markChanged(job.id);
}
