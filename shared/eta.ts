import type { JobRecord } from './model';
import { estimateSpokenSeconds } from './provider-spec';
import type { ProviderId } from './providers';

/**
 * Time left and honest progress for jobs and batches. Pure: the renderer (and the CLI) give it the
 * jobs, how long past renders took on this machine (electron/core/queue-insights reads them from the
 * database) and each provider's documented typical time.
 *
 * Sources, best first: the provider's own time left or progress; how long this provider and model took
 * for videos of a similar length here; the provider's typical render time. Everything but the provider's
 * own time left is an estimate, and says so ("about").
 */

/** One finished job of the past: how long it took from sending to done, and how long its video was. */
export type RenderSample = Readonly<{ provider: ProviderId; model: string | null; lengthSec: number | null; renderSec: number }>;

export type Expected = Readonly<{ sec: number; source: 'history' | 'typical'; samples: number }>;

export type TimeLeft = Readonly<{
  /** Seconds left; null when it cannot be told (overdue, waiting on the user). */
  sec: number | null;
  /** True when this is an estimate ("about …"). */
  approx: boolean;
  source: 'provider' | 'progress' | 'history' | 'typical' | 'none';
  /** 0..1 for the bar: the provider's progress, else elapsed against expected (never stuck at 0). */
  fraction: number | null;
  elapsedSec: number | null;
  expectedSec: number | null;
  /** Running longer than expected: the bar stops short of full and the label says so. */
  overdue: boolean;
}>;

/** A sample needs this many neighbours before history is trusted over the documented time. */
const MIN_SAMPLES = 2;

export function modelOf(params: Readonly<Record<string, unknown>>): string | null {
  for (const k of ['model', 'model_version', 'model_id']) if (typeof params[k] === 'string' && params[k]) return params[k];
  return null;
}

