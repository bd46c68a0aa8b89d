import type { BatchRecord, BatchSummary, CostUnit, Money } from '../../../shared/model';
import type { Db } from './open';

type Row = { id: string; name: string; created_at: number; budget_amount: number | null; budget_unit: string | null; estimate: string };

function toRecord(r: Row): BatchRecord {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    budget: r.budget_amount !== null && r.budget_unit ? { amount: r.budget_amount, unit: r.budget_unit as CostUnit } : null,
    estimate: JSON.parse(r.estimate) as Money[],
  };
}

export class BatchRepo {
  constructor(private readonly db: Db) {}

  get(id: string): BatchRecord | undefined {
    const r = this.db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  /** Batches newest first with their progress and spend, in one query. */
  summaries(ids?: readonly string[]): BatchSummary[] {
    const where = ids?.length ? `WHERE b.id IN (${ids.map(() => '?').join(', ')})` : '';
    const rows = this.db
      .prepare(
        `SELECT b.*,
                count(j.id) AS total,
                sum(j.status = 'completed') AS completed,
                sum(j.status = 'failed') AS failed,
                sum(j.status IN ('queued','submitting','running','downloading','stalled','submit_unknown','awaiting_approval')) AS active
           FROM batches b LEFT JOIN jobs j ON j.batch_id = b.id ${where}
          GROUP BY b.id ORDER BY b.created_at DESC`,
      )
      .all(...(ids ?? [])) as (Row & { total: number; completed: number | null; failed: number | null; active: number | null })[];
    const spend = this.db.prepare(
      'SELECT cost_unit AS unit, sum(cost_used) AS amount FROM jobs WHERE batch_id = ? AND cost_used IS NOT NULL GROUP BY cost_unit',
    );
    return rows.map((r) => ({
      ...toRecord(r),
      total: r.total,
      completed: r.completed ?? 0,
      failed: r.failed ?? 0,
      active: r.active ?? 0,
      spent: (spend.all(r.id) as { unit: CostUnit; amount: number }[]).map((s) => ({ amount: s.amount, unit: s.unit })),
    }));
  }

  rename(id: string, name: string): void {
    this.db.prepare('UPDATE batches SET name = ? WHERE id = ?').run(name, id);
  }

  setBudget(id: string, budget: Money | null): void {
    this.db.prepare('UPDATE batches SET budget_amount = ?, budget_unit = ? WHERE id = ?').run(budget?.amount ?? null, budget?.unit ?? null, id);
  }
}
