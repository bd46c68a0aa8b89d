import type { z } from 'zod';
import type { AssetInfo, JobInput, Money } from './model';
import type { ProviderId } from './providers';
import type { Issue } from './result';
import type { Settings } from './settings';

/**
 * The pure half of a provider: what the renderer needs to build forms and show limits and cost live,
 * and what preflight needs to reject bad rows before any money is spent. No I/O here (shared/ is pure);
 * the HTTP half lives in electron/core/providers/<id>.ts and wraps this.
 */
export type InputUse = 'required' | 'optional' | 'unused';

export type Capability =
  | 'tts'
  | 'voice_clone'
  | 'audio_driven'
  | 'text_to_video'
  | 'lipsync'
  | 'image_input'
  | 'video_input'
  | 'templates'
  | 'preview_approval'
  | 'cancel'
  | 'list_polling'
  | 'idempotency'
  | 'offline';

export type InputLimits = Readonly<{
  scriptMaxChars?: number;
  promptMaxChars?: number;
  audioMaxSec?: number;
  videoMaxSec?: number;
  imageMaxBytes?: number;
  audioMaxBytes?: number;
  videoMaxBytes?: number;
  /** Lower-case file extensions without the dot. */
  imageFormats?: readonly string[];
  audioFormats?: readonly string[];
  videoFormats?: readonly string[];
}>;

export type CredentialField = Readonly<{
  key: string;
  label: string;
  /** Secret fields are write-only: never shown again, only their last 4 characters. */
  secret: boolean;
  optional?: boolean;
}>;

/** One way of using a provider, e.g. Oshara "script → TTS → video" vs "video from your own audio". */
export type ProviderMode = Readonly<{
  id: string;
  label: string;
  description: string;
  inputs: Readonly<{ script: InputUse; prompt: InputUse; avatar: InputUse; audio: InputUse; video: InputUse }>;
}>;

/** A job's input as validation sees it: stored assets replaced by their probed metadata. */
export type ResolvedRef = Readonly<{ asset: AssetInfo }> | Readonly<{ url: string }>;
export type ValidationInput = Readonly<
  Omit<JobInput, 'avatar' | 'audio' | 'video'> & {
    avatar?: ResolvedRef;
    audio?: ResolvedRef;
    video?: ResolvedRef;
  }
>;

export type CostEstimate = Readonly<{
  /** null when the provider publishes no price (the UI then says "unknown", never "free"). */
  amount: number | null;
  unit: Money['unit'];
  /** The rule used, in words: "sora-2: $0.10 per second × 8 s". */
  rule: string;
}>;

export interface ProviderSpec {
  readonly id: ProviderId;
  readonly displayName: string;
  /** The provider doc version this spec follows, and its known gaps. */
  readonly docsVersion: string;
  /** Production base URL; overridable per provider (setting, or env TALKBATCH_<ID>_BASE_URL). */
  readonly defaultBaseUrl: string;
  /** A warning shown wherever the provider is offered (e.g. aisa: the Sora 2 API was retired). */
  readonly notice?: string;
  readonly capabilities: readonly Capability[];
  readonly modes: readonly ProviderMode[];
  /** Parameter schema. Every field has `.describe()` text; the renderer builds its form from it. */
  readonly params: z.ZodObject;
  readonly limits: InputLimits;
  readonly concurrencyDefault: number;
  readonly costUnit: Money['unit'];
  readonly costRule: string;
  /** Typical render time: the scheduler polls first near it. */
  readonly typicalRenderSec: number;
  /** Longest gap between two polls of a running job. */
  readonly pollCapSec: number;
  readonly credentialFields: readonly CredentialField[];
  /**
   * True where a job the provider lost (poll answers `not_found`, e.g. a local render killed by a
   * restart) may simply be submitted again because it costs nothing. Cloud providers: false.
   */
  readonly retryLostJobs?: boolean;
  /**
   * Takes input files only as public links (no upload endpoint): local files are published on the
   * user's own S3-compatible asset host first (Settings → Asset host).
   */
  readonly needsAssetHost?: boolean;
  /**
   * A provider that stays off until a setting turns it on, and what every place that refuses its jobs
   * says while it is off (admission, the queue, the provider list).
   */
  readonly enabledBy?: Readonly<{ setting: BooleanSetting; whenOff: string }>;
  /** Every problem with this input, each naming the field and what is accepted. Pure; no I/O. */
  validate(input: ValidationInput): Issue[];
  estimateCost(input: ValidationInput): CostEstimate;
  /** Which mode an input uses (e.g. audio given → Oshara video-only). */
  modeOf(input: ValidationInput): string;
}

