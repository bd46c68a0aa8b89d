import { z } from 'zod';
import { JOB_STATUSES } from './lifecycle';
import type { RenderSample } from './eta';
import type { AssetInfo, BatchSummary, JobEvent, JobRecord, Money, OutputRecord, QueueState, Review } from './model';
import type { Capability, CredentialField, InputLimits, ProviderMode } from './provider-spec';
import { PROVIDER_IDS, type ProviderId } from './providers';
import type { Issue, Result } from './result';
import { settingsSchema, type Settings } from './settings';

/**
 * The one contract between the renderer and the core (DESIGN.md rule 2). Every request channel and
 * every pushed event is declared here, once. Electron's preload exposes exactly these channels, main
 * registers a handler for each, and server mode serves them as POST /api/<channel> + SSE.
 * Inputs are zod schemas (checked by the core: the renderer is not trusted); outputs are types.
 */

/** channel<Output>()(inputSchema): the output type is named, the input type is inferred from the schema. */
const channel =
  <O,>() =>
  <I extends z.ZodType>(input: I) => ({ input, output: undefined as unknown as O });
const event = <P>() => undefined as unknown as P;

const providerId = z.enum(PROVIDER_IDS);
const vaultOwner = z.union([providerId, z.literal('assethost')]);
const ids = z.array(z.string().min(1)).min(1).max(10_000);
const money = z.object({ amount: z.number().nonnegative(), unit: z.enum(['USD', 'credits']) });

