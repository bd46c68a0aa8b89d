import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Papa from 'papaparse';
import type { JobEvent, OutputRecord } from '../../../shared/model';
import { renderFileName, sanitizeName } from '../../../shared/naming';
import type { BatchRepo } from '../db/batches';
import type { JobInternal, JobRepo } from '../db/jobs';
import type { OutputRepo } from '../db/outputs';
import { asStorageError } from '../storage';
import { probe } from '../media/probe';
import { anyFrame, firstNonBlackFrame } from '../media/thumbnail';
import type { DownloadSpec } from '../providers/types';
import { downloadTo } from './download';

/** Whether a file-system error (or its cause) concerns `dir`: its path is inside, or it is the disk itself. */
function isAbout(e: unknown, dir: string): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = cur as { syscall?: unknown; path?: unknown; code?: unknown; cause?: unknown };
    if (typeof c.syscall === 'string') {
      if (typeof c.path === 'string') {
        const rel = path.relative(path.resolve(dir), path.resolve(c.path));
        return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
      }
      // A write or fsync has no path: only the library is written here, so a disk-level failure is its.
      return c.code === 'ENOSPC' || c.code === 'EDQUOT' || c.code === 'EROFS' || c.code === 'EIO';
    }
    cur = c.cause;
  }
  return false;
}

/**
 * The local library: <library>/<batch name>/<file name template>.mp4 with a thumbnail and a JSON
 * sidecar beside each video. Downloads land in <library>/.partial and are renamed into place only
 * when complete and verified, so no half-written file ever carries a library name.
 */
export type LibraryDeps = Readonly<{
  jobs: JobRepo;
  batches: BatchRepo;
  outputs: OutputRepo;
  dir: () => string;
  template: () => string;
  now?: () => number;
}>;

export type Sidecar = Readonly<{
  talkbatch: 1;
  jobId: string;
  batch: string;
  row: number;
  title: string;
  script: string | null;
  prompt: string | null;
  provider: string;
  model: string | null;
  params: Readonly<Record<string, unknown>>;
  inputs: Readonly<Record<string, unknown>>;
  providerJobId: string | null;
  cost: unknown;
  sha256: string;
  size: number;
  createdAt: string;
  timeline: readonly Readonly<{ at: string; message: string; status: string | null; requestId: string | null; error: string | null }>[];
}>;

/** The manifest's review column, in the words the library uses. */
const REVIEW_WORDS: Readonly<Record<string, string>> = { approved: 'keep', rejected: 'reject', redo: 'redo', none: '' };

export class Library {
  constructor(private readonly deps: LibraryDeps) {}

  get dir(): string {
    return this.deps.dir();
  }

  partialDir(): string {
    const d = path.join(this.dir, '.partial');
    mkdirSync(d, { recursive: true });
    return d;
  }

  partPath(jobId: string): string {
    return path.join(this.partialDir(), `${jobId}.part`);
  }

  /** Removes partial downloads no job is downloading any more (after a restart). */
  cleanPartials(keepJobIds: ReadonlySet<string>): number {
    const d = path.join(this.dir, '.partial');
    if (!existsSync(d)) return 0;
    let n = 0;
    for (const f of readdirSync(d)) {
      const id = f.replace(/\.(part|thumb|json)(\.tmp)?$/, '');
      if (!keepJobIds.has(id)) {
        void rm(path.join(d, f), { force: true });
        n++;
      }
    }
    return n;
  }

  /**
   * Downloads (resuming any earlier part), verifies, and moves the finished video into the library.
   * `complete` runs in the same transaction as the library entry is recorded (the job's completion),
   * so a crash can never leave a finished job without its entry, or one job with two entries.
   * A file system that cannot take the video (full, read-only, a file where the folder should be)
   * throws a StorageError naming the folder: not the provider's fault, fixed by the user.
   */
  async store(job: JobInternal, spec: DownloadSpec, signal?: AbortSignal, complete?: (out: OutputRecord) => void): Promise<OutputRecord> {
    const dir = this.dir;
    try {
      return await this.storeIn(job, spec, signal, complete);
    } catch (e) {
      // Only errors about the library's own files: a local render that is missing is not the library's problem.
      const se = isAbout(e, dir) ? asStorageError(e, `the library folder ${dir}`) : null;
      throw se ?? e;
    }
  }

