import type { JobStatus } from './lifecycle';
import type { ProviderId } from './providers';
import type { ErrorInfo } from './result';

export type AssetKind = 'image' | 'video' | 'audio';

/** A content-addressed copy of an input file, kept in <data dir>/assets so moving the original never breaks a job. */
export type AssetInfo = Readonly<{
  /** sha256 of the bytes, hex. */
  id: string;
  /** The file name the user gave it (for display and for multipart uploads). */
  name: string;
  mime: string;
  kind: AssetKind;
  size: number;
  width?: number;
  height?: number;
  durationSec?: number;
}>;

/** An input as a job refers to it: a stored asset or a public URL the user gave. */
export type InputRef = Readonly<{ asset: string }> | Readonly<{ url: string }>;

export type CostUnit = 'USD' | 'credits';
export type Money = Readonly<{ amount: number; unit: CostUnit }>;

/** Everything a provider needs to render one video, after files were copied into the asset store. */
export type JobInput = Readonly<{
  title: string;
  script?: string;
  prompt?: string;
  avatar?: InputRef;
  audio?: InputRef;
  video?: InputRef;
  params: Readonly<Record<string, unknown>>;
}>;

/** One row of a batch as the user wrote it (CSV, JSONL, batch builder): file paths or URLs, not yet stored. */
export type BatchRow = Readonly<{
  title: string;
  provider: string;
  script?: string;
  prompt?: string;
  avatar?: string;
  audio?: string;
  video?: string;
  params?: Readonly<Record<string, unknown>>;
}>;

export type JobRecord = Readonly<{
  id: string;
  batchId: string;
  /** 1-based row of the batch the job came from. */
  row: number;
  provider: ProviderId;
  status: JobStatus;
  input: JobInput;
  /** Lower runs first. */
  priority: number;
  attempt: number;
  providerJobId: string | null;
  providerStatus: string | null;
  /** 0..1 */
  progress: number | null;
  etaSec: number | null;
  costEstimate: Money | null;
  costUsed: Money | null;
  error: ErrorInfo | null;
  outputId: string | null;
  /** A preview waiting for the user's approval before the paid render (Creatify templates). */
  preview: Readonly<{ url: string; kind: 'video' | 'page' }> | null;
  createdAt: number;
  updatedAt: number;
  submittedAt: number | null;
  finishedAt: number | null;
}>;

export type JobEventKind = 'transition' | 'request' | 'progress' | 'error' | 'note';

export type JobEvent = Readonly<{
  id: number;
  jobId: string;
  at: number;
  kind: JobEventKind;
  fromStatus: JobStatus | null;
  toStatus: JobStatus | null;
  message: string;
  providerJobId: string | null;
  requestId: string | null;
  errorCode: string | null;
}>;

export type BatchRecord = Readonly<{
  id: string;
  name: string;
  createdAt: number;
  /** Spending cap for this batch in its providers' units; null = no cap. */
  budget: Money | null;
  estimate: readonly Money[];
}>;

export type BatchSummary = BatchRecord &
  Readonly<{
    total: number;
    completed: number;
    failed: number;
    active: number;
    spent: readonly Money[];
  }>;

/** A take's review: keep ('approved'), reject, or redo (render the row again). */
export type Review = 'approved' | 'rejected' | 'redo' | null;

export type OutputRecord = Readonly<{
  id: string;
  jobId: string;
  batchId: string;
  batchName: string;
  provider: ProviderId;
  title: string;
  script: string | null;
  /** Path relative to the library folder. */
  file: string;
  thumbnail: string | null;
  sidecar: string;
  sha256: string;
  size: number;
  durationSec: number | null;
  createdAt: number;
  review: Review;
  tags: readonly string[];
}>;

export type QueueState = Readonly<{
  paused: boolean;
  counts: Readonly<Partial<Record<JobStatus, number>>>;
}>;