/** The video's expected length: an explicit seconds parameter, else the script's spoken length. */
export function expectedLengthSec(job: Pick<JobRecord, 'input'>): number | null {
  const p = job.input.params;
  for (const k of ['seconds', 'duration', 'durationSec']) {
    const n = Number(p[k]);
    if (Number.isFinite(n) && n > 0) return n;
  }
  const s = job.input.script ?? '';
  const spoken = estimateSpokenSeconds(s);
  return spoken > 0 ? spoken : null;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * How long a job of this provider, model and length should take: the median of past renders of the
 * same provider and model (of a similar length when there are enough of those; else of the provider),
 * else the provider's typical render time.
 */
export function expectedRenderSec(
  q: Readonly<{ provider: ProviderId; model: string | null; lengthSec: number | null }>,
  history: readonly RenderSample[],
  typicalSec: number,
): Expected {
  const same = history.filter((h) => h.provider === q.provider && h.model === q.model);
  const pool = same.length >= MIN_SAMPLES ? same : history.filter((h) => h.provider === q.provider);
  if (pool.length >= MIN_SAMPLES) {
    const L = q.lengthSec;
    const similar = L ? pool.filter((h) => h.lengthSec !== null && h.lengthSec >= L / 2 && h.lengthSec <= L * 2) : [];
    const use = similar.length >= MIN_SAMPLES ? similar : pool;
    return { sec: median(use.map((h) => h.renderSec)), source: 'history', samples: use.length };
  }
  return { sec: typicalSec, source: 'typical', samples: 0 };
}

const NONE: TimeLeft = { sec: null, approx: false, source: 'none', fraction: null, elapsedSec: null, expectedSec: null, overdue: false };

/** Time left for one job at `now` (ms). Queued and finished jobs have none of their own (see batchTimeLeft). */
export function jobTimeLeft(job: Pick<JobRecord, 'status' | 'progress' | 'etaSec' | 'submittedAt'>, expected: Expected, now: number): TimeLeft {
  if (job.status === 'downloading') return { ...NONE, sec: 0, approx: true, source: 'provider', fraction: job.progress ?? 0.99 };
  // Only a job being sent or rendering has time left of its own (a preview awaiting approval renders nothing).
  if (job.status !== 'running' && job.status !== 'submitting') return NONE;
  const elapsedSec = job.submittedAt ? Math.max(0, (now - job.submittedAt) / 1000) : 0;
  const p = job.progress !== null && job.progress > 0 && job.progress < 1 ? job.progress : null;
  if (job.etaSec !== null && job.etaSec >= 0) {
    return { sec: job.etaSec, approx: false, source: 'provider', fraction: p ?? fractionOf(elapsedSec, elapsedSec + job.etaSec), elapsedSec, expectedSec: elapsedSec + job.etaSec, overdue: false };
  }
  // From the provider's progress once it means something (a few percent in, a few seconds elapsed).
  if (p !== null && p >= 0.05 && elapsedSec >= 5) {
    const left = (elapsedSec * (1 - p)) / p;
    return { sec: left, approx: true, source: 'progress', fraction: p, elapsedSec, expectedSec: elapsedSec + left, overdue: false };
  }
  const overdue = elapsedSec > expected.sec;
  return {
    sec: overdue ? null : expected.sec - elapsedSec,
    approx: true,
    source: expected.source,
    // Elapsed against expected, held short of full: an estimate must never claim the job is done.
    fraction: p ?? Math.min(0.95, fractionOf(elapsedSec, expected.sec)),
    elapsedSec,
    expectedSec: expected.sec,
    overdue,
  };
}

function fractionOf(elapsed: number, total: number): number {
  return total > 0 ? Math.max(0.01, Math.min(1, elapsed / total)) : 0.01;
}

export type BatchProgress = Readonly<{
  total: number;
  done: number;
  failed: number;
  canceled: number;
  running: number;
  waiting: number;
  paused: number;
  /** Waiting for the user: stalled, needs a decision, draft, preview to approve. */
  needsYou: number;
  /** done / total: what the bar shows. */
  fraction: number;
  /** Seconds until the last job that will run finishes; null when nothing is left to run. */
  leftSec: number | null;
  approx: boolean;
  finished: boolean;
}>;

/**
 * A batch's done/total and time left. Jobs run in each provider's parallel slots (its concurrency), so
 * the time left is simulated per provider: running jobs hold their slots for their own time left, each
 * waiting job takes the first slot to free up for the expected time; the batch ends with its slowest
 * provider. Paused jobs and jobs waiting on the user are not counted (they will not run by themselves).
 */
export function batchProgress(
  jobs: readonly JobRecord[],
  ctx: Readonly<{ now: number; expectedOf: (j: JobRecord) => Expected; concurrencyOf: (p: ProviderId) => number }>,
): BatchProgress {
  let done = 0, failed = 0, canceled = 0, running = 0, waiting = 0, paused = 0, needsYou = 0;
  const lanes = new Map<ProviderId, { left: number[]; queued: number[] }>();
  let approx = false;
  for (const j of jobs) {
    const lane = lanes.get(j.provider) ?? { left: [], queued: [] };
    lanes.set(j.provider, lane);
    switch (j.status) {
      case 'completed':
        done++;
        break;
      case 'failed':
        failed++;
        break;
      case 'canceled':
        canceled++;
        break;
      case 'paused':
        paused++;
        break;
      case 'stalled':
      case 'submit_unknown':
      case 'draft':
      case 'awaiting_approval':
        needsYou++;
        break;
      case 'queued':
        waiting++;
        lane.queued.push(ctx.expectedOf(j).sec);
        approx = true;
        break;
      default: {
        running++;
        const t = jobTimeLeft(j, ctx.expectedOf(j), ctx.now);
        // An overdue job is still expected to finish: count a little more time, not none.
        lane.left.push(t.sec ?? Math.max(30, (t.expectedSec ?? 60) * 0.25));
        approx ||= t.approx || t.sec === null;
      }
    }
  }
  let leftSec: number | null = null;
  for (const [provider, lane] of lanes) {
    if (!lane.left.length && !lane.queued.length) continue;
    const slots = Math.max(1, ctx.concurrencyOf(provider));
    const free = [...lane.left].sort((a, b) => a - b);
    while (free.length < slots) free.unshift(0);
    // The busiest `slots` running jobs hold the slots; any extra (over the limit) queue behind them.
    const extra = free.splice(0, free.length - slots);
    for (const t of [...extra, ...lane.queued]) {
      free.sort((a, b) => a - b);
      free[0] = free[0]! + t;
    }
    const end = Math.max(...free);
    leftSec = Math.max(leftSec ?? 0, end);
  }
  const total = jobs.length;
  return {
    total,
    done,
    failed,
    canceled,
    running,
    waiting,
    paused,
    needsYou,
    fraction: total ? done / total : 0,
    leftSec,
    approx,
    finished: total > 0 && running + waiting + paused + needsYou === 0,
  };
}
