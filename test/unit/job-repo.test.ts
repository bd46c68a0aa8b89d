import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../shared/lifecycle';
import type { JobInput, Money } from '../../shared/model';
import type { ProviderId } from '../../shared/providers';
import { idempotencyKeyFor, JobRepo, publicJob, type NewJob } from '../../electron/core/db/jobs';
import { openDatabase, type Db } from '../../electron/core/db/open';

let dir: string;
let db: Db;
let clock: number;
let jobs: JobRepo;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-jobs-'));
  db = openDatabase(path.join(dir, 'talkbatch.db'));
  clock = 1_000_000;
  jobs = new JobRepo(db, () => clock);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function input(title: string): JobInput {
  return { title, script: `Script of ${title}`, params: { aspect_ratio: '9:16' } };
}

function newJob(row: number, provider: ProviderId = 'local', over: Partial<NewJob> = {}): NewJob {
  return { row, provider, input: input(`Row ${row}`), costEstimate: null, status: 'queued', ...over };
}

function batch(name = 'Batch', budget: Money | null = null) {
  return { name, source: 'test.csv', budget, estimate: [] as Money[] };
}

describe('JobRepo.createBatch', () => {
  it('creates the batch, its jobs and one "added" event per job', () => {
    const { batch: b, jobIds } = jobs.createBatch(batch('First', { amount: 5, unit: 'USD' }), [newJob(1), newJob(2, 'sync', { status: 'draft' })]);
    expect(jobIds).toHaveLength(2);
    expect(b).toMatchObject({ name: 'First', createdAt: clock, budget: { amount: 5, unit: 'USD' } });
    const [a, d] = jobIds.map((id) => jobs.mustGet(id));
    expect(a).toMatchObject({ batchId: b.id, row: 1, provider: 'local', status: 'queued', attempt: 1, priority: 1, nextActionAt: clock, input: input('Row 1') });
    expect(a!.idempotencyKey).toBe(idempotencyKeyFor(a!.id, 1));
    // Drafts are held back: nothing for the scheduler to do until they are released.
    expect(d).toMatchObject({ status: 'draft', nextActionAt: null, provider: 'sync' });
    expect(jobs.events(a!.id)).toEqual([expect.objectContaining({ kind: 'transition', fromStatus: null, toStatus: 'queued', message: expect.stringContaining('row 1') })]);
    expect(jobs.events(d!.id)).toEqual([expect.objectContaining({ toStatus: 'draft' })]);
  });

  it('is all-or-nothing: an insert that fails mid-way leaves no batch, job or event behind', () => {
    jobs.createBatch(batch('Existing'), [newJob(1)]);
    const before = { batches: count('batches'), jobs: count('jobs'), events: count('job_events') };
    // The third job's insert fails inside SQLite, after the batch and two jobs were written.
    db.exec("CREATE TEMP TRIGGER fail_row_3 BEFORE INSERT ON jobs WHEN NEW.row = 3 BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END");
    expect(() => jobs.createBatch(batch('Broken'), [newJob(1), newJob(2), newJob(3), newJob(4)])).toThrow(/disk full/);
    expect({ batches: count('batches'), jobs: count('jobs'), events: count('job_events') }).toEqual(before);
    expect((db.prepare("SELECT count(*) AS n FROM batches WHERE name = 'Broken'").get() as { n: number }).n).toBe(0);
  });

  it('is all-or-nothing when a job cannot even be serialised', () => {
    const bad = newJob(2, 'local', { input: { title: 'x', params: { big: 10n } } as unknown as JobInput });
    expect(() => jobs.createBatch(batch('Broken'), [newJob(1), bad])).toThrow();
    expect(count('batches')).toBe(0);
    expect(count('jobs')).toBe(0);
    expect(count('job_events')).toBe(0);
  });
});

