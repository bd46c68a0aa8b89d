import type { JobAction } from './contract';
import { isTerminal, STATUS_LABELS, type JobStatus } from './lifecycle';
import type { JobRecord } from './model';

/**
 * What a user may do with a job, and why not: the one table the engine (which refuses with `whyNot`'s
 * words), the interface (which shows `availableActions` as buttons) and the CLI (its command words)
 * all read. Pure: it looks only at the job's public record, so the renderer can use it as is.
 *
 * What the provider can do (cancel at the provider, an approval step) is not known here: the engine
 * adds those answers after this table said yes.
 */

/** The part of a job that decides what may be done with it. */
export type ActionJob = Pick<JobRecord, 'status' | 'error'>;

/** A render whose download failed for good: "retry" downloads it again, never renders it again. */
function downloadFailed(job: ActionJob): boolean {
  return job.status === 'failed' && job.error?.code === 'download_failed';
}

const lower = (s: JobStatus): string => STATUS_LABELS[s].toLowerCase();

/** Each action's rule: null when allowed, else the reason in the user's words. */
const RULES: Readonly<Record<JobAction, (job: ActionJob) => string | null>> = {
  cancel: ({ status: s }) => {
    if (isTerminal(s)) return `already ${lower(s)}`;
    // Its create request may be on the wire: canceling now could lose a render the provider starts.
    if (s === 'submitting') return 'it is being sent right now; cancel it again in a moment';
    return null;
  },
  retry: (job) => {
    if (downloadFailed(job)) return null;
    return job.status === 'failed' || job.status === 'canceled' ? null : `only failed or canceled jobs can be retried (this one is ${lower(job.status)})`;
  },
  pause: ({ status: s }) => (s === 'queued' || s === 'running' ? null : 'only queued or rendering jobs can be paused'),
  resume: ({ status: s }) => (s === 'paused' ? null : 'not paused'),
  keep_waiting: ({ status: s }) => (s === 'stalled' ? null : 'not stalled'),
  mark_failed: ({ status: s }) => (s === 'stalled' || s === 'submit_unknown' ? null : 'only stalled jobs or jobs that need a decision can be marked failed'),
  resubmit: ({ status: s }) => (s === 'submit_unknown' ? null : 'only jobs that need a decision can be sent again this way'),
  reconcile: ({ status: s }) => (s === 'submit_unknown' ? null : 'this job does not need checking'),
  approve: ({ status: s }) => (s === 'awaiting_approval' ? null : 'no preview is waiting for approval'),
  release: ({ status: s }) => (s === 'draft' ? null : 'not a draft'),
};

/** Why `action` cannot be done to `job` now, in the user's words; null when it can. */
export function whyNot(job: ActionJob, action: JobAction): string | null {
  return RULES[action](job);
}

/** Plain-language button labels. */
export const ACTION_LABELS: Readonly<Record<JobAction, string>> = {
  cancel: 'Cancel',
  retry: 'Retry',
  pause: 'Pause',
  resume: 'Resume',
  keep_waiting: 'Keep waiting',
  mark_failed: 'Mark failed',
  resubmit: 'Send again',
  reconcile: 'Check again',
  approve: 'Approve preview',
  release: 'Render',
};

/** The label of an action for this job ("Retry" of a failed download downloads again). */
export function actionLabel(job: ActionJob, action: JobAction): string {
  return action === 'retry' && downloadFailed(job) ? 'Download again' : ACTION_LABELS[action];
}

/** The CLI's word for each action, and what it prints after doing it. */
export const ACTION_COMMANDS: Readonly<Record<JobAction, Readonly<{ command: string; done: string }>>> = {
  cancel: { command: 'cancel', done: 'canceled' },
  retry: { command: 'retry', done: 'queued again' },
  pause: { command: 'pause', done: 'paused' },
  resume: { command: 'resume', done: 'resumed' },
  resubmit: { command: 'send-again', done: 'sent again (the provider may have received the first request)' },
  mark_failed: { command: 'mark-failed', done: 'marked failed' },
  reconcile: { command: 'check-again', done: 'checked with the provider again' },
  keep_waiting: { command: 'keep-waiting', done: 'waiting again' },
  approve: { command: 'approve', done: 'approved for the final render' },
  release: { command: 'release', done: 'released to the queue' },
};

/** The action a CLI word names, or undefined. */
export function actionForCommand(command: string): JobAction | undefined {
  return (Object.keys(ACTION_COMMANDS) as JobAction[]).find((a) => ACTION_COMMANDS[a].command === command);
}

/**
 * The choices each status offers, most useful first. `weighty` ones (it may be charged twice, it gives
 * up on a render that may still finish) are offered only where the job is explained (its details), never
 * as a quick button on a row. Other allowed actions (cancel a paused job…) stay available by command.
 */
const OFFERS: Readonly<Partial<Record<JobStatus, Readonly<{ quick: readonly JobAction[]; weighty?: readonly JobAction[] }>>>> = {
  failed: { quick: ['retry'] },
  canceled: { quick: ['retry'] },
  stalled: { quick: ['keep_waiting', 'cancel'], weighty: ['mark_failed'] },
  submit_unknown: { quick: ['reconcile', 'mark_failed'], weighty: ['resubmit'] },
  paused: { quick: ['resume'] },
  draft: { quick: ['release'] },
  queued: { quick: ['pause', 'cancel'] },
  running: { quick: ['cancel'] },
  awaiting_approval: { quick: ['approve'] },
};

export type OfferedAction = Readonly<{ action: JobAction; label: string; weighty: boolean }>;

/** What the interface offers for a job now: quick choices first, then the weighty ones. */
export function availableActions(job: ActionJob): readonly OfferedAction[] {
  const o = OFFERS[job.status];
  if (!o) return [];
  const offer = (weighty: boolean) => (action: JobAction) => ({ action, label: actionLabel(job, action), weighty });
  return [...o.quick.map(offer(false)), ...(o.weighty ?? []).map(offer(true))];
}
