import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchRepo } from '../../electron/core/db/batches';
import { JobRepo } from '../../electron/core/db/jobs';
import { openDatabase, type Db } from '../../electron/core/db/open';
import { Notifications } from '../../electron/core/queue/notifications';
import { reschedule } from '../../electron/core/queue/reschedule';

/**
 * The one reschedule rule, used after a restart and after a storage failure: what a job left claimed
 * with no task gets, decided from its columns (never from its timeline).
 */

let dir: string;
let db: Db;
let jobs: JobRepo;
let notify: Notifications;
const NOW = 5_000_000;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-resched-'));
  db = openDatabase(path.join(dir, 'talkbatch.db'));
  jobs = new JobRepo(db, () => NOW - 1_000);
  notify = new Notifications({ jobs, batches: new BatchRepo(db), queuePaused: () => false, emit: () => undefined });
});
afterEach(() => {
  notify.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function make(n: number): string[] {
  return jobs.createBatch({ name: 'B', source: null, budget: null, estimate: [] }, Array.from({ length: n }, (_, i) => ({ row: i + 1, provider: 'aisa' as const, input: { title: `t${i + 1}`, params: {} }, costEstimate: null, status: 'queued' as const }))).jobIds;
}
const send = (id: string) => jobs.transition(id, 'submitting', { nextActionAt: null }, { message: 'sending' });
const lastMessage = (id: string) => jobs.events(id).at(-1)!.message;

describe('reschedule', () => {
  it('sends again a job whose request never left, and checks first one whose request did', () => {
    const [never, sent] = make(2) as [string, string];
    send(never);
    send(sent);
    jobs.update(sent, { requestSentAt: NOW - 500 });
    expect(reschedule({ jobs, notify }, NOW, 'Stopped.', new Set())).toBe(2);
    expect(jobs.mustGet(never)).toMatchObject({ status: 'queued', nextActionAt: NOW });
    expect(lastMessage(never)).toBe('Stopped. Its request had not been sent yet, so it is simply sent now.');
    expect(jobs.mustGet(sent)).toMatchObject({ status: 'submit_unknown', nextActionAt: NOW, lostAnswers: 0 });
    expect(lastMessage(sent)).toBe('Stopped. Checking with the provider before anything is sent again.');
  });

  it('gives every job the engine owes a step and that has none a next action now', () => {
    const [queued, running, downloading, unknown, due] = make(5) as [string, string, string, string, string];
    jobs.setNextAction([queued], null);
    for (const id of [running, downloading]) {
      send(id);
      jobs.transition(id, 'running', { providerJobId: `p-${id}`, nextActionAt: null }, { message: 'accepted' });
    }
    jobs.transition(downloading, 'downloading', { nextActionAt: null }, { message: 'rendered' });
    send(unknown);
    jobs.transition(unknown, 'submit_unknown', { nextActionAt: null }, { message: 'lost', errorCode: 'network' });
    jobs.setNextAction([due], NOW + 60_000);
    expect(reschedule({ jobs, notify }, NOW, 'x', new Set())).toBe(4);
    for (const id of [queued, running, downloading, unknown]) expect(jobs.mustGet(id).nextActionAt).toBe(NOW);
    // A job that already has its next step keeps it.
    expect(jobs.mustGet(due).nextActionAt).toBe(NOW + 60_000);
  });

  it('leaves alone what waits for the user, and what a task is working on', () => {
    const [decision, stalled, paused, busySubmit, busyRunning] = make(5) as [string, string, string, string, string];
    send(decision);
    jobs.transition(decision, 'submit_unknown', { nextActionAt: null }, { message: 'lost', errorCode: 'network' });
    jobs.update(decision, { awaiting: 'user' }, { message: 'your decision', errorCode: 'reconcile_unknown' });
    send(stalled);
    jobs.transition(stalled, 'running', { providerJobId: 'p', nextActionAt: null }, { message: 'accepted' });
    jobs.transition(stalled, 'stalled', { nextActionAt: null }, { message: 'stuck' });
    jobs.transition(paused, 'paused', { nextActionAt: null }, { message: 'paused' });
    send(busySubmit);
    send(busyRunning);
    jobs.transition(busyRunning, 'running', { providerJobId: 'q', nextActionAt: null }, { message: 'accepted' });
    expect(reschedule({ jobs, notify }, NOW, 'x', new Set([busySubmit, busyRunning]))).toBe(0);
    expect(jobs.mustGet(decision)).toMatchObject({ status: 'submit_unknown', nextActionAt: null, awaiting: 'user' });
    expect(jobs.mustGet(stalled)).toMatchObject({ status: 'stalled', nextActionAt: null });
    expect(jobs.mustGet(paused)).toMatchObject({ status: 'paused', nextActionAt: null });
    expect(jobs.mustGet(busySubmit).status).toBe('submitting');
    expect(jobs.mustGet(busyRunning).nextActionAt).toBeNull();
  });

  it('decides from the columns, not from the timeline', () => {
    const [id] = make(1) as [string];
    send(id);
    // A timeline that says "sent", with no column to match: release 1's mark is not read any more.
    jobs.addEvent(id, { message: 'Request sent', errorCode: 'request_sent' });
    reschedule({ jobs, notify }, NOW, 'x', new Set());
    expect(jobs.mustGet(id).status).toBe('queued');
  });

  it('a change of status ends waiting for the user', () => {
    const [id] = make(1) as [string];
    send(id);
    jobs.transition(id, 'submit_unknown', { nextActionAt: null, awaiting: 'user' }, { message: 'lost' });
    expect(jobs.mustGet(id).awaiting).toBe('user');
    jobs.transition(id, 'queued', { nextActionAt: NOW }, { message: 'send again' });
    expect(jobs.mustGet(id).awaiting).toBe('none');
  });
});