describe('JobRepo.transition', () => {
  it('changes the status and writes the job_events row', () => {
    const [id] = jobs.createBatch(batch(), [newJob(1)]).jobIds;
    clock += 10;
    const j = jobs.transition(id!, 'submitting', { nextActionAt: null }, { message: 'Sending', requestId: 'req-1' });
    expect(j).toMatchObject({ status: 'submitting', updatedAt: clock, nextActionAt: null });
    clock += 10;
    jobs.transition(id!, 'running', { providerJobId: 'p-42', submittedAt: clock }, { message: 'Accepted' });
    const events = jobs.events(id!);
    expect(events.map((e) => [e.fromStatus, e.toStatus])).toEqual([
      [null, 'queued'],
      ['queued', 'submitting'],
      ['submitting', 'running'],
    ]);
    expect(events[1]).toMatchObject({ kind: 'transition', message: 'Sending', requestId: 'req-1', at: 1_000_010 });
    // The provider id recorded in the same change is on its event.
    expect(events[2]).toMatchObject({ providerJobId: 'p-42', at: 1_000_020 });
    expect(jobs.mustGet(id!).providerJobId).toBe('p-42');
  });

  it('writes status and event in one transaction: if the event cannot be written, the status does not change', () => {
    const [id] = jobs.createBatch(batch(), [newJob(1)]).jobIds;
    db.exec("CREATE TEMP TRIGGER fail_event BEFORE INSERT ON job_events BEGIN SELECT RAISE(ABORT, 'event log full (simulated)'); END");
    expect(() => jobs.transition(id!, 'submitting', { providerStatus: 'x' }, { message: 'Sending' })).toThrow(/event log full/);
    const j = jobs.mustGet(id!);
    expect(j.status).toBe('queued');
    expect(j.providerStatus).toBeNull();
  });

  it('throws IllegalTransitionError on an illegal move and writes nothing', () => {
    const [id] = jobs.createBatch(batch(), [newJob(1)]).jobIds;
    const before = jobs.mustGet(id!);
    const eventsBefore = count('job_events');
    clock += 1000;
    expect(() => jobs.transition(id!, 'completed', { progress: 1, outputId: 'o1', error: { code: 'x', message: 'y' } }, { message: 'Done?' })).toThrow(IllegalTransitionError);
    expect(jobs.mustGet(id!)).toEqual(before);
    expect(count('job_events')).toBe(eventsBefore);
  });

  it('refuses to move an unknown job', () => {
    expect(() => jobs.transition('nope', 'queued', {}, { message: 'x' })).toThrow(/No job nope/);
  });

  it('stores and clears errors; publicJob hides adapter internals', () => {
    const [id] = jobs.createBatch(batch(), [newJob(1)]).jobIds;
    jobs.transition(id!, 'failed', { error: { code: 'bad_input', message: 'The avatar is broken' }, providerState: { secret: 'internal' } }, { message: 'Failed', errorCode: 'bad_input' });
    const failed = jobs.mustGet(id!);
    expect(failed.error).toEqual({ code: 'bad_input', message: 'The avatar is broken' });
    expect(jobs.events(id!).at(-1)).toMatchObject({ errorCode: 'bad_input', toStatus: 'failed' });
    const pub = publicJob(failed) as Record<string, unknown>;
    for (const k of ['providerState', 'idempotencyKey', 'nextActionAt', 'pollCount']) expect(pub).not.toHaveProperty(k);
    const retried = jobs.transition(id!, 'queued', { error: null, attempt: 2, idempotencyKey: idempotencyKeyFor(id!, 2) }, { message: 'Retry' });
    expect(retried.error).toBeNull();
    expect(retried.attempt).toBe(2);
    expect(retried.idempotencyKey).toBe(`tb-${id}-a2`);
  });
});

