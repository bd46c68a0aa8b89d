import { describe, expect, it } from 'vitest';
import { ACTION_COMMANDS, ACTION_LABELS, actionForCommand, actionLabel, availableActions, whyNot, type ActionJob } from '../../shared/actions';
import { JOB_ACTIONS, type JobAction } from '../../shared/contract';
import { JOB_STATUSES, type JobStatus } from '../../shared/lifecycle';

/**
 * The one table of what a user may do with a job. The expected rules are written out here again,
 * independently: a change to what a job allows must be made in both places on purpose.
 */
const ALLOWED: Readonly<Record<JobAction, readonly JobStatus[]>> = {
  cancel: ['draft', 'queued', 'running', 'downloading', 'paused', 'stalled', 'submit_unknown', 'awaiting_approval'],
  retry: ['failed', 'canceled'],
  pause: ['queued', 'running'],
  resume: ['paused'],
  keep_waiting: ['stalled'],
  mark_failed: ['stalled', 'submit_unknown'],
  resubmit: ['submit_unknown'],
  reconcile: ['submit_unknown'],
  approve: ['awaiting_approval'],
  release: ['draft'],
};

const job = (status: JobStatus, errorCode?: string): ActionJob => ({ status, error: errorCode ? { code: errorCode, message: 'x' } : null });

describe('whyNot', () => {
  const cases = JOB_ACTIONS.flatMap((a) => JOB_STATUSES.map((s) => [a, s] as const));
  it.each(cases)('%s on a %s job', (action, status) => {
    const reason = whyNot(job(status), action);
    if (ALLOWED[action].includes(status)) expect(reason).toBeNull();
    else expect(reason).toMatch(/\S/);
  });

  it('says why in the words the engine and the CLI print', () => {
    expect(whyNot(job('completed'), 'cancel')).toBe('already done');
    expect(whyNot(job('submitting'), 'cancel')).toBe('it is being sent right now; cancel it again in a moment');
    expect(whyNot(job('running'), 'retry')).toBe('only failed or canceled jobs can be retried (this one is rendering)');
    expect(whyNot(job('running'), 'approve')).toBe('no preview is waiting for approval');
    expect(whyNot(job('queued'), 'resubmit')).toBe('only jobs that need a decision can be sent again this way');
  });
});

describe('availableActions', () => {
  it('offers only what whyNot allows, each once', () => {
    for (const s of JOB_STATUSES) {
      for (const code of [undefined, 'download_failed']) {
        const offered = availableActions(job(s, code));
        expect(new Set(offered.map((o) => o.action)).size).toBe(offered.length);
        for (const o of offered) expect(whyNot(job(s, code), o.action)).toBeNull();
      }
    }
  });

  it('offers every status that waits for the user a way on', () => {
    for (const s of ['failed', 'canceled', 'stalled', 'submit_unknown', 'paused', 'draft', 'awaiting_approval'] as const) {
      expect(availableActions(job(s)).filter((o) => !o.weighty).length).toBeGreaterThan(0);
    }
    expect(availableActions(job('completed'))).toEqual([]);
    expect(availableActions(job('submitting'))).toEqual([]);
  });

  it('keeps choices that may cost twice or give up out of the quick buttons', () => {
    expect(availableActions(job('submit_unknown'))).toEqual([
      { action: 'reconcile', label: 'Check again', weighty: false },
      { action: 'mark_failed', label: 'Mark failed', weighty: false },
      { action: 'resubmit', label: 'Send again', weighty: true },
    ]);
    expect(availableActions(job('stalled')).map((o) => [o.action, o.weighty])).toEqual([
      ['keep_waiting', false],
      ['cancel', false],
      ['mark_failed', true],
    ]);
    expect(availableActions(job('awaiting_approval'))).toEqual([{ action: 'approve', label: 'Approve preview', weighty: false }]);
  });

  it('calls the retry of a failed download "Download again"', () => {
    expect(actionLabel(job('failed', 'download_failed'), 'retry')).toBe('Download again');
    expect(availableActions(job('failed', 'download_failed'))).toEqual([{ action: 'retry', label: 'Download again', weighty: false }]);
    expect(actionLabel(job('failed', 'refused'), 'retry')).toBe('Retry');
  });
});

describe('labels and CLI words', () => {
  it('has a label and a distinct CLI word for every action, and finds the action by its word', () => {
    for (const a of JOB_ACTIONS) expect(ACTION_LABELS[a]).toMatch(/\S/);
    const words = JOB_ACTIONS.map((a) => ACTION_COMMANDS[a].command);
    expect(new Set(words).size).toBe(words.length);
    for (const a of JOB_ACTIONS) expect(actionForCommand(ACTION_COMMANDS[a].command)).toBe(a);
    expect(actionForCommand('send-again')).toBe('resubmit');
    expect(actionForCommand('jobs')).toBeUndefined();
  });
});
