import type { JobStatus } from '../../../shared/lifecycle';
import type { JobInternal } from '../db/jobs';
import type { StageContext } from './context';

/**
 * The one rule for jobs that were left claimed with no task: after a restart (a crash included) and
 * after the data folder could not be written for a while. Either way a job's task may have ended
 * without recording its outcome, and the same question is asked of every job the engine works on:
 *
 *  - `submitting`: was its create request sent? Not yet (no `request_sent_at`): sent again now. Yes: the
 *    provider may have it, so it is checked there first (submit_unknown → reconcile); never sent twice.
 *  - queued, running, downloading, submit_unknown with no next action: given one now (renders go on at
 *    the provider while we are away: polled again by their provider id) — unless the job waits for the
 *    user (`awaiting`: a decision about a lost answer). Statuses that wait for the user by themselves
 *    (draft, paused, stalled, awaiting_approval) and finished jobs are not looked at.
 *
 * Jobs a task of this run is still working on (`busy`) are left alone. Returns how many jobs it changed.
 */

/** The statuses in which the engine, not the user, owes a job its next step. */
export const ENGINE_OWNED: readonly JobStatus[] = ['queued', 'running', 'downloading', 'submit_unknown'];

export function needsRescheduling(j: JobInternal, busy: ReadonlySet<string>): 'resend' | 'check' | 'wake' | null {
  if (busy.has(j.id)) return null;
  if (j.status === 'submitting') return j.requestSentAt === null ? 'resend' : 'check';
  if (!ENGINE_OWNED.includes(j.status) || j.nextActionAt !== null || j.awaiting === 'user') return null;
  return 'wake';
}

export function reschedule(ctx: Pick<StageContext, 'jobs' | 'notify'>, now: number, why: string, busy: ReadonlySet<string>): number {
  const { jobs } = ctx;
  let changed = 0;
  for (const j of jobs.list({ statuses: ['submitting', ...ENGINE_OWNED] })) {
    const step = needsRescheduling(j, busy);
    if (!step) continue;
    if (step === 'check') {
      jobs.transition(j.id, 'submit_unknown', { nextActionAt: now }, { message: `${why} Checking with the provider before anything is sent again.` });
    } else if (step === 'resend') {
      jobs.transition(j.id, 'queued', { nextActionAt: now }, { message: `${why} Its request had not been sent yet, so it is simply sent now.` });
    } else jobs.setNextAction([j.id], now);
    ctx.notify.markChanged(j.id);
    changed++;
  }
  return changed;
}