describe('JobRepo scheduling queries', () => {
  it('due() returns due jobs of a status, most urgent first, optionally per provider', () => {
    const { jobIds } = jobs.createBatch(batch(), [newJob(1), newJob(2), newJob(3, 'sync'), newJob(4), newJob(5)]);
    const [j1, j2, j3, j4, j5] = jobIds as [string, string, string, string, string];
    jobs.setNextAction([j1], 500);
    jobs.setNextAction([j2], 100);
    jobs.setNextAction([j3], 50);
    jobs.setNextAction([j4], 2000); // not due yet at 1000
    jobs.setNextAction([j5], null); // held (e.g. waiting for a key)
    expect(jobs.due('queued', 1000, 10).map((j) => j.id)).toEqual([j3, j2, j1]);
    expect(jobs.due('queued', 1000, 2).map((j) => j.id)).toEqual([j3, j2]);
    expect(jobs.due('queued', 1000, 10, 'local').map((j) => j.id)).toEqual([j1, j2]); // per provider: by priority (= row) first
    expect(jobs.due('running', 1000, 10)).toEqual([]);
    expect(jobs.due('queued', 2000, 10).map((j) => j.id)).toContain(j4);
  });

  it('nextDueAt() is the earliest next action of a status (per provider), or null', () => {
    const { jobIds } = jobs.createBatch(batch(), [newJob(1), newJob(2, 'sync'), newJob(3)]);
    const [a, b, c] = jobIds as [string, string, string];
    jobs.setNextAction([a], 700);
    jobs.setNextAction([b], 300);
    jobs.setNextAction([c], null);
    expect(jobs.nextDueAt('queued')).toBe(300);
    expect(jobs.nextDueAt('queued', 'local')).toBe(700);
    expect(jobs.nextDueAt('queued', 'creatify')).toBeNull();
    expect(jobs.nextDueAt('running')).toBeNull();
  });

  it('wakeQueued() wakes only held queued jobs of the filter', () => {
    const { jobIds } = jobs.createBatch(batch(), [newJob(1), newJob(2, 'sync'), newJob(3, 'sync')]);
    jobs.setNextAction(jobIds, null);
    expect(jobs.wakeQueued({ provider: 'sync' }, 42)).toBe(2);
    expect(jobIds.map((id) => jobs.mustGet(id).nextActionAt)).toEqual([null, 42, 42]);
  });

  it('activeByProvider() counts submitting, running and stalled jobs only', () => {
    const { jobIds } = jobs.createBatch(batch(), [newJob(1), newJob(2), newJob(3, 'sync'), newJob(4, 'sync'), newJob(5, 'sync'), newJob(6)]);
    const [l1, l2, s1, s2, s3] = jobIds as [string, string, string, string, string, string];
    const run = (id: string) => {
      jobs.transition(id, 'submitting', {}, { message: 's' });
      jobs.transition(id, 'running', { providerJobId: `p-${id}` }, { message: 'r' });
    };
    jobs.transition(l1, 'submitting', {}, { message: 's' });
    run(l2);
    jobs.transition(l2, 'downloading', {}, { message: 'd' }); // downloads do not use a render slot
    run(s1);
    run(s2);
    jobs.transition(s2, 'stalled', {}, { message: 'st' });
    run(s3);
    jobs.transition(s3, 'failed', {}, { message: 'f' });
    expect(Object.fromEntries(jobs.activeByProvider())).toEqual({ local: 1, sync: 2 });
  });

  it('committedSpend() adds used costs and estimates of renders in flight, never of jobs not sent', () => {
    const usd = (amount: number): Money => ({ amount, unit: 'USD' });
    const { batch: b, jobIds } = jobs.createBatch(batch(), [
      newJob(1, 'sync', { costEstimate: usd(1) }), // completed, used 0.9
      newJob(2, 'sync', { costEstimate: usd(2) }), // running with a provider id: estimate counts
      newJob(3, 'sync', { costEstimate: usd(4) }), // submitting: may be charged, estimate counts
      newJob(4, 'sync', { costEstimate: usd(8) }), // queued: nothing committed
      newJob(5, 'sync', { costEstimate: usd(16) }), // failed before acceptance: nothing
      newJob(6, 'creatify', { costEstimate: { amount: 7, unit: 'credits' } }), // submit_unknown: counts, other unit
      newJob(7, 'sync', { costEstimate: usd(32), status: 'draft' }), // draft: nothing
    ]);
    const [j1, j2, j3, , j5, j6] = jobIds as string[];
    const toRunning = (id: string, pid: string) => {
      jobs.transition(id, 'submitting', {}, { message: 's' });
      jobs.transition(id, 'running', { providerJobId: pid }, { message: 'r' });
    };
    toRunning(j1!, 'p1');
    jobs.transition(j1!, 'downloading', {}, { message: 'd' });
    jobs.transition(j1!, 'completed', { costUsed: 0.9 }, { message: 'c' });
    toRunning(j2!, 'p2');
    jobs.transition(j3!, 'submitting', {}, { message: 's' });
    jobs.transition(j5!, 'submitting', {}, { message: 's' });
    jobs.transition(j5!, 'failed', { error: { code: 'http_400', message: 'bad' } }, { message: 'f' });
    jobs.transition(j6!, 'submitting', {}, { message: 's' });
    jobs.transition(j6!, 'submit_unknown', {}, { message: 'u' });

    const spend = jobs.committedSpend(b.id);
    const byUnit = Object.fromEntries(spend.map((m) => [m.unit, m.amount]));
    expect(byUnit.USD).toBeCloseTo(0.9 + 2 + 4, 6);
    expect(byUnit.credits).toBe(7);
    expect(jobs.committedSpend('other-batch')).toEqual([]);
  });

  it('lists and counts with filters, and counts by status', () => {
    const a = jobs.createBatch(batch('A'), [newJob(1), newJob(2, 'sync')]);
    clock += 1;
    jobs.createBatch(batch('B'), [newJob(1, 'sync', { status: 'draft' })]);
    expect(jobs.count()).toBe(3);
    expect(jobs.count({ batchId: a.batch.id })).toBe(2);
    expect(jobs.list({ provider: 'sync' }).map((j) => j.row)).toEqual([2, 1]);
    expect(jobs.list({ statuses: ['draft'] })).toHaveLength(1);
    expect(jobs.list({ limit: 1, offset: 1 }).map((j) => j.row)).toEqual([2]);
    expect(jobs.countsByStatus()).toEqual({ queued: 2, draft: 1 });
    expect(jobs.countsByStatus(a.batch.id)).toEqual({ queued: 2 });
  });
});
