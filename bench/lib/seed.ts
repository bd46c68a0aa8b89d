import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../electron/core/db/open';
import { idempotencyKeyFor } from '../../electron/core/db/jobs';
import type { JobStatus } from '../../shared/lifecycle';
import type { ProviderId } from '../../shared/providers';

/**
 * Bench data, written straight into a migrated database in one transaction (the repositories'
 * one-transaction-per-change path would take minutes for 100,000 jobs): batches, jobs in a given
 * status mix with the timeline events their statuses imply, and library outputs for completed jobs.
 */

const PROVIDERS: readonly ProviderId[] = ['oshara', 'techforge', 'aisa', 'sync', 'creatify', 'local'];
const CHAIN: Readonly<Record<string, readonly JobStatus[]>> = {
  queued: ['queued'],
  paused: ['queued', 'paused'],
  running: ['queued', 'submitting', 'running'],
  downloading: ['queued', 'submitting', 'running', 'downloading'],
  completed: ['queued', 'submitting', 'running', 'downloading', 'completed'],
  failed: ['queued', 'submitting', 'running', 'failed'],
  canceled: ['queued', 'canceled'],
};
const AVATAR = createHash('sha256').update('avatar').digest('hex');
const VOICE = createHash('sha256').update('voice').digest('hex');

export type StatusMix = readonly (readonly [status: keyof typeof CHAIN & JobStatus, count: number])[];

export type SeedOptions = Readonly<{
  /** Jobs per batch. */
  perBatch: number;
  mix: StatusMix;
  /** Outputs for completed jobs, all pointing at this thumbnail (library-relative). */
  thumbnail?: string;
  /** Where "now" is; completed jobs spread over the 30 days before it. */
  now?: number;
  batchName?: (i: number) => string;
}>;

export function seedJobs(db: Db, o: SeedOptions): { jobIds: string[]; liveIds: string[]; batchIds: string[] } {
  const now = o.now ?? Date.now();
  const statuses: JobStatus[] = o.mix.flatMap(([s, n]) => Array.from({ length: n }, () => s));
  const insBatch = db.prepare('INSERT INTO batches (id, name, source, created_at, estimate) VALUES (?, ?, ?, ?, ?)');
  const insJob = db.prepare(
    `INSERT INTO jobs (id, batch_id, row, provider, status, input, priority, attempt, idempotency_key, provider_job_id, provider_status,
       progress, cost_unit, cost_estimate, cost_used, error_code, error_message, output_id, next_action_at, last_progress_at, created_at, updated_at, submitted_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insEvent = db.prepare('INSERT INTO job_events (job_id, at, kind, from_status, to_status, message, provider_job_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insOutput = db.prepare('INSERT INTO outputs (id, job_id, file, thumbnail, sidecar, sha256, size, duration_sec, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const jobIds: string[] = [];
  const liveIds: string[] = [];
  const batchIds: string[] = [];
  db.transaction(() => {
    let batchId = '';
    let batchName = '';
    statuses.forEach((status, i) => {
      const row = (i % o.perBatch) + 1;
      const age = ((statuses.length - i) / statuses.length) * 30 * 86_400_000;
      const created = Math.round(now - age - 3_600_000);
      if (row === 1) {
        batchId = randomUUID();
        batchName = o.batchName?.(batchIds.length) ?? `Campaign ${batchIds.length + 1}`;
        batchIds.push(batchId);
        insBatch.run(batchId, batchName, 'bench.csv', created, '[{"amount":12.5,"unit":"USD"}]');
      }
      const provider = PROVIDERS[i % PROVIDERS.length]!;
      const id = randomUUID();
      const title = `${batchName} clip ${row}`;
      const input = JSON.stringify({
        title,
        script: `Welcome to clip ${row} of ${batchName}: three quick tips about keeping receipts, returns and the extended warranty.`,
        avatar: { asset: AVATAR },
        audio: { asset: VOICE },
        params: provider === 'local' ? { height: 480, aspect_ratio: '1:1', captions: 'off' } : {},
      });
      const chain = CHAIN[status]!;
      const submitted = chain.includes('submitting') ? created + 60_000 : null;
      const providerJobId = submitted ? `p-${id.slice(0, 8)}` : null;
      const live = status === 'queued' || status === 'running' || status === 'downloading';
      const finished = status === 'completed' || status === 'failed' || status === 'canceled' ? created + 600_000 : null;
      const outputId = status === 'completed' && o.thumbnail !== undefined ? randomUUID() : null;
      insJob.run(
        id,
        batchId,
        row,
        provider,
        status,
        input,
        row,
        idempotencyKeyFor(id, 1),
        providerJobId,
        status === 'running' ? 'PROCESSING' : status === 'completed' || status === 'downloading' ? 'COMPLETED' : null,
        status === 'running' ? (i % 100) / 100 : status === 'completed' || status === 'downloading' ? 1 : null,
        'USD',
        0.5,
        status === 'completed' ? 0.5 : null,
        status === 'failed' ? 'render_failed' : null,
        status === 'failed' ? 'The face could not be tracked in the avatar' : null,
        outputId,
        live ? now + (i % 600) * 1000 : null,
        status === 'running' ? now - 30_000 : null,
        created,
        finished ?? created + 120_000,
        submitted,
        finished,
      );
      chain.forEach((to, k) => insEvent.run(id, created + k * 60_000, 'transition', k ? chain[k - 1]! : null, to, `Moved to ${to} (bench data)`, k >= 2 ? providerJobId : null));
      if (outputId) {
        const file = `${batchName}/${row}-${title.replace(/[^\w -]/g, '')}-${provider}.mp4`;
        insOutput.run(outputId, id, file, o.thumbnail!, file.replace(/\.mp4$/, '.json'), createHash('sha256').update(id).digest('hex'), 4_000_000 + (i % 1000) * 1000, 12.4, finished);
      }
      jobIds.push(id);
      if (live) liveIds.push(id);
    });
  })();
  return { jobIds, liveIds, batchIds };
}
