import { expectedLengthSec } from './eta';
import type { JobRecord, Money } from './model';
import { PROVIDER_NAMES, type ProviderId } from './providers';

/**
 * Cost as a creator can read it: every amount with its unit and, for credits, whose credits (a
 * TechForge credit and a Creatify credit are different money); totals per unit, never summed across
 * units; estimated next to billed with the reason they differ; unknown prices said plainly with what
 * to do. Pure: used by the queue, the job details and the CLI.
 */

/** Short provider names for credit labels ("12.5 TechForge credits"). */
const CREDIT_OWNER: Readonly<Record<ProviderId, string>> = {
  oshara: 'Oshara',
  techforge: 'TechForge',
  aisa: 'aisa.one',
  sync: 'Sync.so',
  creatify: 'Creatify',
  local: 'local',
};

function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** "$1.20", "free", "12.5 TechForge credits". Credits without a provider say "credits" only. */
export function costLabel(m: Money, provider?: ProviderId | null): string {
  if (m.unit === 'USD') return m.amount === 0 ? 'free' : `$${m.amount.toFixed(2)}`;
  const n = num(m.amount);
  const owner = provider ? `${CREDIT_OWNER[provider]} ` : '';
  return `${n} ${owner}credit${m.amount === 1 ? '' : 's'}`;
}

/** One total: US dollars across providers, or one provider's credits. */
export type CostTotal = Readonly<{ key: string; unit: Money['unit']; provider: ProviderId | null; amount: number; label: string }>;

export type CostSummary = Readonly<{
  billed: readonly CostTotal[];
  /** Estimates of jobs with no charge reported (yet); failed and canceled jobs are not charged. */
  estimated: readonly CostTotal[];
  /** Jobs whose price nobody can tell yet, per provider. */
  unknown: readonly Readonly<{ provider: ProviderId; count: number; hint: string }>[];
}>;

function add(into: Map<string, CostTotal>, m: Money, provider: ProviderId): void {
  const owner = m.unit === 'credits' ? provider : null;
  const key = m.unit === 'credits' ? `credits:${provider}` : 'USD';
  const cur = into.get(key);
  const amount = (cur?.amount ?? 0) + m.amount;
  into.set(key, { key, unit: m.unit, provider: owner, amount, label: costLabel({ amount, unit: m.unit }, owner) });
}

/** Per-unit totals of a set of jobs (a batch, the whole queue). */
export function costSummary(jobs: readonly Pick<JobRecord, 'provider' | 'status' | 'costUsed' | 'costEstimate'>[]): CostSummary {
  const billed = new Map<string, CostTotal>();
  const estimated = new Map<string, CostTotal>();
  const unknown = new Map<ProviderId, number>();
  for (const j of jobs) {
    if (j.costUsed) add(billed, j.costUsed, j.provider);
    else if (j.status === 'failed' || j.status === 'canceled') continue;
    else if (j.costEstimate) {
      // A free estimate adds nothing worth a line ("~free"); a batch with nothing else says "free".
      if (j.costEstimate.amount > 0) add(estimated, j.costEstimate, j.provider);
    }
    else unknown.set(j.provider, (unknown.get(j.provider) ?? 0) + 1);
  }
  const order = (a: CostTotal, b: CostTotal) => (a.unit === b.unit ? (a.provider ?? '').localeCompare(b.provider ?? '') : a.unit === 'USD' ? -1 : 1);
  return {
    billed: [...billed.values()].sort(order),
    estimated: [...estimated.values()].sort(order),
    unknown: [...unknown].map(([provider, count]) => ({ provider, count, hint: unknownPriceHint(provider) })),
  };
}

/** "$1.20 · 12.5 TechForge credits", or `empty` when there is nothing. */
export function totalsLabel(ts: readonly CostTotal[], empty = 'nothing'): string {
  return ts.length ? ts.map((t) => t.label).join(' · ') : empty;
}

/** What the user can do about a price Talkbatch cannot know. */
export function unknownPriceHint(provider: ProviderId): string {
  switch (provider) {
    case 'oshara':
      return 'Oshara publishes no prices: what a video costs depends on your plan. Your Oshara account shows the charges; Talkbatch cannot add them up.';
    case 'techforge':
      return 'TechForge publishes no price list: the credits a job used are shown when it is done. Your TechForge balance (Settings → Test key) shows what is left.';
    case 'creatify':
      return 'The length is not known yet (no audio and no script), so Creatify credits cannot be estimated: add a script or audio to see an estimate.';
    default:
      return `${PROVIDER_NAMES[provider]} gave no price for this job: its charge is shown when it is done.`;
  }
}

/** How each provider turns a video into a charge: the usual reason an estimate and a bill differ. */
const BILLING_RULE: Readonly<Record<ProviderId, string>> = {
  creatify: 'Creatify bills per started 30 s (per second, rounded up, for Aurora models), so a few seconds more can cost a whole block.',
  sync: 'Sync.so bills per frame of the finished video (25 fps), so the charge follows the real length, not the estimate.',
  aisa: 'aisa.one bills per second of video at the model’s rate; its own markup is not published.',
  techforge: 'TechForge reports the credits a job used only when it is done.',
  oshara: 'Oshara publishes no prices.',
  local: 'Local drafts are free.',
};

export type CostExplanation = Readonly<{
  estimated: string | null;
  billed: string | null;
  /** Why the bill differs from the estimate; null when they agree or one is missing. */
  why: string | null;
  /** When no price is known: what to do about it. */
  unknown: string | null;
}>;

/** Estimated vs billed for one job, with why they differ. */
export function explainCost(job: Pick<JobRecord, 'provider' | 'status' | 'costUsed' | 'costEstimate' | 'input'>, outputDurationSec: number | null = null): CostExplanation {
  const estimated = job.costEstimate ? costLabel(job.costEstimate, job.provider) : null;
  const billed = job.costUsed ? costLabel(job.costUsed, job.provider) : null;
  let why: string | null = null;
  if (job.costEstimate && job.costUsed && Math.abs(job.costEstimate.amount - job.costUsed.amount) > 1e-9) {
    const more = job.costUsed.amount > job.costEstimate.amount;
    const reasons = [`Billed ${more ? 'more' : 'less'} than estimated.`];
    const expected = expectedLengthSec(job);
    if (outputDurationSec !== null && expected !== null && Math.abs(outputDurationSec - expected) >= 1) {
      reasons.push(
        `The video came out ${num(outputDurationSec)} s long, ${outputDurationSec > expected ? 'longer' : 'shorter'} than the ${num(expected)} s estimated${job.input.script ? ' from the script' : ''}.`,
      );
    }
    reasons.push(BILLING_RULE[job.provider]);
    why = reasons.join(' ');
  }
  const unknown = !estimated && !billed && job.status !== 'failed' && job.status !== 'canceled' ? unknownPriceHint(job.provider) : null;
  return { estimated, billed, why, unknown };
}