export const batchRowSchema = z.object({
  title: z.string(),
  provider: z.string(),
  script: z.string().optional(),
  prompt: z.string().optional(),
  avatar: z.string().optional(),
  audio: z.string().optional(),
  video: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

/** How the library can be sorted (each newest/longest/A-first, with the date breaking ties). */
export const LIBRARY_SORTS = ['date', 'title', 'batch', 'provider', 'review', 'duration'] as const;
export type LibrarySort = (typeof LIBRARY_SORTS)[number];

export const JOB_ACTIONS = [
  'cancel',
  'retry',
  'pause',
  'resume',
  /** stalled: keep waiting for the provider */
  'keep_waiting',
  /** stalled / submit_unknown: give up on it */
  'mark_failed',
  /** submit_unknown: the user accepts the risk and sends it again */
  'resubmit',
  /** submit_unknown: look for it at the provider again */
  'reconcile',
  /** Creatify template preview: render the final video */
  'approve',
  /** draft → queued ("render the rest" after a test run) */
  'release',
] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

export type AppInfo = Readonly<{
  version: string;
  mode: 'electron' | 'server';
  dataDir: string;
  libraryDir: string;
  platform: string;
}>;

export type ProviderInfo = Readonly<{
  id: ProviderId;
  name: string;
  configured: boolean;
  enabled: boolean;
  notice?: string;
  docsVersion: string;
  capabilities: readonly Capability[];
  modes: readonly ProviderMode[];
  limits: InputLimits;
  credentialFields: readonly CredentialField[];
  concurrency: number;
  concurrencyDefault: number;
  baseUrl: string;
  defaultBaseUrl: string;
  costUnit: Money['unit'];
  costRule: string;
  needsAssetHost: boolean;
}>;

export type CredentialInfo = Readonly<{
  id: string;
  provider: ProviderId | 'assethost';
  label: string;
  active: boolean;
  source: 'vault' | 'env';
  /** field → "••••abcd" for secrets (last 4 only), or the value itself for non-secret fields. */
  hints: Readonly<Record<string, string>>;
  createdAt: number;
}>;

export type RowReport = Readonly<{
  row: number;
  title: string;
  provider: string;
  issues: readonly Issue[];
  estimate: Readonly<{ amount: number | null; unit: Money['unit']; rule: string }> | null;
  durationSec: number | null;
}>;

export type PreflightReport = Readonly<{
  ok: boolean;
  rows: readonly RowReport[];
  issues: readonly Issue[];
  totals: readonly Money[];
  unknownCostRows: number;
  durationSec: number;
}>;

export type ParsedBatch = Readonly<{
  rows: readonly z.output<typeof batchRowSchema>[];
  headers: readonly string[];
  issues: readonly Issue[];
}>;

export const contract = {
  'app:info': channel<AppInfo>()(z.object({})),
  'providers:list': channel<readonly ProviderInfo[]>()(z.object({})),
  'providers:options': channel<readonly Readonly<{ value: string; label: string; detail?: string; imageUrl?: string }>[]>()(
    z.object({ provider: providerId, list: z.string().min(1).max(200) }),
  ),

  'credentials:list': channel<readonly CredentialInfo[]>()(z.object({})),
  'credentials:set': channel<CredentialInfo>()(
    z.object({ provider: vaultOwner, label: z.string().max(80), values: z.record(z.string(), z.string().max(8192)), activate: z.boolean().optional() }),
  ),
  'credentials:remove': channel<null>()(z.object({ id: z.string().min(1) })),
  'credentials:activate': channel<null>()(z.object({ id: z.string().min(1) })),
  'credentials:test': channel<Readonly<{ ok: boolean; message: string; balance?: Money }>>()(
    z.object({ provider: providerId, id: z.string().optional() }),
  ),

  'settings:get': channel<Readonly<{ settings: Settings; vault: Readonly<{ secure: boolean; description: string; notice?: string }> }>>()(z.object({})),
  'settings:set': channel<Settings>()(z.object({ patch: settingsSchema.partial() })),

  'assets:import': channel<readonly (Readonly<{ path: string; asset: AssetInfo }> | Readonly<{ path: string; error: string; accepted: string }>)[]>()(
    z.object({ paths: z.array(z.string().min(1)).min(1).max(500) }),
  ),

  'batches:parse': channel<ParsedBatch>()(
    z.object({ text: z.string().max(64 * 1024 * 1024), format: z.enum(['csv', 'jsonl']), mapping: z.record(z.string(), z.string()).optional() }),
  ),
  'batches:preflight': channel<PreflightReport>()(z.object({ rows: z.array(batchRowSchema).min(1).max(100_000), baseDir: z.string().optional() })),
  'batches:create': channel<Readonly<{ batchId: string; jobIds: readonly string[] }>>()(
    z.object({
      name: z.string().max(200),
      rows: z.array(batchRowSchema).min(1).max(100_000),
      baseDir: z.string().optional(),
      testFirst: z.int().min(1).optional(),
      budget: money.optional(),
    }),
  ),
  'batches:list': channel<readonly BatchSummary[]>()(z.object({})),
  'batches:manifest': channel<Readonly<{ csv: string; path: string }>>()(z.object({ batchId: z.string().min(1) })),
  'batches:set-budget': channel<null>()(z.object({ batchId: z.string().min(1), budget: money.nullable() })),

  'jobs:list': channel<Readonly<{ jobs: readonly JobRecord[]; total: number }>>()(
    z.object({
      batchId: z.string().optional(),
      statuses: z.array(z.enum(JOB_STATUSES)).optional(),
      limit: z.int().min(1).max(100_000).optional(),
      offset: z.int().min(0).optional(),
      /** Newest batches first (the queue's first page); default oldest first. */
      newestFirst: z.boolean().optional(),
    }),
  ),
  'jobs:get': channel<Readonly<{ job: JobRecord; events: readonly JobEvent[]; output: OutputRecord | null }>>()(z.object({ id: z.string().min(1) })),
  'jobs:action': channel<Readonly<{ changed: number; skipped: readonly Readonly<{ id: string; reason: string }>[] }>>()(
    z.object({ ids, action: z.enum(JOB_ACTIONS) }),
  ),
  /** top/bottom of the whole line; up/down one place among the batch's waiting jobs; before: dropped onto that job. */
  'jobs:reorder': channel<null>()(z.object({ ids, position: z.enum(['top', 'bottom', 'up', 'down', 'before']), before: z.string().min(1).optional() })),

  'queue:get': channel<QueueState>()(z.object({})),
  'queue:set-paused': channel<QueueState>()(z.object({ paused: z.boolean() })),

  'library:list': channel<Readonly<{ items: readonly OutputRecord[]; total: number; tags: readonly string[] }>>()(
    z.object({
      text: z.string().max(500).optional(),
      batchId: z.string().optional(),
      provider: providerId.optional(),
      review: z.enum(['approved', 'rejected', 'redo', 'unreviewed']).optional(),
      tag: z.string().max(100).optional(),
      from: z.number().optional(),
      to: z.number().optional(),
      limit: z.int().min(1).max(10_000).optional(),
      offset: z.int().min(0).optional(),
      sort: z.enum(LIBRARY_SORTS).optional(),
    }),
  ),
  'library:review': channel<OutputRecord>()(
    z.object({ id: z.string().min(1), review: z.enum(['approved', 'rejected', 'redo']).nullable(), tags: z.array(z.string().min(1).max(50)).max(50).optional() }),
  ),
  'library:reveal': channel<Readonly<{ path: string; opened: boolean }>>()(z.object({ id: z.string().min(1) })),
  'library:rerender': channel<Readonly<{ batchId: string; jobIds: readonly string[] }>>()(
    z.object({ id: z.string().min(1), provider: providerId, params: z.record(z.string(), z.unknown()).optional() }),
  ),

  // Queue and review (issue 14): how long past renders took here, for the time-left estimates.
  'queue:insights': channel<Readonly<{ history: readonly RenderSample[] }>>()(z.object({})),
} as const;

export const events = {
  'jobs:changed': event<Readonly<{ jobs: readonly JobRecord[] }>>(),
  'batches:changed': event<Readonly<{ batches: readonly BatchSummary[] }>>(),
  'queue:changed': event<QueueState>(),
  'library:changed': event<Readonly<{ outputIds: readonly string[] }>>(),
  'settings:changed': event<Settings>(),
  notice: event<Readonly<{ level: 'info' | 'warn' | 'error'; message: string; batchId?: string }>>(),
} as const;

export type Contract = typeof contract;
export type ChannelName = keyof Contract;
export type ChannelInput<K extends ChannelName> = z.input<Contract[K]['input']>;
export type ChannelParsed<K extends ChannelName> = z.output<Contract[K]['input']>;
export type ChannelOutput<K extends ChannelName> = Contract[K]['output'];
export type EventName = keyof typeof events;
export type EventPayload<K extends EventName> = (typeof events)[K];

export const CHANNEL_NAMES = Object.keys(contract) as ChannelName[];
/** The one IPC channel pushed events travel on in Electron (each carries its event name). */
export const EVENT_CHANNEL = 'talkbatch:event';
export const EVENT_NAMES = Object.keys(events) as EventName[];

/** What the renderer holds: one function per channel, errors as values. */
export type Api = { readonly [K in ChannelName]: (input: ChannelInput<K>) => Promise<Result<ChannelOutput<K>>> };

/** What the core implements: one handler per channel, given parsed input; throw AppError for user errors. */
export type Handlers = { readonly [K in ChannelName]: (input: ChannelParsed<K>) => Promise<ChannelOutput<K>> | ChannelOutput<K> };

export type EventListener = <K extends EventName>(name: K, payload: EventPayload<K>) => void;

/** The bridge a transport gives the renderer (Electron preload or the HTTP client). */
export type Bridge = Readonly<{
  invoke: Api;
  subscribe(listener: (name: EventName, payload: unknown) => void): () => void;
}>;

export function isChannelName(v: string): v is ChannelName {
  return Object.prototype.hasOwnProperty.call(contract, v);
}

export type { Review };
