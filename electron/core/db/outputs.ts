import type { JobInput, OutputRecord, Review } from '../../../shared/model';
import type { LibrarySort } from '../../../shared/contract';
import type { ProviderId } from '../../../shared/providers';
import type { Db } from './open';

type Row = {
  id: string;
  job_id: string;
  file: string;
  thumbnail: string | null;
  sidecar: string;
  sha256: string;
  size: number;
  duration_sec: number | null;
  created_at: number;
  review: string | null;
  tags: string;
  batch_id: string;
  batch_name: string;
  provider: string;
  input: string;
};

export type LibraryQuery = Readonly<{
  text?: string;
  batchId?: string;
  provider?: ProviderId;
  review?: 'approved' | 'rejected' | 'redo' | 'unreviewed';
  tag?: string;
  /** ms since epoch, inclusive */
  from?: number;
  to?: number;
  limit?: number;
  offset?: number;
  sort?: LibrarySort;
}>;

/** ORDER BY for each library sort: newest first breaks every tie, so a page never shuffles. */
const ORDER: Readonly<Record<LibrarySort, string>> = {
  date: 'o.created_at DESC, o.id',
  title: "json_extract(j.input, '$.title') COLLATE NOCASE, o.created_at DESC, o.id",
  batch: 'b.name COLLATE NOCASE, j.row, o.created_at DESC, o.id',
  provider: 'j.provider, o.created_at DESC, o.id',
  // Unreviewed first (what is left to do), then redo, rejected, kept.
  review: "CASE o.review WHEN 'redo' THEN 1 WHEN 'rejected' THEN 2 WHEN 'approved' THEN 3 ELSE 0 END, o.created_at DESC, o.id",
  // Longest first; unknown lengths last.
  duration: 'o.duration_sec IS NULL, o.duration_sec DESC, o.created_at DESC, o.id',
};

function toRecord(r: Row): OutputRecord {
  const input = JSON.parse(r.input) as JobInput;
  return {
    id: r.id,
    jobId: r.job_id,
    batchId: r.batch_id,
    batchName: r.batch_name,
    provider: r.provider as ProviderId,
    title: input.title,
    script: input.script ?? input.prompt ?? null,
    file: r.file,
    thumbnail: r.thumbnail,
    sidecar: r.sidecar,
    sha256: r.sha256,
    size: r.size,
    durationSec: r.duration_sec,
    createdAt: r.created_at,
    review: (r.review as Review) ?? null,
    tags: JSON.parse(r.tags) as string[],
  };
}

const SELECT = `SELECT o.*, j.batch_id, b.name AS batch_name, j.provider, j.input
                  FROM outputs o JOIN jobs j ON j.id = o.job_id JOIN batches b ON b.id = j.batch_id`;

export class OutputRepo {
  constructor(private readonly db: Db) {}

  insert(o: Readonly<{ id: string; jobId: string; file: string; thumbnail: string | null; sidecar: string; sha256: string; size: number; durationSec: number | null; createdAt: number }>): void {
    this.db
      .prepare(
        'INSERT INTO outputs (id, job_id, file, thumbnail, sidecar, sha256, size, duration_sec, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(o.id, o.jobId, o.file, o.thumbnail, o.sidecar, o.sha256, o.size, o.durationSec, o.createdAt);
  }

  /**
   * Inserts, then runs `then` (e.g. the job's completion) in the same transaction. An earlier entry of the
   * same job for the same file (an attempt whose completion was never recorded) is replaced, not doubled.
   */
  insertThen(o: Parameters<OutputRepo['insert']>[0], then?: () => void): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM outputs WHERE job_id = ? AND file = ?').run(o.jobId, o.file);
      this.insert(o);
      then?.();
    })();
  }

  get(id: string): OutputRecord | undefined {
    const r = this.db.prepare(`${SELECT} WHERE o.id = ?`).get(id) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  list(q: LibraryQuery = {}): { items: OutputRecord[]; total: number } {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (q.text?.trim()) {
      // Title and script live in the job's input JSON; LIKE over json_extract is fast enough for a
      // personal library (the benchmark measures 10,000 items).
      const like = `%${q.text.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      conds.push(
        "(json_extract(j.input, '$.title') LIKE ? ESCAPE '\\' OR json_extract(j.input, '$.script') LIKE ? ESCAPE '\\' OR json_extract(j.input, '$.prompt') LIKE ? ESCAPE '\\')",
      );
      params.push(like, like, like);
    }
    if (q.batchId) {
      conds.push('j.batch_id = ?');
      params.push(q.batchId);
    }
    if (q.provider) {
      conds.push('j.provider = ?');
      params.push(q.provider);
    }
    if (q.review === 'unreviewed') conds.push('o.review IS NULL');
    else if (q.review) {
      conds.push('o.review = ?');
      params.push(q.review);
    }
    if (q.tag) {
      conds.push('EXISTS (SELECT 1 FROM json_each(o.tags) WHERE value = ?)');
      params.push(q.tag);
    }
    if (q.from !== undefined) {
      conds.push('o.created_at >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      conds.push('o.created_at <= ?');
      params.push(q.to);
    }
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM outputs o JOIN jobs j ON j.id = o.job_id ${where}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(`${SELECT} ${where} ORDER BY ${ORDER[q.sort ?? 'date']} LIMIT ? OFFSET ?`)
      .all(...params, q.limit ?? 200, q.offset ?? 0) as Row[];
    return { items: rows.map(toRecord), total };
  }

  setReview(id: string, review: Review, tags?: readonly string[]): void {
    if (tags) this.db.prepare('UPDATE outputs SET review = ?, tags = ? WHERE id = ?').run(review, JSON.stringify([...new Set(tags)]), id);
    else this.db.prepare('UPDATE outputs SET review = ? WHERE id = ?').run(review, id);
  }

  allTags(): string[] {
    const rows = this.db.prepare('SELECT DISTINCT value FROM outputs, json_each(outputs.tags) ORDER BY value').all() as { value: string }[];
    return rows.map((r) => r.value);
  }
}
