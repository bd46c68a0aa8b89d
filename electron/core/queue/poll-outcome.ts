import { PROVIDER_NAMES } from '../../../shared/providers';
import type { JobInternal, JobPatch } from '../db/jobs';
import type { PollResult, ProviderAdapter } from '../providers/types';
import { fmtMoney, type StageContext } from './context';
import { isStalled, nextPollDelayMs } from './policy';

/**
 * What a provider's word about a render means for the job: the one place where a status check's
 * outcome becomes a lifecycle step. Used by the poll stage for every answer, and by the submit stage
 * when the create's own answer already says more than "queued".
 *
 *   queued / running   → still running: progress recorded, the next check planned (policy.ts), or
 *                        `stalled` after the stall time without progress
 *   awaiting_approval  → `awaiting_approval`: nothing is checked until the user approves (the adapter's
 *                        word becomes the lifecycle's state here, and nowhere else)
 *   succeeded          → `downloading` (the download stage takes it from there)
 *   failed, canceled   → the same, with the provider's reason
 *   not_found          → rendered again where that costs nothing (spec.retryLostJobs), else failed
 *
 * A seam: whatever should happen when a render's state is learnt (an estimate of the time left, a
 * deadline) belongs here, in one function, not in the stages that ask.
 */
export function applyPollOutcome(ctx: StageContext, adapter: ProviderAdapter, job: JobInternal, r: PollResult): void {
  const { jobs } = ctx;
  const spec = adapter.describe();
  const name = PROVIDER_NAMES[job.provider];
  const now = ctx.now();
  const state = { ...job.providerState, ...(r.providerState ?? {}), ...(r.preview ? { preview: r.preview } : {}) };
  const cost = r.costUsed?.amount ?? null;
  const requestId = r.requestId ?? null;
  switch (r.state) {
    case 'queued':
    case 'running': {
      const moved = r.rawStatus !== job.providerStatus || (r.progress ?? null) !== job.progress;
      const lastProgressAt = moved ? now : job.lastProgressAt;
      if (isStalled({ now, lastProgressAt, submittedAt: job.submittedAt, stallMs: ctx.stallMs() })) {
        jobs.transition(job.id, 'stalled', { providerStatus: r.rawStatus, providerState: state, nextActionAt: null }, {
          message: `No progress from ${name} for ${Math.round((now - (lastProgressAt ?? now)) / 60_000)} min (status "${r.rawStatus}"). Keep waiting, cancel it, or mark it failed.`,
        });
        ctx.emit('notice', { level: 'warn', message: `"${job.input.title}" looks stuck at ${name}.`, batchId: job.batchId });
        break;
      }
      // Policy works in provider time; the engine's time scale converts it (1 in real use).
      const elapsed = (now - (job.submittedAt ?? now)) / ctx.timeScale;
      const delay = ctx.wait(nextPollDelayMs({ elapsedMs: elapsed, progress: r.progress ?? null, etaSec: r.etaSec ?? null, providerHintMs: r.nextPollMs ?? null, spec }));
      const patch: JobPatch = {
        providerStatus: r.rawStatus,
        providerState: state,
        progress: r.progress ?? job.progress,
        etaSec: r.etaSec ?? null,
        nextActionAt: now + delay,
        lastProgressAt,
        pollCount: 0,
        ...(cost !== null ? { costUsed: cost } : {}),
      };
      if (r.rawStatus !== job.providerStatus) jobs.transition(job.id, 'running', patch, { kind: 'progress', message: `${name}: ${r.rawStatus}`, requestId });
      else jobs.update(job.id, patch);
      break;
    }
    case 'awaiting_approval':
      jobs.transition(job.id, 'awaiting_approval', { providerStatus: r.rawStatus, providerState: state, nextActionAt: null, lastProgressAt: now }, {
        kind: 'progress',
        message: `Preview ready at ${name}: approve it to render the final video${r.preview ? ` (${r.preview.url})` : ''}.`,
        requestId,
      });
      ctx.emit('notice', { level: 'info', message: `A preview of "${job.input.title}" waits for your approval.`, batchId: job.batchId });
      break;
    case 'succeeded':
      jobs.transition(
        job.id,
        'downloading',
        { providerStatus: r.rawStatus, providerState: state, progress: 1, etaSec: null, nextActionAt: now, ...(cost !== null ? { costUsed: cost } : {}) },
        { message: `Rendered by ${name}${cost !== null ? ` (cost ${fmtMoney({ amount: cost, unit: spec.costUnit })})` : ''}; downloading.`, requestId },
      );
      break;
    case 'failed':
      jobs.transition(
        job.id,
        'failed',
        {
          providerStatus: r.rawStatus,
          providerState: state,
          nextActionAt: null,
          finishedAt: now,
          error: { code: r.error?.code ?? r.rawStatus.toLowerCase(), message: r.error?.message ?? `${name} reported ${r.rawStatus} without a reason` },
          ...(cost !== null ? { costUsed: cost } : {}),
        },
        { kind: 'error', message: `${name}: ${r.error?.message ?? r.rawStatus}`, errorCode: r.error?.code ?? null, requestId },
      );
      break;
    case 'canceled':
      jobs.transition(job.id, 'canceled', { providerStatus: r.rawStatus, nextActionAt: null, finishedAt: now }, { message: `${name} reports the job canceled.`, requestId });
      break;
    case 'not_found':
      if (spec.retryLostJobs) {
        jobs.transition(job.id, 'queued', { providerJobId: null, providerState: {}, nextActionAt: now, progress: null }, {
          message: `${name} lost this render (${r.error?.message ?? 'not found'}); it costs nothing to redo, so it is queued again.`,
        });
      } else {
        jobs.transition(
          job.id,
          'failed',
          {
            nextActionAt: null,
            finishedAt: now,
            error: { code: 'provider_not_found', message: `${name} says job ${job.providerJobId ?? ''} does not exist${r.error?.message ? ` (${r.error.message})` : ''}` },
          },
          { kind: 'error', message: `${name} no longer knows this job.`, errorCode: 'provider_not_found', requestId },
        );
      }
      break;
  }
  ctx.notify.markChanged(job.id);
}
