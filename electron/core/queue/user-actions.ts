import { whyNot } from '../../../shared/actions';
import type { JobAction } from '../../../shared/contract';
import { PROVIDER_NAMES } from '../../../shared/providers';
import { moveWithin } from '../../../shared/reorder';
import { idempotencyKeyFor, type JobInternal } from '../db/jobs';
import { toAdapterJob, type StageContext } from './context';

/**
 * What the user does to jobs (the interface's buttons, the CLI's commands). Whether an action is allowed,
 * and the words for why not, come from the one table in shared/actions.ts; this stage adds only what the
 * provider can do (cancel there, an approval step) and carries the action out.
 */

export type ActResult = { changed: number; skipped: { id: string; reason: string }[] };

/** Applies a user action to many jobs; returns what changed and why the rest did not. */
export async function act(ctx: StageContext, ids: readonly string[], action: JobAction): Promise<ActResult> {
  const skipped: { id: string; reason: string }[] = [];
  let changed = 0;
  for (const id of ids) {
    const job = ctx.jobs.get(id);
    if (!job) {
      skipped.push({ id, reason: 'no such job' });
      continue;
    }
    try {
      const reason = await actOne(ctx, job, action);
      if (reason) skipped.push({ id, reason });
      else changed++;
    } catch (e) {
      skipped.push({ id, reason: (e as Error).message });
    }
    ctx.notify.markChanged(id);
  }
  return { changed, skipped };
}

/**
 * Moves waiting jobs to the top or bottom of their provider's line, or one place up or down (or before
 * a job they were dropped on) among their batch's waiting jobs, in the order the queue shows them.
 */
export function reorder(ctx: StageContext, ids: readonly string[], position: 'top' | 'bottom' | 'up' | 'down' | 'before', before?: string): void {
  const all = ctx.jobs.list({ statuses: ['queued', 'paused', 'draft'] });
  if (position === 'top' || position === 'bottom') {
    const prios = all.map((j) => j.priority);
    const min = prios.length ? Math.min(...prios) : 0;
    const max = prios.length ? Math.max(...prios) : 0;
    ids.forEach((id, i) => ctx.jobs.setPriority(id, position === 'top' ? min - ids.length + i : max + 1 + i));
  } else {
    const moving = new Set(ids);
    for (const batchId of new Set(all.filter((j) => moving.has(j.id)).map((j) => j.batchId))) {
      const line = all.filter((j) => j.batchId === batchId).sort((a, b) => a.priority - b.priority || a.row - b.row);
      const next = moveWithin(line.map((j) => j.id), ids, position === 'before' ? { before: before ?? '' } : position);
      // Numbered from the batch's first priority: the batch keeps its place among other batches.
      const base = line[0]!.priority;
      const prio = new Map(line.map((j) => [j.id, j.priority]));
      next.forEach((id, i) => prio.get(id) !== base + i && ctx.jobs.setPriority(id, base + i));
      next.forEach((id) => ctx.notify.markChanged(id));
    }
  }
  ids.forEach((id) => ctx.notify.markChanged(id));
}

/** A fresh attempt: a new idempotency key, and the tries of the last attempt forgotten. */
function newAttempt(job: JobInternal): Readonly<{ attempt: number; idempotencyKey: string; submitTries: 0; reconcileTries: 0 }> {
  const attempt = job.attempt + 1;
  return { attempt, idempotencyKey: idempotencyKeyFor(job.id, attempt), submitTries: 0, reconcileTries: 0 };
}

async function actOne(ctx: StageContext, job: JobInternal, action: JobAction): Promise<string | null> {
  const refused = whyNot(job, action);
  if (refused) return refused;
  const { jobs } = ctx;
  const now = ctx.now();
  const name = PROVIDER_NAMES[job.provider];
  const adapter = ctx.adapters.get(job.provider);
  const s = job.status;
  switch (action) {
    case 'cancel': {
      let note = 'Canceled by you.';
      if (job.providerJobId && (s === 'running' || s === 'stalled' || s === 'paused' || s === 'awaiting_approval')) {
        if (adapter?.cancel) {
          try {
            await adapter.cancel(toAdapterJob(job), ctx.contextFor(job.provider, ctx.signal));
            note = `Canceled by you, and at ${name}.`;
          } catch (e) {
            note = `Canceled by you. ${name} could not cancel it (${(e as Error).message}); it may still finish and be charged.`;
          }
        } else note = `Canceled by you. ${name} has no way to cancel a job; it may still finish and be charged.`;
      }
      ctx.downloads.aborts.get(job.id)?.abort();
      jobs.transition(job.id, 'canceled', { nextActionAt: null, finishedAt: now }, { message: note });
      return null;
    }
    case 'retry': {
      if (s === 'failed' && job.error?.code === 'download_failed') {
        jobs.transition(job.id, 'downloading', { nextActionAt: now, downloadAttempts: 0, error: null, finishedAt: null }, { message: 'Retrying the download (the render is not repeated).' });
        return null;
      }
      const next = newAttempt(job);
      jobs.transition(
        job.id,
        'queued',
        {
          ...next,
          providerJobId: null,
          providerStatus: null,
          providerState: {},
          progress: null,
          etaSec: null,
          error: null,
          costUsed: null,
          outputId: null,
          finishedAt: null,
          submittedAt: null,
          downloadAttempts: 0,
          pollCount: 0,
          nextActionAt: now,
        },
        { message: `Retry requested (attempt ${next.attempt}).` },
      );
      return null;
    }
    case 'pause':
      jobs.transition(job.id, 'paused', { nextActionAt: null }, { message: s === 'running' ? `Paused: no longer checking ${name} (the render goes on there).` : 'Paused: it will not be sent.' });
      return null;
    case 'resume':
      if (job.providerJobId) jobs.transition(job.id, 'running', { nextActionAt: now, lastProgressAt: now }, { message: 'Resumed: checking the provider again.' });
      else jobs.transition(job.id, 'queued', { nextActionAt: now }, { message: 'Resumed.' });
      return null;
    case 'keep_waiting':
      jobs.transition(job.id, 'running', { nextActionAt: now, lastProgressAt: now }, { message: 'You chose to keep waiting.' });
      return null;
    case 'mark_failed':
      jobs.transition(job.id, 'failed', { nextActionAt: null, finishedAt: now, error: { code: 'marked_failed', message: 'Marked failed by you' } }, { message: 'Marked failed by you.' });
      return null;
    case 'resubmit':
      jobs.transition(job.id, 'queued', { ...newAttempt(job), nextActionAt: now, error: null }, {
        message: 'You chose to send it again, accepting that the provider may have received the first request.',
      });
      return null;
    case 'reconcile':
      jobs.update(job.id, { nextActionAt: now, awaiting: 'none' }, { message: 'Checking with the provider again.' });
      return null;
    case 'approve': {
      if (!adapter?.approve) return `${name} has no approval step`;
      const res = await adapter.approve(toAdapterJob(job), ctx.contextFor(job.provider, ctx.signal));
      const providerState = { ...job.providerState, ...(res?.providerState ?? {}), preview: undefined };
      jobs.transition(job.id, 'running', { providerStatus: 'approved', providerState, nextActionAt: now + ctx.wait(2_000), lastProgressAt: now }, {
        message: 'Preview approved: rendering the final video.',
      });
      return null;
    }
    case 'release':
      jobs.transition(job.id, 'queued', { nextActionAt: now }, { message: 'Released to the queue.' });
      return null;
  }
}