  private async storeIn(job: JobInternal, spec: DownloadSpec, signal: AbortSignal | undefined, complete: ((out: OutputRecord) => void) | undefined): Promise<OutputRecord> {
    const part = this.partPath(job.id);
    const got = await downloadTo(spec, part, signal ? { signal } : {});
    // Make sure the bytes are on disk before the name appears.
    const fh = await open(part, 'r+');
    await fh.sync();
    await fh.close();

    const batch = this.deps.batches.get(job.batchId);
    const batchName = sanitizeName(batch?.name ?? 'Batch', 'Batch');
    const folder = path.join(this.dir, batchName);
    mkdirSync(folder, { recursive: true });
    const ext = (spec.extension ?? 'mp4').replace(/[^a-z0-9]/gi, '') || 'mp4';
    const base = renderFileName(this.deps.template(), {
      row: job.row,
      title: job.input.title,
      provider: job.provider,
      batch: batchName,
      date: new Date(this.now()).toISOString().slice(0, 10),
      job: job.id,
      model: typeof job.input.params.model === 'string' ? job.input.params.model : '',
    });
    const name = this.uniqueName(folder, base, ext, job.id);
    const videoPath = path.join(folder, `${name}.${ext}`);
    const thumbPath = path.join(folder, `${name}.jpg`);
    const sidecarPath = path.join(folder, `${name}.json`);

    let durationSec: number | null = null;
    try {
      durationSec = (await probe(part)).durationSec ?? null;
    } catch {
      durationSec = null;
    }
    const thumb = await this.makeThumbnail(spec, part, `${part}.thumb`).catch(() => null);
    const sidecar = this.sidecar(job, batch?.name ?? batchName, got.sha256, got.size);
    // Half-written files stay in .partial (cleaned after a crash); the sidecar, which marks the name as
    // this job's, is in place before the video, so a crash between the two reuses the same name.
    const sidecarTmp = path.join(this.partialDir(), `${job.id}.json.tmp`);
    await writeFile(sidecarTmp, JSON.stringify(sidecar, null, 2));

    if (thumb) await rename(thumb, thumbPath);
    await rename(sidecarTmp, sidecarPath);
    await rename(part, videoPath);

    const id = randomUUID();
    this.deps.outputs.insertThen(
      {
        id,
        jobId: job.id,
        file: path.relative(this.dir, videoPath),
        thumbnail: thumb ? path.relative(this.dir, thumbPath) : null,
        sidecar: path.relative(this.dir, sidecarPath),
        sha256: got.sha256,
        size: got.size,
        durationSec,
        createdAt: this.now(),
      },
      complete ? () => complete(this.deps.outputs.get(id)!) : undefined,
    );
    return this.deps.outputs.get(id)!;
  }

  /** A name not taken by another job's video; our own earlier attempt's name is reused. */
  private uniqueName(folder: string, base: string, ext: string, jobId: string): string {
    for (let i = 1; i < 10_000; i++) {
      const name = i === 1 ? base : `${base} (${i})`;
      const video = path.join(folder, `${name}.${ext}`);
      if (!existsSync(video)) return name;
      try {
        const side = JSON.parse(readFileSync(path.join(folder, `${name}.json`), 'utf8')) as { jobId?: string };
        if (side.jobId === jobId) return name;
      } catch {
        // not ours
      }
    }
    return `${base}-${jobId.slice(0, 8)}`;
  }

  /**
   * The provider's thumbnail when it shows something; else the first non-black frame of the video
   * (a missing, broken, 1×1 or black provider thumbnail is replaced), else any frame.
   */
  private async makeThumbnail(spec: DownloadSpec, video: string, out: string): Promise<string | null> {
    if (spec.thumbnail) {
      const got = `${out}.provider`;
      try {
        await downloadTo(spec.thumbnail, got, { timeoutMs: 30_000 });
        if (await firstNonBlackFrame(got, out)) return out;
      } catch {
        // fall back to a frame of our own
      } finally {
        await rm(got, { force: true });
      }
    }
    if (await firstNonBlackFrame(video, out)) return out;
    return (await anyFrame(video, out)) ? out : null;
  }

  private sidecar(job: JobInternal, batchName: string, sha256: string, size: number): Sidecar {
    const events: JobEvent[] = this.deps.jobs.events(job.id);
    const { title, script, prompt, params, ...inputs } = job.input;
    return {
      talkbatch: 1,
      jobId: job.id,
      batch: batchName,
      row: job.row,
      title,
      script: script ?? null,
      prompt: prompt ?? null,
      provider: job.provider,
      model: typeof params.model === 'string' ? params.model : typeof params.model_version === 'string' ? params.model_version : null,
      params,
      inputs,
      providerJobId: job.providerJobId,
      cost: job.costUsed ?? job.costEstimate,
      sha256,
      size,
      createdAt: new Date(this.now()).toISOString(),
      timeline: events.map((e) => ({ at: new Date(e.at).toISOString(), message: e.message, status: e.toStatus, requestId: e.requestId, error: e.errorCode })),
    };
  }

  /** Batch manifest: input row → output file, provider job id, status, cost, error. */
  async manifest(batchId: string): Promise<{ csv: string; path: string }> {
    const batch = this.deps.batches.get(batchId);
    if (!batch) throw new Error('No such batch');
    const jobs = this.deps.jobs.list({ batchId });
    const outputs = new Map(this.deps.outputs.list({ batchId, limit: 100_000 }).items.map((o) => [o.jobId, o]));
    const csv = Papa.unparse(
      jobs.map((j) => ({
        row: j.row,
        title: j.input.title,
        provider: j.provider,
        status: j.status,
        output_file: outputs.get(j.id)?.file ?? '',
        provider_job_id: j.providerJobId ?? '',
        cost: j.costUsed?.amount ?? j.costEstimate?.amount ?? '',
        cost_unit: j.costUsed?.unit ?? j.costEstimate?.unit ?? '',
        cost_is_estimate: j.costUsed ? 'no' : 'yes',
        review: REVIEW_WORDS[outputs.get(j.id)?.review ?? 'none'],
        error: j.error ? `${j.error.message} (${j.error.code})` : '',
      })),
      { newline: '\r\n' },
    );
    const folder = path.join(this.dir, sanitizeName(batch.name, 'Batch'));
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'manifest.csv');
    await writeFile(`${file}.tmp`, csv);
    await rename(`${file}.tmp`, file);
    return { csv, path: file };
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
