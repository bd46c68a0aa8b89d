import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  IllegalTransitionError,
  isJobStatus,
  isTerminal,
  JOB_STATUSES,
  STATUS_LABELS,
  TERMINAL_STATUSES,
  type JobStatus,
} from '../../shared/lifecycle';

/**
 * The expected state machine, written out independently of shared/lifecycle.ts: a change to the
 * lifecycle must be made in both places on purpose.
 */
const LEGAL: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  draft: ['queued', 'canceled'],
  queued: ['submitting', 'paused', 'canceled', 'failed'],
  submitting: ['running', 'queued', 'failed', 'submit_unknown', 'canceled'],
  running: ['running', 'downloading', 'failed', 'canceled', 'stalled', 'paused', 'queued', 'awaiting_approval'],
  downloading: ['downloading', 'completed', 'failed', 'canceled'],
  completed: [],
  failed: ['queued', 'downloading'],
  canceled: ['queued'],
  paused: ['queued', 'running', 'canceled'],
  stalled: ['running', 'failed', 'canceled'],
  submit_unknown: ['running', 'queued', 'failed', 'canceled'],
  awaiting_approval: ['running', 'canceled'],
};

const pairs = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => [from, to] as const));
const legalPairs = pairs.filter(([from, to]) => LEGAL[from].includes(to));
const illegalPairs = pairs.filter(([from, to]) => !LEGAL[from].includes(to));

describe('job lifecycle', () => {
  it('knows every status exactly once', () => {
    expect(new Set(JOB_STATUSES).size).toBe(JOB_STATUSES.length);
    expect(Object.keys(LEGAL).sort()).toEqual([...JOB_STATUSES].sort());
  });

  it.each(legalPairs)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each(illegalPairs)('refuses %s → %s with IllegalTransitionError', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let thrown: unknown;
    try {
      assertTransition(from, to);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(IllegalTransitionError);
    const err = thrown as IllegalTransitionError;
    expect(err.from).toBe(from);
    expect(err.to).toBe(to);
    expect(err.message).toContain(`${from} → ${to}`);
    expect(err.name).toBe('IllegalTransitionError');
  });

  it('has illegal moves at all (the table is not a free-for-all)', () => {
    expect(illegalPairs.length).toBeGreaterThan(80);
    expect(canTransition('completed', 'queued')).toBe(false);
    expect(canTransition('queued', 'completed')).toBe(false);
  });

  it('treats completed, failed and canceled as terminal, and completed as final', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['canceled', 'completed', 'failed']);
    for (const s of JOB_STATUSES) expect(isTerminal(s)).toBe(TERMINAL_STATUSES.includes(s));
    expect(LEGAL.completed).toEqual([]);
  });

  it('recognises status strings', () => {
    for (const s of JOB_STATUSES) expect(isJobStatus(s)).toBe(true);
    for (const v of ['', 'done', 'QUEUED', null, undefined, 3, {}]) expect(isJobStatus(v)).toBe(false);
  });

  it('has a label for every status', () => {
    for (const s of JOB_STATUSES) expect(STATUS_LABELS[s]).toMatch(/\S/);
  });
});
