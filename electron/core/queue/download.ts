import { PROVIDER_NAMES } from '../../../shared/providers';
import type { JobInternal } from '../db/jobs';
import type { ProviderAdapter } from '../providers/types';
import { StorageError } from '../storage';
import { asProviderError, toAdapterJob, type StageContext } from './context';
import { backoffMs } from './policy';

/**
 * The download stage: a finished render is saved to the library (resumable, verified; library.ts) a few
 * at a time, and the job completes in the same transaction as its library entry. A download that fails
 * is downloaded again (a fresh link through the adapter when the old one expired), never rendered again.
 *
 * A seam: which due download goes first is `pickDownloads` (today: the most overdue), and what happens
 * once a file is in the library (a quality check) belongs in `completed` — both here, nowhere else.
 */

const MAX_DOWNLOAD_TRIES = 15;

export function startDownloads(ctx: StageContext, now: number): void {
  const free = ctx.downloads.max - ctx.downloads.active;
  if (free <= 0) return;
  for (const job of pickDownloads(ctx, now, free)) {
    const adapter = ctx.adapters.get(job.provider);
    if (!adapter) continue;
    ctx.jobs.setNextAction([job.id], null);
    ctx.downloads.active++;
    ctx.tasks.track(
      download(ctx, adapter, job).finally(() => ctx.downloads.active--),
      [job.id],
    );
  }
}

/** The due downloads to start now, at most `free` of them, the most overdue first. */
function pickDownloads(ctx: StageContext, now: number, free: number): JobInternal[] {
  return ctx.jobs.due('downloading', now, free);
}

async function download(ctx: StageContext, adapter: ProviderAdapter, job: JobInternal): Promise<void> {
  const { jobs } = ctx;
  const name = PROVIDER_NAMES[job.provider];
  const ac = new AbortController();
  ctx.downloads.aborts.set(job.id, ac);
  try {
    const spec = await adapter.output(toAdapterJob(job), ctx.contextFor(job.provider, ctx.signal));
    let completed = false;
    // The library entry and the job's completion are written in one transaction.
    const out = await ctx.library.store(job, spec, AbortSignal.any([ac.signal, ctx.signal]), (o) => {
      if (jobs.mustGet(job.id).status !== 'downloading') return;
      jobs.transition(job.id, 'completed', { outputId: o.id, finishedAt: ctx.now(), nextActionAt: null, error: null }, {
        message: `Saved to the library as ${o.file} (${o.size} bytes, sha256 ${o.sha256.slice(0, 12)}…)`,
      });
      completed = true;
    });
    if (completed) {
      ctx.downloads.told.delete(job.id);
      ctx.emit('library:changed', { outputIds: [out.id] });
    }
  } catch (e) {
    const cur = jobs.get(job.id);
    if (!cur || cur.status !== 'downloading') return;
    if (e instanceof StorageError) {
      libraryUnwritable(ctx, cur, e);
      return;
    }
    // The database could not be written (disk full): the job is picked up again once it can (reschedule).
    if (ctx.storage.failed(e)) return;
    const err = asProviderError(e, name);
    const tries = cur.downloadAttempts + 1;
    const permanent = err.kind === 'permanent' || err.kind === 'auth' || err.kind === 'not_found';
    if (tries >= MAX_DOWNLOAD_TRIES || (permanent && tries >= 3)) {
      jobs.transition(
        job.id,
        'failed',
        { downloadAttempts: tries, nextActionAt: null, finishedAt: ctx.now(), error: { code: 'download_failed', message: `The video was rendered but could not be downloaded: ${err.message}` } },
        { kind: 'error', message: `Download failed for good (${err.message}). Retry downloads it again; it is never rendered again.`, errorCode: 'download_failed' },
      );
    } else {
      // An expired link is refreshed through the adapter on the next try (output() is called again).
      const wait = err.kind === 'expired' ? ctx.wait(500) : ctx.wait(backoffMs(tries, 2_000, 5 * 60_000, ctx.rand));
      jobs.update(job.id, { downloadAttempts: tries, nextActionAt: ctx.now() + wait }, {
        kind: 'error',
        message: `${err.kind === 'expired' ? 'Download link expired; asking for a fresh one' : `Download interrupted (${err.message})`}; retrying.`,
        errorCode: err.code,
      });
    }
  } finally {
    ctx.downloads.aborts.delete(job.id);
    ctx.notify.markChanged(job.id);
  }
}

/**
 * The library folder cannot take the video (full, read-only, a file in its place, removed): the user's
 * to fix, not the provider's. The job keeps waiting in `downloading` without using up its download
 * tries, the user is told once, and the download is tried again every little while (the render is
 * kept at the provider; it is never rendered again).
 */
function libraryUnwritable(ctx: StageContext, job: JobInternal, e: StorageError): void {
  const { jobs } = ctx;
  // A folder that disappeared is simply made again on the next try.
  const soon = e.kind === 'missing';
  const message = soon ? `${e.message}; saving it again.` : `${e.message}. The video is kept at the provider and saved as soon as this is fixed.`;
  const { told } = ctx.downloads;
  const already = told.get(job.id) === message;
  ctx.storage.record(job.id, () => {
    jobs.update(job.id, { nextActionAt: ctx.now() + ctx.wait(soon ? 1_000 : 10_000) }, already ? undefined : { kind: 'error', message, errorCode: 'library_unwritable' });
    told.set(job.id, message);
  });
  if (!soon) ctx.storage.warn(`${e.message}: finished videos wait until it is fixed (nothing is rendered again).`);
}
