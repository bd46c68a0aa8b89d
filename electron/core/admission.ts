import path from 'node:path';
import type { z } from 'zod';
import type { PreflightReport, RowReport } from '../../shared/contract';
import type { AssetInfo, BatchRow, InputRef, JobInput, Money } from '../../shared/model';
import { sanitizeName } from '../../shared/naming';
import { estimateSpokenSeconds, refDurationSec, type ResolvedRef, type ValidationInput } from '../../shared/provider-spec';
import { isProviderId, PROVIDER_IDS, PROVIDER_NAMES, type ProviderId } from '../../shared/providers';
import { AppError, type Issue } from '../../shared/result';
import type { AssetStore } from './assets/store';
import { FileProblem } from './assets/store';
import type { JobRepo, NewJob } from './db/jobs';
import type { OutputRepo } from './db/outputs';
import { resolvedInput } from './providers/kit';
import type { ProviderAdapter } from './providers/types';

/**
 * Admission: every row is checked (files opened and probed, the provider's own rules applied) before
 * anything is stored or sent; then all rows are admitted in one transaction, or none.
 */

export type AdmissionDeps = Readonly<{
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  assets: AssetStore;
  jobs: JobRepo;
  outputs: Pick<OutputRepo, 'get'>;
  /** Why a provider cannot take jobs at all (disabled), or null. */
  providerBlocked: (id: ProviderId) => string | null;
}>;

type FileField = 'avatar' | 'audio' | 'video';
/** A row's file inputs: a path to copy into the asset store, or an asset already stored (asset:<sha256>). */
type Prepared = { row: number; source: BatchRow; provider: ProviderId | null; input: ValidationInput | null; files: Map<FileField, string>; stored: Map<FileField, string>; issues: Issue[] };

/** Rows may refer to a file already in the asset store (dropped in the app) as asset:<sha256>. */
export const STORED_ASSET = /^asset:([0-9a-f]{64})$/;

const FILE_FIELDS = ['avatar', 'audio', 'video'] as const;
const RESERVED_TITLE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

export class Admission {
  constructor(private readonly d: AdmissionDeps) {}

  async preflight(rows: readonly BatchRow[], baseDir?: string): Promise<PreflightReport> {
    const prepared = await this.prepare(rows, baseDir);
    return this.report(prepared);
  }