/** The settings that are a plain on/off switch. */
export type BooleanSetting = { [K in keyof Settings]-?: Settings[K] extends boolean ? K : never }[keyof Settings];

/** Why a provider takes no jobs with these settings (it is switched off), or null. */
export function providerOff(spec: ProviderSpec, settings: Settings): string | null {
  return spec.enabledBy && !settings[spec.enabledBy.setting] ? spec.enabledBy.whenOff : null;
}

/** Estimated spoken duration of a script: ~150 words per minute, the usual narration pace. */
export function estimateSpokenSeconds(script: string): number {
  const words = script.trim().split(/\s+/).filter(Boolean).length;
  return words === 0 ? 0 : Math.max(1, Math.round((words / 150) * 60 * 10) / 10);
}

export function refDurationSec(ref: ResolvedRef | undefined): number | undefined {
  return ref && 'asset' in ref ? ref.asset.durationSec : undefined;
}

/** Lower-case extension of a stored asset's name or of a URL's path, without the dot. */
export function refExtension(ref: ResolvedRef): string {
  const name = 'asset' in ref ? ref.asset.name : safePathOfUrl(ref.url);
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function safePathOfUrl(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Checks shared by every spec: one file input against the format and size limits. */
export function checkFileRef(
  field: 'avatar' | 'audio' | 'video',
  ref: ResolvedRef | undefined,
  opts: Readonly<{ formats?: readonly string[]; maxBytes?: number; maxSec?: number; kinds: readonly AssetInfo['kind'][] }>,
): Issue[] {
  if (!ref) return [];
  const issues: Issue[] = [];
  if ('url' in ref) {
    if (!/^https?:\/\//i.test(ref.url)) {
      issues.push({ field, message: `"${ref.url}" is not an http(s) URL`, accepted: 'a local file or an http:// or https:// URL' });
    }
    return issues;
  }
  const a = ref.asset;
  if (!opts.kinds.includes(a.kind)) {
    issues.push({ field, message: `${a.name} is ${a.kind === 'audio' ? 'an' : 'a'} ${a.kind} file`, accepted: opts.kinds.join(' or ') });
  }
  const ext = refExtension(ref);
  if (opts.formats && !opts.formats.includes(ext)) {
    issues.push({ field, message: `${a.name}: .${ext || '(none)'} files are not accepted`, accepted: opts.formats.map((f) => `.${f}`).join(', ') });
  }
  if (opts.maxBytes !== undefined && a.size > opts.maxBytes) {
    issues.push({ field, message: `${a.name} is ${formatBytes(a.size)}`, accepted: `at most ${formatBytes(opts.maxBytes)}` });
  }
  if (opts.maxSec !== undefined && a.durationSec !== undefined && a.durationSec > opts.maxSec) {
    issues.push({ field, message: `${a.name} lasts ${a.durationSec.toFixed(1)} s`, accepted: `at most ${opts.maxSec} s` });
  }
  return issues;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Parses a params object against a spec's schema and turns zod issues into our field-named Issues. */
export function paramIssues(schema: z.ZodObject, params: Readonly<Record<string, unknown>>): Issue[] {
  const res = schema.safeParse(params);
  if (res.success) return [];
  const shape = schema.shape as Record<string, z.ZodType>;
  return res.error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return {
      field: path ? `param.${path}` : 'params',
      message: i.message,
      ...acceptedOf(i, shape),
    };
  });
}

/** Every Issue says what is accepted: the allowed values, the known parameters, or the field's own description. */
function acceptedOf(i: z.core.$ZodIssue, shape: Readonly<Record<string, z.ZodType>>): { accepted?: string } {
  if (i.code === 'invalid_value' && 'values' in i) return { accepted: (i.values as unknown[]).map(String).join(', ') };
  if (i.code === 'unrecognized_keys') {
    const known = Object.keys(shape);
    return { accepted: known.length ? `only these parameters: ${known.join(', ')}` : 'no parameters' };
  }
  const field = i.path.length ? shape[String(i.path[0])] : undefined;
  const description = field ? descriptionOf(field) : undefined;
  const expected = i.code === 'invalid_type' ? `${/^[aeiou]/.test(i.expected) ? 'an' : 'a'} ${i.expected}` : undefined;
  const accepted = [expected, description].filter(Boolean).join(': ');
  return accepted ? { accepted } : {};
}

/** `.describe()` text, also through .optional()/.default() wrappers (they do not carry it over). */
function descriptionOf(schema: z.ZodType): string | undefined {
  let cur: z.ZodType | undefined = schema;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur.description) return cur.description;
    cur = (cur as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def.innerType;
  }
  return undefined;
}
