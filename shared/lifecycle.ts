/**
 * The one job state machine. Every status change anywhere in the app goes through `assertTransition`
 * (the job repository calls it inside the same transaction that writes the job_events row).
 *
 *   draft → queued → submitting → running → downloading → completed
 *   side states: failed, canceled, paused, stalled, submit_unknown, awaiting_approval
 */
export const JOB_STATUSES = [
  'draft',
  'queued',
  'submitting',
  'running',
  'downloading',
  'completed',
  'failed',
  'canceled',
  'paused',
  'stalled',
  'submit_unknown',
  'awaiting_approval',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'canceled'];

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  draft: ['queued', 'canceled'],
  // queued → paused (user pauses before submit); → failed (preflight at submit time, budget never fails it)
  queued: ['submitting', 'paused', 'canceled', 'failed'],
  // submitting → queued: the request provably never left (connection refused, 429 before acceptance).
  // submitting → submit_unknown: it may have reached the provider but no id was recorded.
  submitting: ['running', 'queued', 'failed', 'submit_unknown', 'canceled'],
  // running → running is allowed so progress updates can be recorded as events without a status change.
  // running → queued only for providers whose lost jobs cost nothing to redo (spec.retryLostJobs: local).
  // running → awaiting_approval: the provider rendered a preview and renders the paid video only once the
  // user approves it (Creatify templates).
  running: ['running', 'downloading', 'failed', 'canceled', 'stalled', 'paused', 'queued', 'awaiting_approval'],
  // downloading → failed only when the output is gone for good (the render itself is never repeated).
  downloading: ['downloading', 'completed', 'failed', 'canceled'],
  completed: [],
  // failed → queued is "retry": the same job, same inputs, a new idempotency key.
  // failed → downloading is "retry" of a job whose render succeeded but whose download failed:
  // the paid render is never repeated.
  failed: ['queued', 'downloading'],
  canceled: ['queued'],
  // paused → running: a job paused while the provider renders resumes polling (it was never abandoned).
  paused: ['queued', 'running', 'canceled'],
  stalled: ['running', 'failed', 'canceled'],
  // submit_unknown is resolved by reconcile (→ running), by the user (→ queued to submit again, → failed),
  // or canceled.
  submit_unknown: ['running', 'queued', 'failed', 'canceled'],
  // awaiting_approval is left by the user only: approve (→ running, the final render starts and is polled
  // again) or cancel. Nothing is checked meanwhile, so nothing can stall or fail it.
  awaiting_approval: ['running', 'canceled'],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: JobStatus,
    readonly to: JobStatus,
  ) {
    super(`Illegal job transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

/** Words a creator understands, used by the UI and the CLI. */
export const STATUS_LABELS: Readonly<Record<JobStatus, string>> = {
  draft: 'Draft',
  queued: 'Queued',
  submitting: 'Sending',
  running: 'Rendering',
  downloading: 'Downloading',
  completed: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
  paused: 'Paused',
  stalled: 'Stalled',
  submit_unknown: 'Needs a decision',
  awaiting_approval: 'Preview ready',
};
