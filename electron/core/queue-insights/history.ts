import type { RenderSample } from '../../../shared/eta';
import { modelOf } from '../../../shared/eta';
import { isProviderId } from '../../../shared/providers';
import type { Db } from '../db/open';

/**
 * How long finished jobs took on this machine, for the time-left estimates (shared/eta.ts). Read-only:
 * nothing here decides what the scheduler does. A render's time is from sending to done (what a user
 * waits for, downloads included); its length is the library video's duration.
 */
export function renderHistory(db: Db, opts: Readonly<{ perProvider?: number }> = {}): RenderSample[] {
  const per = opts.perProvider ?? 200;
  // The newest `per` completed jobs of each provider: a provider's speed changes over months.
  const rows = db
    .prepare(
      `SELECT provider, input, render_ms, duration_sec FROM (
         SELECT j.provider, j.input, j.finished_at - j.submitted_at AS render_ms, o.duration_sec,
                row_number() OVER (PARTITION BY j.provider ORDER BY j.finished_at DESC) AS n
           FROM jobs j LEFT JOIN outputs o ON o.id = j.output_id
          WHERE j.status = 'completed' AND j.submitted_at IS NOT NULL AND j.finished_at IS NOT NULL AND j.finished_at >= j.submitted_at
       ) WHERE n <= ?`,
    )
    .all(per) as { provider: string; input: string; render_ms: number; duration_sec: number | null }[];
  const out: RenderSample[] = [];
  for (const r of rows) {
    if (!isProviderId(r.provider)) continue;
    let params: Record<string, unknown> = {};
    try {
      params = (JSON.parse(r.input) as { params?: Record<string, unknown> }).params ?? {};
    } catch {
      // an unreadable input still tells the provider's speed
    }
    out.push({ provider: r.provider, model: modelOf(params), lengthSec: r.duration_sec, renderSec: r.render_ms / 1000 });
  }
  return out;
}