  /** Admits all rows or none. `testFirst` queues the first N rows; the rest wait as drafts. */
  async admit(
    o: Readonly<{ name: string; rows: readonly BatchRow[]; baseDir?: string; testFirst?: number; budget?: Money; source?: string }>,
  ): Promise<{ batchId: string; jobIds: string[]; report: PreflightReport }> {
    const prepared = await this.prepare(o.rows, o.baseDir);
    const report = this.report(prepared);
    if (!report.ok) {
      const all = [...report.issues, ...report.rows.flatMap((r) => r.issues)];
      throw new AppError('invalid_batch', `${all.length} problem${all.length === 1 ? '' : 's'} found; nothing was queued`, all);
    }
    // Copy inputs into the asset store (same file → same asset; a file used by 500 rows is copied once).
    const imported = new Map<string, AssetInfo>();
    const jobs: NewJob[] = [];
    for (const p of prepared) {
      const refs: Partial<Record<(typeof FILE_FIELDS)[number], InputRef>> = {};
      for (const f of FILE_FIELDS) {
        const file = p.files.get(f);
        const storedId = p.stored.get(f);
        const v = p.input![f];
        if (storedId) refs[f] = { asset: storedId };
        else if (file) {
          let a = imported.get(file);
          if (!a) {
            const known = v && 'asset' in v ? (({ id: _id, ...meta }) => meta)(v.asset) : undefined;
            a = await this.d.assets.importFile(file, undefined, known);
            imported.set(file, a);
          }
          refs[f] = { asset: a.id };
        } else if (v && 'url' in v) refs[f] = { url: v.url };
      }
      const { avatar: _a, audio: _b, video: _c, ...rest } = p.input!;
      const input: JobInput = { ...rest, ...refs };
      const adapter = this.d.adapters.get(p.provider!)!;
      const est = adapter.estimateCost(p.input!);
      jobs.push({
        row: p.row,
        provider: p.provider!,
        input,
        costEstimate: est.amount === null ? null : { amount: est.amount, unit: est.unit },
        status: o.testFirst !== undefined && p.row > o.testFirst ? 'draft' : 'queued',
      });
    }
    const name = o.name.trim() || `Batch ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    const { batch, jobIds } = this.d.jobs.createBatch({ name, source: o.source ?? null, budget: o.budget ?? null, estimate: report.totals }, jobs);
    return { batchId: batch.id, jobIds, report };
  }

  /**
   * "Render again": a library video's inputs (already in the asset store) sent again, to the same or
   * another provider, as a new batch of one. Its parameters are kept for the same provider, otherwise
   * the new provider's defaults (or the ones given). The provider's checks run before anything is stored.
   */
  renderAgain(o: Readonly<{ outputId: string; provider: ProviderId; params?: Readonly<Record<string, unknown>> }>): { batchId: string; jobIds: string[] } {
    const output = this.d.outputs.get(o.outputId);
    const job = output ? this.d.jobs.get(output.jobId) : undefined;
    if (!output || !job) throw new AppError('not_found', 'That video is no longer in the library');
    const { provider } = o;
    const input: JobInput = { ...job.input, params: { ...(o.params ?? (provider === job.provider ? job.input.params : {})) } };
    const adapter = this.d.adapters.get(provider);
    if (!adapter) throw new AppError('unknown_provider', `${PROVIDER_NAMES[provider]} is not available in this build`);
    const checked = resolvedInput(input, this.d.assets);
    const blocked = this.d.providerBlocked(provider);
    const issues: Issue[] = [...(blocked ? [{ field: 'provider', message: blocked }] : []), ...adapter.validate(checked)];
    if (issues.length) throw new AppError('invalid_batch', `${PROVIDER_NAMES[provider]} cannot render this row as it is`, issues);
    const est = adapter.estimateCost(checked);
    const cost = est.amount === null ? null : { amount: est.amount, unit: est.unit };
    const created = this.d.jobs.createBatch(
      { name: `${output.batchName} — again with ${PROVIDER_NAMES[provider]}`, source: `rerender:${output.id}`, budget: null, estimate: cost ? [cost] : [] },
      [{ row: job.row, provider, input, costEstimate: cost, status: 'queued' }],
    );
    return { batchId: created.batch.id, jobIds: created.jobIds };
  }

  private async prepare(rows: readonly BatchRow[], baseDir?: string): Promise<Prepared[]> {
    const probed = new Map<string, Promise<Omit<AssetInfo, 'id'>>>();
    const out: Prepared[] = [];
    for (let i = 0; i < rows.length; i++) {
      const src = rows[i]!;
      const row = i + 1;
      const issues: Issue[] = [];
      const files = new Map<FileField, string>();
      const stored = new Map<FileField, string>();
      const title = (src.title ?? '').trim();
      if (!title) issues.push({ row, field: 'title', message: 'is empty', accepted: 'a short name for the video (it names the output file)' });
      else if (title.length > 200) issues.push({ row, field: 'title', message: `is ${title.length} characters long`, accepted: 'at most 200 characters' });
      else if (/[/\\]|\.\./.test(title) || RESERVED_TITLE.test(title)) {
        issues.push({ row, field: 'title', message: `"${title}" cannot name a file (it contains / \\ .. or is a reserved name)`, accepted: `a plain title, e.g. "${sanitizeName(title.replace(/\.\./g, ' '), 'My video')}"` });
      }
       
      else if (/[\u0000-\u001f]/.test(title)) issues.push({ row, field: 'title', message: 'contains control characters', accepted: 'plain text' });
      const providerRaw = (src.provider ?? '').trim().toLowerCase();
      let provider: ProviderId | null = null;
      if (!isProviderId(providerRaw)) {
        const near = PROVIDER_IDS.find((p) => editDistance(p, providerRaw) <= 2);
        issues.push({
          row,
          field: 'provider',
          message: providerRaw ? `"${src.provider}" is not a provider${near ? ` (did you mean ${near}?)` : ''}` : 'is empty',
          accepted: PROVIDER_IDS.join(', '),
        });
      } else {
        provider = providerRaw;
        const blocked = this.d.providerBlocked(provider);
        if (blocked) issues.push({ row, field: 'provider', message: blocked, accepted: PROVIDER_IDS.filter((p) => !this.d.providerBlocked(p)).join(', ') });
      }
      const resolved: Partial<Record<(typeof FILE_FIELDS)[number], ResolvedRef>> = {};
      for (const f of FILE_FIELDS) {
        const v = src[f]?.trim();
        if (!v) continue;
        const storedMatch = STORED_ASSET.exec(v);
        if (storedMatch) {
          const id = storedMatch[1]!;
          if (this.d.assets.has(id)) {
            resolved[f] = { asset: this.d.assets.info(id) };
            stored.set(f, id);
          } else issues.push({ row, field: f, message: 'this file is no longer in Talkbatch’s asset store', accepted: 'add the file again' });
          continue;
        }
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^(data|file|javascript):/i.test(v)) {
          if (/^https?:\/\//i.test(v)) {
            try {
              new URL(v);
              resolved[f] = { url: v };
            } catch {
              issues.push({ row, field: f, message: `"${v}" is not a valid URL`, accepted: 'a local file path or an http(s) URL' });
            }
          } else {
            issues.push({ row, field: f, message: `"${v.slice(0, 60)}" is not an http(s) URL`, accepted: 'a local file path or an http:// or https:// URL' });
          }
          continue;
        }
        // Relative paths are relative to the batch file. When its folder is unknown (a file read by the
        // browser in server mode, or pasted text), there is nothing sound to resolve against: the
        // process's working folder is "/" when the desktop app starts from Finder. Ask instead.
        if (!path.isAbsolute(v) && !(baseDir && path.isAbsolute(baseDir))) {
          issues.push({
            row,
            field: f,
            message: `"${v.slice(0, 80)}" is a relative path, and the folder of the batch file is not known`,
            accepted: 'an absolute path, or open the batch file from your disk (drop it or choose it in the desktop app) so paths are taken relative to its folder',
          });
          continue;
        }
        const abs = path.isAbsolute(v) ? path.normalize(v) : path.join(baseDir!, v);
        let p = probed.get(abs);
        if (!p) {
          p = this.d.assets.inspect(abs);
          probed.set(abs, p);
        }
        try {
          const meta = await p;
          resolved[f] = { asset: { id: '', ...meta } };
          files.set(f, abs);
        } catch (e) {
          if (e instanceof FileProblem) issues.push({ row, field: f, message: e.message, accepted: e.accepted });
          else issues.push({ row, field: f, message: (e as Error).message });
        }
      }
      let params: Record<string, unknown> = { ...(src.params ?? {}) };
      let input: ValidationInput | null = null;
      if (provider) {
        const adapter = this.d.adapters.get(provider);
        if (!adapter) issues.push({ row, field: 'provider', message: `${PROVIDER_NAMES[provider]} is not available in this build` });
        else {
          params = coerceParams(adapter.describe().params, params);
          input = {
            title,
            ...(src.script?.trim() ? { script: src.script.trim() } : {}),
            ...(src.prompt?.trim() ? { prompt: src.prompt.trim() } : {}),
            ...resolved,
            params,
          };
          // File problems already reported: the provider's checks of a missing file would only repeat them.
          const fileFieldsWithProblems = new Set(issues.filter((x) => (FILE_FIELDS as readonly string[]).includes(x.field)).map((x) => x.field));
          for (const issue of adapter.validate(input)) {
            if (fileFieldsWithProblems.has(issue.field)) continue;
            issues.push({ ...issue, row });
          }
        }
      }
      out.push({ row, source: src, provider, input, files, stored, issues });
    }
    return out;
  }

  private report(prepared: readonly Prepared[]): PreflightReport {
    const totals = new Map<Money['unit'], number>();
    let unknownCostRows = 0;
    let durationSec = 0;
    const rows: RowReport[] = prepared.map((p) => {
      let estimate: RowReport['estimate'] = null;
      let dur: number | null = null;
      if (p.provider && p.input && this.d.adapters.has(p.provider)) {
        try {
          estimate = this.d.adapters.get(p.provider)!.estimateCost(p.input);
        } catch {
          estimate = null;
        }
        if (estimate && estimate.amount !== null) totals.set(estimate.unit, (totals.get(estimate.unit) ?? 0) + estimate.amount);
        else unknownCostRows++;
        dur = refDurationSec(p.input.audio) ?? refDurationSec(p.input.video) ?? (p.input.script ? estimateSpokenSeconds(p.input.script) : null);
        if (typeof p.input.params.seconds === 'string' || typeof p.input.params.seconds === 'number') dur = Number(p.input.params.seconds);
        durationSec += dur ?? 0;
      }
      return { row: p.row, title: p.source.title, provider: p.source.provider, issues: p.issues, estimate, durationSec: dur };
    });
    const issues: Issue[] = prepared.length ? [] : [{ field: 'rows', message: 'the batch has no rows', accepted: 'at least one row' }];
    return {
      ok: issues.length === 0 && rows.every((r) => r.issues.length === 0),
      rows,
      issues,
      totals: [...totals].map(([unit, amount]) => ({ unit, amount: Math.round(amount * 1000) / 1000 })),
      unknownCostRows,
      durationSec: Math.round(durationSec * 10) / 10,
    };
  }
}

/**
 * CSV cells are text: "8" for a number field, "true" for a boolean, JSON for objects. A value the
 * schema accepts as written is kept; otherwise its JSON reading is tried. The schema then reports
 * anything still wrong, naming the field.
 */
export function coerceParams(schema: z.ZodObject, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const shape = schema.shape as Record<string, z.ZodType>;
  for (const [k, v] of Object.entries(params)) {
    const field = shape[k];
    if (!field || typeof v !== 'string') {
      out[k] = v;
      continue;
    }
    if (field.safeParse(v).success) {
      out[k] = v;
      continue;
    }
    try {
      const j = JSON.parse(v) as unknown;
      out[k] = field.safeParse(j).success ? j : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** Levenshtein distance, for "did you mean" hints on short names. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}
