import type { AssetInfo, JobInput, Money } from '../../../shared/model';
import type { CostEstimate, ProviderSpec, ValidationInput } from '../../../shared/provider-spec';
import type { Issue } from '../../../shared/result';
import type { HttpClient } from './http';

/**
 * The one interface every provider adapter satisfies (a plain object, see DESIGN.md rule 7).
 * All provider quirks live inside the adapter file; the scheduler knows none of them.
 *
 * Errors: adapters throw `ProviderError` (./http) with a kind the scheduler acts on
 * (retry, back off, fail now, reconcile). A user-facing message is written in the adapter.
 */
export interface ProviderAdapter {
  readonly id: ProviderSpec['id'];
  describe(): ProviderSpec;
  /** Every problem found before any money is spent (pure; assets already probed). */
  validate(input: ValidationInput): Issue[];
  estimateCost(input: ValidationInput): CostEstimate;

  /**
   * Sends the create request. The scheduler has already written the job `submitting` with its stable
   * `idempotencyKey`; the returned provider id is stored the moment this resolves.
   * Uploads that cost nothing (assets) may happen here first.
   */
  submit(job: AdapterJob, ctx: AdapterContext): Promise<SubmitResult>;
  /** Status of several running jobs; providers with a list endpoint answer many jobs with one request. */
  poll(jobs: readonly AdapterJob[], ctx: AdapterContext): Promise<ReadonlyMap<string, PollResult>>;
  /** How to download the finished video, fetched fresh (signed URLs expire). */
  output(job: AdapterJob, ctx: AdapterContext): Promise<DownloadSpec>;
  /** Cancel at the provider, where it can. */
  cancel?(job: AdapterJob, ctx: AdapterContext): Promise<void>;
  /**
   * For `submit_unknown`: find the provider job that a lost response may have created, without
   * submitting again blindly (idempotency key, list endpoints, title + creation time).
   */
  reconcile(job: AdapterJob, ctx: AdapterContext): Promise<ReconcileResult>;
  /** Continue after the user approved a preview (Creatify custom templates); may return state to merge. */
  approve?(job: AdapterJob, ctx: AdapterContext): Promise<void | Readonly<{ providerState?: Readonly<Record<string, unknown>> }>>;
  /** "Test key": a cheap authenticated call; the balance where the provider tells it. */
  testCredentials(ctx: AdapterContext): Promise<CredentialTest>;
  /** Picker lists (Creatify personas, voices; Oshara saved voices; TFI projects). */
  listOptions?(list: string, ctx: AdapterContext): Promise<readonly PickerOption[]>;
}

export type AdapterJob = Readonly<{
  /** Local job id. */
  id: string;
  /** Stable per submit attempt; sent as Idempotency-Key where the provider supports it. */
  idempotencyKey: string;
  attempt: number;
  input: JobInput;
  providerJobId: string | null;
  /** The adapter's own persisted notes about this job (phase, asset ids, marker used for reconcile…). */
  providerState: Readonly<Record<string, unknown>>;
  /** When the create request was first sent (ms since epoch), for reconcile by creation time. */
  submittedAt: number | null;
}>;

export type SubmitResult = Readonly<{
  providerJobId: string;
  providerState?: Readonly<Record<string, unknown>>;
  requestId?: string;
  /** Status in the create response, if any (saves the first poll). */
  initial?: PollResult;
}>;

export type PollState =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'canceled'
  /** The provider says the job does not exist: the job fails with that reason. */
  | 'not_found'
  /** A preview is ready and waits for the user's approval before the paid render. */
  | 'awaiting_approval';

export type PollResult = Readonly<{
  state: PollState;
  /** The provider's own status word, kept for the timeline. */
  rawStatus: string;
  /** 0..1 */
  progress?: number;
  etaSec?: number;
  costUsed?: Money;
  error?: Readonly<{ code: string; message: string }>;
  /** Merged into the job's providerState. */
  providerState?: Readonly<Record<string, unknown>>;
  preview?: Readonly<{ url: string; kind: 'video' | 'page' }>;
  /** The provider asked for this delay before the next poll (e.g. Retry-After on a long-poll). */
  nextPollMs?: number;
  requestId?: string;
}>;

export type DownloadSpec = Readonly<{
  url: string;
  /** Only where the download itself needs auth (aisa /content); never sent to third-party hosts otherwise. */
  headers?: Readonly<Record<string, string>>;
  /** ms since epoch; the library refreshes through `output()` after this. */
  expiresAt?: number;
  thumbnail?: Readonly<{ url: string; headers?: Readonly<Record<string, string>> }>;
  /** Without the dot; default mp4. */
  extension?: string;
}>;

export type ReconcileResult =
  | Readonly<{ outcome: 'found'; providerJobId: string; providerState?: Readonly<Record<string, unknown>>; evidence: string }>
  /** Proven absent: submitting again cannot pay twice. */
  | Readonly<{ outcome: 'absent'; evidence: string }>
  /** Nothing can be proven: the user decides, shown this evidence. */
  | Readonly<{ outcome: 'unknown'; evidence: string }>;

export type CredentialTest = Readonly<{ ok: boolean; message: string; balance?: Money }>;

export type PickerOption = Readonly<{ value: string; label: string; detail?: string; imageUrl?: string }>;

/** What the engine gives an adapter for one call. */
export interface AdapterContext {
  readonly baseUrl: string;
  /** Decrypted credential fields for this provider (keys from spec.credentialFields). Never logged. */
  readonly credentials: Readonly<Record<string, string>>;
  readonly http: HttpClient;
  readonly assets: AssetAccess;
  /** Small persisted per-provider state, e.g. Oshara's access/refresh tokens. */
  readonly state: ProviderStateStore;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Readonly<Record<string, unknown>>): void;
  now(): number;
  readonly signal: AbortSignal;
  /** A scratch folder of this provider's inside the data dir (temp files, local renders). Exists. */
  readonly workDir: string;
}

export interface AssetAccess {
  info(assetId: string): AssetInfo;
  /** Absolute path of the stored copy. */
  path(assetId: string): string;
  /** A file-backed Blob for multipart uploads: streamed from disk, never read whole into memory. */
  blob(assetId: string): Promise<Blob>;
  /**
   * A public URL for an asset (URL-only providers): uploaded once per host to the configured
   * S3-compatible asset host and reused across rows (cache by hash). Throws a permanent
   * ProviderError with a clear message when no asset host is configured.
   */
  publicUrl(assetId: string): Promise<string>;
  /** Remember a provider-side upload of an asset (e.g. a Sync assetId) so later rows reuse it. */
  remembered(key: string): string | undefined;
  remember(key: string, value: string): void;
}

export interface ProviderStateStore {
  get(key: string): string | undefined;
  set(key: string, value: string | undefined): void;
}
