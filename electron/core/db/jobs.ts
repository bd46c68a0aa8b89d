import { randomUUID } from 'node:crypto';
import { assertTransition, type JobStatus } from '../../../shared/lifecycle';
import type { BatchRecord, CostUnit, JobEvent, JobEventKind, JobInput, JobRecord, Money } from '../../../shared/model';
import type { ProviderId } from '../../../shared/providers';
import type { Db } from './open';

/**
 * The job repository: the only code that writes jobs. Every status change goes through
 * `transition`, which checks the shared state machine and writes the job_events row in the same
 * transaction as the status (DESIGN.md rule 6).
 */

export type JobInternal = JobRecord &
  Readonly<{
    idempotencyKey: string;
    providerState: Readonly<Record<string, unknown>>;
    nextActionAt: number | null;
    pollCount: number;
    lastProgressAt: number | null;
    downloadAttempts: number;
    /** When the create request of the current send left (null: not yet, so sending again is safe). */
    requestSentAt: number | null;
    /** Transient refusals of the create request this attempt (nothing was created). */
    submitTries: number;
    /** Failed checks with the provider of a lost answer, this attempt. */
    reconcileTries: number;
    /** Answers the provider lost over the job's life (Talkbatch's own restarts not counted). */
    lostAnswers: number;
    /** 'user': nothing more happens until the user decides (a lost answer the provider could not settle). */
    awaiting: Awaiting;
  }>;

export type Awaiting = 'none' | 'user';

type Row = {
  id: string;
  batch_id: string;
  row: number;
  provider: string;
  status: string;
  input: string;
  priority: number;
  attempt: number;
  idempotency_key: string;
  provider_job_id: string | null;
  provider_status: string | null;
  provider_state: string;
  progress: number | null;
  eta_sec: number | null;
  cost_unit: string | null;
  cost_estimate: number | null;
  cost_used: number | null;
  error_code: string | null;
  error_message: string | null;
  output_id: string | null;
  next_action_at: number | null;
  poll_count: number;
  last_progress_at: number | null;
  download_attempts: number;
  request_sent_at: number | null;
  submit_tries: number;
  reconcile_tries: number;
  lost_answers: number;
  awaiting: string;
  created_at: number;
  updated_at: number;
  submitted_at: number | null;
  finished_at: number | null;
};

export type JobPatch = Partial<{
  providerJobId: string | null;
  providerStatus: string | null;
  providerState: Readonly<Record<string, unknown>>;
  progress: number | null;
  etaSec: number | null;
  costUsed: number | null;
  error: { code: string; message: string } | null;
  outputId: string | null;
  nextActionAt: number | null;
  pollCount: number;
  lastProgressAt: number | null;
  downloadAttempts: number;
  requestSentAt: number | null;
  submitTries: number;
  reconcileTries: number;
  lostAnswers: number;
  awaiting: Awaiting;
  submittedAt: number | null;
  finishedAt: number | null;
  attempt: number;
  idempotencyKey: string;
  priority: number;
}>;

export type EventInput = Readonly<{
  kind?: JobEventKind;
  message: string;
  requestId?: string | null;
  errorCode?: string | null;
}>;

const COLUMN: Record<keyof JobPatch, string> = {
  providerJobId: 'provider_job_id',
  providerStatus: 'provider_status',
  providerState: 'provider_state',
  progress: 'progress',
  etaSec: 'eta_sec',
  costUsed: 'cost_used',
  error: 'error_code',
  outputId: 'output_id',
  nextActionAt: 'next_action_at',
  pollCount: 'poll_count',
  lastProgressAt: 'last_progress_at',
  downloadAttempts: 'download_attempts',
  requestSentAt: 'request_sent_at',
  submitTries: 'submit_tries',
  reconcileTries: 'reconcile_tries',
  lostAnswers: 'lost_answers',
  awaiting: 'awaiting',
  submittedAt: 'submitted_at',
  finishedAt: 'finished_at',
  attempt: 'attempt',
  idempotencyKey: 'idempotency_key',
  priority: 'priority',
};

export function idempotencyKeyFor(jobId: string, attempt: number): string {
  return `tb-${jobId}-a${attempt}`;
}

function toMoney(amount: number | null, unit: string | null): Money | null {
  return amount === null || unit === null ? null : { amount, unit: unit as CostUnit };
}

