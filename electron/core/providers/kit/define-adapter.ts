import type { InputRef, JobInput } from '../../../../shared/model';
import { paramIssues, type ProviderSpec, type ResolvedRef, type ValidationInput } from '../../../../shared/provider-spec';
import { formatIssue } from '../../../../shared/result';
import type { z } from 'zod';
import { ProviderError } from '../http';
import type { AdapterJob, AssetAccess, PollResult, ProviderAdapter } from '../types';

/**
 * An adapter from its spec and the calls only it knows. What every adapter answers the same way
 * (describe, validate and estimateCost are the pure spec's) is filled in here, so a provider file holds
 * the provider's quirks and nothing else.
 */
export type AdapterCalls = Omit<ProviderAdapter, 'id' | 'describe' | 'validate' | 'estimateCost'>;

export function defineAdapter(spec: ProviderSpec, calls: AdapterCalls): ProviderAdapter {
  return {
    id: spec.id,
    describe: () => spec,
    validate: (input) => spec.validate(input),
    estimateCost: (input) => spec.estimateCost(input),
    ...calls,
  };
}

/** A job's input as validation sees it: stored assets replaced by their metadata. */
export function resolvedInput(input: JobInput, assets: Pick<AssetAccess, 'info'>): ValidationInput {
  const { avatar, audio, video, ...rest } = input;
  const resolve = (ref: InputRef | undefined): ResolvedRef | undefined => (!ref ? undefined : 'url' in ref ? { url: ref.url } : { asset: assets.info(ref.asset) });
  const a = resolve(avatar);
  const au = resolve(audio);
  const v = resolve(video);
  return { ...rest, ...(a ? { avatar: a } : {}), ...(au ? { audio: au } : {}), ...(v ? { video: v } : {}) };
}

/**
 * The spec's checks once more right before sending (a row admitted under older rules, a file changed
 * since): a job that cannot be right is refused here, before any money is spent.
 */
export function checkBeforeSend(spec: ProviderSpec, job: AdapterJob, assets: Pick<AssetAccess, 'info'>, lead: string): void {
  const issues = spec.validate(resolvedInput(job.input, assets));
  if (issues.length) throw new ProviderError('permanent', `${lead}: ${issues.map(formatIssue).join('; ')}`, { code: 'invalid_input' });
}

/** The job's parameters read through the provider's schema, or a permanent error naming each bad field. */
export function checkedParams<S extends z.ZodObject>(schema: S, params: Readonly<Record<string, unknown>>, lead: string): z.infer<S> {
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const issues = paramIssues(schema, params);
  throw new ProviderError('permanent', `${lead}: ${issues.map(formatIssue).join('; ') || 'invalid parameters'}`, { code: 'invalid_params' });
}

/** The provider's job id, for calls that need one (output, cancel, approve). */
export function providerIdOf(job: AdapterJob, provider: string): string {
  if (!job.providerJobId) throw new ProviderError('permanent', `No ${provider} job id was recorded for this job`, { code: 'no_provider_id' });
  return job.providerJobId;
}

/** The poll answer for a job whose create never recorded a provider id: nothing to ask about. */
export function noProviderId(provider: string): PollResult {
  return { state: 'not_found', rawStatus: '(no id)', error: { code: 'no_provider_id', message: `No ${provider} job id was recorded for this job` } };
}

/** Jobs grouped by provider id (two local jobs may follow one provider job after a reconcile). */
export function byProviderId(jobs: readonly AdapterJob[], provider: string, out: Map<string, PollResult>): Map<string, AdapterJob[]> {
  const wanted = new Map<string, AdapterJob[]>();
  for (const j of jobs) {
    if (!j.providerJobId) out.set(j.id, noProviderId(provider));
    else wanted.set(j.providerJobId, [...(wanted.get(j.providerJobId) ?? []), j]);
  }
  return wanted;
}

/** The earliest send time of these jobs less `slackMs` (clock skew, queueing), or undefined when one was never recorded. */
export function earliestSend(jobs: readonly AdapterJob[], slackMs: number): number | undefined {
  const times = jobs.map((j) => j.submittedAt);
  return times.length > 0 && times.every((t): t is number => t !== null) ? Math.min(...times) - slackMs : undefined;
}

/** A required credential field, trimmed, or an auth error that says where to add it (no request is sent). */
export function credential(credentials: Readonly<Record<string, string>>, key: string, missing: string, code = 'missing_credentials'): string {
  const v = credentials[key]?.trim();
  if (!v) throw new ProviderError('auth', missing, { code });
  return v;
}
