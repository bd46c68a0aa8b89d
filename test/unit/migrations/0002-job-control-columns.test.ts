import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrate';
import { m0001InitialSchema } from '../../../electron/core/db/migrations/0001-initial-schema';
import { m0002JobControlColumns } from '../../../electron/core/db/migrations/0002-job-control-columns';

/** Migration 2 fills the engine's control columns from each job's timeline, as release 1 read it. */

let db: Database.Database;
afterEach(() => db?.close());

type Ev = Readonly<{ to?: string; code?: string; at?: number }>;

function v1(): Database.Database {
  const d = new Database(':memory:');
  migrate(d, [m0001InitialSchema]);
  d.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b', 'B', 0)").run();
  return d;
}

function job(id: string, status: string, o: Readonly<{ next?: number | null; providerStatus?: string; events?: readonly Ev[] }> = {}): void {
  db.prepare(
    "INSERT INTO jobs (id, batch_id, row, provider, status, input, idempotency_key, provider_job_id, provider_status, next_action_at, created_at, updated_at) VALUES (?, 'b', 1, 'aisa', ?, '{}', 'k', 'p', ?, ?, 0, 0)",
  ).run(id, status, o.providerStatus ?? null, o.next === undefined ? null : o.next);
  let at = 1;
  for (const e of o.events ?? []) {
    db.prepare("INSERT INTO job_events (job_id, at, kind, to_status, message, error_code) VALUES (?, ?, 'note', ?, 'm', ?)").run(id, e.at ?? at++, e.to ?? null, e.code ?? null);
  }
}

function cols(id: string) {
  return db.prepare('SELECT status, next_action_at, request_sent_at, submit_tries, reconcile_tries, lost_answers, awaiting FROM jobs WHERE id = ?').get(id) as Record<string, unknown>;
}

const up = () => migrate(db, [m0001InitialSchema, m0002JobControlColumns]);

describe('migration 2: job control columns', () => {
  it('is version 2 and moves the database from 1 to 2', () => {
    db = v1();
    expect(m0002JobControlColumns.version).toBe(2);
    expect(up()).toEqual({ from: 1, to: 2 });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
  });

  it('marks a request as sent only when it left after the job was last sent', () => {
    db = v1();
    // Sent in an earlier send (then retried), and not in this one: safe to send again.
    job('old-send', 'submitting', { events: [{ to: 'submitting' }, { code: 'request_sent' }, { to: 'queued', code: 'submit_retry' }, { to: 'submitting' }] });
    job('sent', 'submitting', { events: [{ to: 'submitting' }, { code: 'request_sent', at: 77 }] });
    // Only a job being sent has a request in flight.
    job('queued', 'queued', { next: 5, events: [{ to: 'submitting' }, { code: 'request_sent' }, { to: 'queued', code: 'submit_retry' }] });
    up();
    expect(cols('old-send').request_sent_at).toBeNull();
    expect(cols('sent').request_sent_at).toBe(77);
    expect(cols('queued').request_sent_at).toBeNull();
  });

  it('counts the tries and the lost answers as release 1 counted them', () => {
    db = v1();
    job('tries', 'submit_unknown', {
      next: 9,
      events: [
        { to: 'queued', code: 'submit_retry' },
        { to: 'queued', code: 'submit_retry' },
        { to: 'submit_unknown', code: 'network' },
        { code: 'reconcile_retry' },
        { to: 'queued', code: 'reconcile_absent' },
        // Talkbatch's own restart: no error code, not a lost answer.
        { to: 'submit_unknown' },
        { code: 'reconcile_retry' },
        { code: 'reconcile_retry' },
      ],
    });
    up();
    expect(cols('tries')).toMatchObject({ submit_tries: 2, reconcile_tries: 3, lost_answers: 1, awaiting: 'none', next_action_at: 9 });
  });

  it("makes a lost answer the provider could not settle the user's decision, and nothing else", () => {
    db = v1();
    job('unknown', 'submit_unknown', { events: [{ to: 'submit_unknown', code: 'timeout' }, { code: 'reconcile_unknown' }] });
    job('failed-checks', 'submit_unknown', { events: [{ to: 'submit_unknown', code: 'timeout' }, { code: 'reconcile_failed' }] });
    // Claimed by a reconcile when release 1 stopped: checked again, not the user's.
    job('in-flight', 'submit_unknown', { events: [{ to: 'submit_unknown', code: 'timeout' }, { code: 'reconcile_retry' }] });
    // The user chose "check again" after the decision: due, not waiting.
    job('checking-again', 'submit_unknown', { next: 3, events: [{ to: 'submit_unknown', code: 'timeout' }, { code: 'reconcile_unknown' }] });
    up();
    expect(cols('unknown').awaiting).toBe('user');
    expect(cols('failed-checks').awaiting).toBe('user');
    expect(cols('in-flight').awaiting).toBe('none');
    expect(cols('checking-again').awaiting).toBe('none');
  });

  it('turns a running job waiting for preview approval into the awaiting_approval state, with a timeline entry', () => {
    db = v1();
    job('preview', 'running', { providerStatus: 'awaiting_approval' });
    job('rendering', 'running', { next: 4, providerStatus: 'processing' });
    up();
    expect(cols('preview')).toMatchObject({ status: 'awaiting_approval', next_action_at: null });
    expect(cols('rendering')).toMatchObject({ status: 'running', next_action_at: 4 });
    const ev = db.prepare("SELECT from_status, to_status, kind, message FROM job_events WHERE job_id = 'preview'").all();
    expect(ev).toEqual([{ from_status: 'running', to_status: 'awaiting_approval', kind: 'transition', message: expect.stringMatching(/approval/) }]);
    expect(db.prepare("SELECT count(*) AS n FROM job_events WHERE job_id = 'rendering'").get()).toEqual({ n: 0 });
  });

  it('refuses an awaiting value the engine does not know', () => {
    db = v1();
    up();
    job('j', 'queued');
    expect(() => db.prepare("UPDATE jobs SET awaiting = 'approval' WHERE id = 'j'").run()).toThrow(/CHECK constraint/);
  });
});