export function rowToJob(r: Row): JobInternal {
  const providerState = JSON.parse(r.provider_state) as Record<string, unknown>;
  return {
    id: r.id,
    batchId: r.batch_id,
    row: r.row,
    provider: r.provider as ProviderId,
    status: r.status as JobStatus,
    input: JSON.parse(r.input) as JobInput,
    priority: r.priority,
    attempt: r.attempt,
    providerJobId: r.provider_job_id,
    providerStatus: r.provider_status,
    progress: r.progress,
    etaSec: r.eta_sec,
    costEstimate: toMoney(r.cost_estimate, r.cost_unit),
    costUsed: toMoney(r.cost_used, r.cost_unit),
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? r.error_code } : null,
    outputId: r.output_id,
    preview: previewOf(providerState),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    submittedAt: r.submitted_at,
    finishedAt: r.finished_at,
    idempotencyKey: r.idempotency_key,
    providerState,
    nextActionAt: r.next_action_at,
    pollCount: r.poll_count,
    lastProgressAt: r.last_progress_at,
    downloadAttempts: r.download_attempts,
    requestSentAt: r.request_sent_at,
    submitTries: r.submit_tries,
    reconcileTries: r.reconcile_tries,
    lostAnswers: r.lost_answers,
    awaiting: r.awaiting === 'user' ? 'user' : 'none',
  };
}

function previewOf(state: Readonly<Record<string, unknown>>): JobRecord['preview'] {
  const p = state.preview as { url?: unknown; kind?: unknown } | undefined;
  return p && typeof p.url === 'string' && (p.kind === 'video' || p.kind === 'page') ? { url: p.url, kind: p.kind } : null;
}

/** What the renderer may see of a job: the record without adapter internals. */
export function publicJob(j: JobInternal): JobRecord {
  return {
    id: j.id,
    batchId: j.batchId,
    row: j.row,
    provider: j.provider,
    status: j.status,
    input: j.input,
    priority: j.priority,
    attempt: j.attempt,
    providerJobId: j.providerJobId,
    providerStatus: j.providerStatus,
    progress: j.progress,
    etaSec: j.etaSec,
    costEstimate: j.costEstimate,
    costUsed: j.costUsed,
    error: j.error,
    outputId: j.outputId,
    preview: previewOf(j.providerState),
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
    submittedAt: j.submittedAt,
    finishedAt: j.finishedAt,
  };
}

export type NewJob = Readonly<{
  row: number;
  provider: ProviderId;
  input: JobInput;
  costEstimate: Money | null;
  /** draft = held back (e.g. "render the first N as a test"); queued = runs. */
  status: 'queued' | 'draft';
}>;

export type JobFilter = Readonly<{
  batchId?: string;
  statuses?: readonly JobStatus[];
  provider?: ProviderId;
  ids?: readonly string[];
  limit?: number;
  offset?: number;
  newestFirst?: boolean;
}>;

export class JobRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a batch and all its jobs in one transaction: admission is all-or-nothing. */
  createBatch(
    batch: Readonly<{ name: string; source: string | null; budget: Money | null; estimate: readonly Money[] }>,
    jobs: readonly NewJob[],
  ): { batch: BatchRecord; jobIds: string[] } {
    const now = this.now();
    const id = randomUUID();
    const insertBatch = this.db.prepare(
      'INSERT INTO batches (id, name, source, created_at, budget_amount, budget_unit, estimate) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const insertJob = this.db.prepare(
      `INSERT INTO jobs (id, batch_id, row, provider, status, input, priority, attempt, idempotency_key, cost_unit, cost_estimate,
        next_action_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
    );
    const insertEvent = this.db.prepare(
      "INSERT INTO job_events (job_id, at, kind, from_status, to_status, message) VALUES (?, ?, 'transition', NULL, ?, ?)",
    );
    const jobIds: string[] = [];
    this.db.transaction(() => {
      insertBatch.run(id, batch.name, batch.source, now, batch.budget?.amount ?? null, batch.budget?.unit ?? null, JSON.stringify(batch.estimate));
      for (const j of jobs) {
        const jobId = randomUUID();
        jobIds.push(jobId);
        insertJob.run(
          jobId,
          id,
          j.row,
          j.provider,
          j.status,
          JSON.stringify(j.input),
          j.row,
          idempotencyKeyFor(jobId, 1),
          j.costEstimate?.unit ?? null,
          j.costEstimate?.amount ?? null,
          j.status === 'queued' ? now : null,
          now,
          now,
        );
        insertEvent.run(jobId, now, j.status, j.status === 'queued' ? `Added to the queue (row ${j.row})` : `Held as a draft (row ${j.row})`);
      }
    })();
    return { batch: { id, name: batch.name, createdAt: now, budget: batch.budget, estimate: batch.estimate }, jobIds };
  }

  get(id: string): JobInternal | undefined {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return r ? rowToJob(r) : undefined;
  }

  mustGet(id: string): JobInternal {
    const j = this.get(id);
    if (!j) throw new Error(`No job ${id}`);
    return j;
  }

  list(filter: JobFilter = {}): JobInternal[] {
    const { where, params } = whereOf(filter);
    const limit = filter.limit ?? -1;
    const offset = filter.offset ?? 0;
    const rows = this.db
      .prepare(`SELECT * FROM jobs ${where} ORDER BY ${filter.newestFirst ? 'created_at DESC' : 'created_at'}, batch_id, priority, row LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as Row[];
    return rows.map(rowToJob);
  }

  count(filter: JobFilter = {}): number {
    const { where, params } = whereOf(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM jobs ${where}`).get(...params) as { n: number }).n;
  }

  countsByStatus(batchId?: string): Partial<Record<JobStatus, number>> {
    const rows = (
      batchId
        ? this.db.prepare('SELECT status, count(*) AS n FROM jobs WHERE batch_id = ? GROUP BY status').all(batchId)
        : this.db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status').all()
    ) as { status: JobStatus; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** Jobs in `status` whose next action is due, most urgent first (optionally of one provider). */
  due(status: JobStatus, now: number, limit: number, provider?: ProviderId): JobInternal[] {
    const rows = (
      provider
        ? this.db
            .prepare(
              'SELECT * FROM jobs WHERE status = ? AND provider = ? AND next_action_at IS NOT NULL AND next_action_at <= ? ORDER BY priority, next_action_at, row LIMIT ?',
            )
            .all(status, provider, now, limit)
        : this.db
            .prepare('SELECT * FROM jobs WHERE status = ? AND next_action_at IS NOT NULL AND next_action_at <= ? ORDER BY next_action_at, priority LIMIT ?')
            .all(status, now, limit)
    ) as Row[];
    return rows.map(rowToJob);
  }

  /**
   * A provider's jobs in `status` due by `until`, earliest next action first (what polling needs; the
   * (status, provider, next_action_at) index serves both the filter and the order).
   */
  dueByTime(status: JobStatus, provider: ProviderId, until: number, limit: number): JobInternal[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM jobs WHERE status = ? AND provider = ? AND next_action_at IS NOT NULL AND next_action_at <= ? ORDER BY next_action_at LIMIT ?',
      )
      .all(status, provider, until, limit) as Row[];
    return rows.map(rowToJob);
  }

  /** When a job in `status` (of one provider, optionally) next needs the scheduler, or null. */
  nextDueAt(status: JobStatus, provider?: ProviderId): number | null {
    const r = (
      provider
        ? this.db.prepare('SELECT min(next_action_at) AS t FROM jobs WHERE status = ? AND provider = ? AND next_action_at IS NOT NULL').get(status, provider)
        : this.db.prepare('SELECT min(next_action_at) AS t FROM jobs WHERE status = ? AND next_action_at IS NOT NULL').get(status)
    ) as { t: number | null };
    return r.t;
  }

  /** Renders in flight per provider (what counts against a provider's concurrency). */
  activeByProvider(): Map<ProviderId, number> {
    const rows = this.db
      .prepare("SELECT provider, count(*) AS n FROM jobs WHERE status IN ('submitting', 'running', 'stalled', 'awaiting_approval') GROUP BY provider")
      .all() as { provider: ProviderId; n: number }[];
    return new Map(rows.map((r) => [r.provider, r.n]));
  }

  /** Clears or sets next_action_at for many jobs in one transaction (claiming work, waking jobs). */
  setNextAction(ids: readonly string[], at: number | null): void {
    const st = this.db.prepare('UPDATE jobs SET next_action_at = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) st.run(at, id);
    })();
  }

  /** Wakes queued jobs that were held (budget, missing key) so the scheduler looks at them again. */
  wakeQueued(filter: Readonly<{ batchId?: string; provider?: ProviderId }>, at: number): number {
    const conds = ["status = 'queued'", 'next_action_at IS NULL'];
    const params: unknown[] = [at];
    if (filter.batchId) {
      conds.push('batch_id = ?');
      params.push(filter.batchId);
    }
    if (filter.provider) {
      conds.push('provider = ?');
      params.push(filter.provider);
    }
    return this.db.prepare(`UPDATE jobs SET next_action_at = ? WHERE ${conds.join(' AND ')}`).run(...params).changes;
  }

  /**
   * A status change, checked against the state machine, with its timeline event, in one transaction.
   * Waiting for the user belongs to the state it was set in: a change of status ends it unless the
   * patch says otherwise.
   */
  transition(id: string, to: JobStatus, patch: JobPatch, event: EventInput): JobInternal {
    return this.db.transaction(() => {
      const cur = this.mustGet(id);
      assertTransition(cur.status, to);
      this.write(id, to, to !== cur.status && patch.awaiting === undefined ? { ...patch, awaiting: 'none' } : patch);
      this.insertEvent(id, { kind: 'transition', ...event }, cur.status, to, patch.providerJobId ?? cur.providerJobId);
      return this.mustGet(id);
    })();
  }

  /** A change without a status change (progress, next poll time), optionally with an event. */
  update(id: string, patch: JobPatch, event?: EventInput): JobInternal {
    return this.db.transaction(() => {
      const cur = this.mustGet(id);
      this.write(id, null, patch);
      if (event) this.insertEvent(id, event, null, null, patch.providerJobId ?? cur.providerJobId);
      return this.mustGet(id);
    })();
  }

  addEvent(id: string, event: EventInput): void {
    const cur = this.mustGet(id);
    this.insertEvent(id, event, null, null, cur.providerJobId);
  }

  events(id: string): JobEvent[] {
    const rows = this.db.prepare('SELECT * FROM job_events WHERE job_id = ? ORDER BY id').all(id) as {
      id: number;
      job_id: string;
      at: number;
      kind: string;
      from_status: string | null;
      to_status: string | null;
      message: string;
      provider_job_id: string | null;
      request_id: string | null;
      error_code: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      jobId: r.job_id,
      at: r.at,
      kind: r.kind as JobEventKind,
      fromStatus: r.from_status as JobStatus | null,
      toStatus: r.to_status as JobStatus | null,
      message: r.message,
      providerJobId: r.provider_job_id,
      requestId: r.request_id,
      errorCode: r.error_code,
    }));
  }

  /** Moves a queued job before or after others by priority (lower runs first). */
  setPriority(id: string, priority: number): void {
    this.db.prepare('UPDATE jobs SET priority = ?, updated_at = ? WHERE id = ?').run(priority, this.now(), id);
  }

  /** Money spent or committed per unit by a batch: used amounts, plus estimates of jobs in flight. */
  committedSpend(batchId: string): Money[] {
    const rows = this.db
      .prepare(
        `SELECT cost_unit AS unit,
                sum(CASE WHEN cost_used IS NOT NULL THEN cost_used
                         WHEN status IN ('failed', 'canceled', 'draft', 'queued') THEN 0
                         WHEN provider_job_id IS NOT NULL OR status IN ('submitting', 'submit_unknown') THEN coalesce(cost_estimate, 0)
                         ELSE 0 END) AS amount
           FROM jobs WHERE batch_id = ? AND cost_unit IS NOT NULL GROUP BY cost_unit`,
      )
      .all(batchId) as { unit: CostUnit; amount: number }[];
    return rows.map((r) => ({ amount: r.amount, unit: r.unit }));
  }

  private write(id: string, status: JobStatus | null, patch: JobPatch): void {
    const sets: string[] = ['updated_at = ?'];
    const params: unknown[] = [this.now()];
    if (status) {
      sets.push('status = ?');
      params.push(status);
    }
    for (const [k, v] of Object.entries(patch) as [keyof JobPatch, unknown][]) {
      if (v === undefined) continue;
      if (k === 'error') {
        const e = v as { code: string; message: string } | null;
        sets.push('error_code = ?', 'error_message = ?');
        params.push(e?.code ?? null, e?.message ?? null);
      } else if (k === 'providerState') {
        sets.push('provider_state = ?');
        params.push(JSON.stringify(v));
      } else {
        sets.push(`${COLUMN[k]} = ?`);
        params.push(v);
      }
    }
    params.push(id);
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...params);
  }

  private insertEvent(id: string, e: EventInput, from: JobStatus | null, to: JobStatus | null, providerJobId: string | null): void {
    this.db
      .prepare(
        'INSERT INTO job_events (job_id, at, kind, from_status, to_status, message, provider_job_id, request_id, error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, this.now(), e.kind ?? 'note', from, to, e.message, providerJobId, e.requestId ?? null, e.errorCode ?? null);
  }
}

function whereOf(f: JobFilter): { where: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (f.batchId) {
    conds.push('batch_id = ?');
    params.push(f.batchId);
  }
  if (f.provider) {
    conds.push('provider = ?');
    params.push(f.provider);
  }
  if (f.statuses?.length) {
    conds.push(`status IN (${f.statuses.map(() => '?').join(', ')})`);
    params.push(...f.statuses);
  }
  if (f.ids?.length) {
    conds.push(`id IN (${f.ids.map(() => '?').join(', ')})`);
    params.push(...f.ids);
  }
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}
