import path from 'node:path';
import type { ChannelName, ChannelParsed, Handlers, ProviderInfo } from '../../shared/contract';
import { contract } from '../../shared/contract';
import { parseCsv, parseJsonl } from '../../shared/batch-format';
import type { BatchRow } from '../../shared/model';
import { PROVIDER_NAMES } from '../../shared/providers';
import { AppError, type ErrorInfo, type Result } from '../../shared/result';
import type { Core } from './app-core';
import { FileProblem } from './assets/store';
import { publicJob } from './db/jobs';
import { isProviderError } from './providers/http';
import { renderHistory } from './queue-insights/history';
import { ASSET_HOST } from './secrets/vault';

export type HandlerOptions = Readonly<{
  version: string;
  mode: 'electron' | 'server';
  /** Opens the OS file manager at a file (Electron); server mode only reports the path. */
  reveal?: (file: string) => boolean;
}>;

/** One handler per contract channel, each a thin route to a core service (DESIGN.md rule 4). */
export function createHandlers(core: Core, opts: HandlerOptions): Handlers {
  const { engine, jobs, queue } = core;
  const providerInfo = (): ProviderInfo[] =>
    [...core.adapters.values()].map((a) => {
      const s = a.describe();
      return {
        id: s.id,
        name: s.displayName,
        configured: s.credentialFields.length === 0 || core.vault.configured(s.id),
        enabled: core.providerBlocked(s.id) === null,
        ...(s.notice ? { notice: s.notice } : {}),
        docsVersion: s.docsVersion,
        capabilities: s.capabilities,
        modes: s.modes,
        limits: s.limits,
        credentialFields: s.credentialFields,
        concurrency: core.concurrencyOf(s.id),
        concurrencyDefault: s.concurrencyDefault,
        baseUrl: core.baseUrlOf(s.id),
        defaultBaseUrl: s.defaultBaseUrl,
        costUnit: s.costUnit,
        costRule: s.costRule,
        needsAssetHost: s.needsAssetHost === true,
      };
    });

  return {
    'app:info': () => ({
      version: opts.version,
      mode: opts.mode,
      dataDir: core.paths.root,
      libraryDir: core.library.dir,
      platform: process.platform,
    }),
    'providers:list': () => providerInfo(),
    'providers:options': async ({ provider, list }) => {
      const a = core.adapters.get(provider);
      if (!a?.listOptions) return [];
      return await a.listOptions(list, core.contextFor(provider));
    },

    'credentials:list': () => core.vault.list(),
    'credentials:set': ({ provider, label, values, activate }) => {
      const saved = core.vault.set(provider, label, values, activate ?? true);
      // Jobs of that provider may have been waiting for a key; the asset host's are woken as they run.
      if (provider !== ASSET_HOST) queue.retryWaiting({ provider });
      else queue.wake();
      return saved;
    },
    'credentials:remove': ({ id }) => {
      core.vault.remove(id);
      return null;
    },
    'credentials:activate': ({ id }) => {
      core.vault.activate(id);
      queue.wake();
      return null;
    },
    'credentials:test': async ({ provider, id }) => {
      const a = core.adapters.get(provider);
      if (!a) throw new AppError('unknown_provider', `Unknown provider ${provider}`);
      const creds = core.vault.resolve(provider, id);
      if (a.describe().credentialFields.length && !creds) return { ok: false, message: `No key saved for ${PROVIDER_NAMES[provider]}` };
      const ctx = { ...core.contextFor(provider), credentials: creds ?? {} };
      try {
        return await a.testCredentials(ctx);
      } catch (e) {
        return { ok: false, message: (e as Error).message };
      }
    },

    'settings:get': () => ({
      settings: core.settings.get(),
      vault: {
        secure: core.vault.cipher.secure,
        description: core.vault.cipher.description,
        ...(core.vault.movedKeys
          ? {
              notice:
                `${core.vault.movedKeys === 1 ? '1 saved key' : `${core.vault.movedKeys} saved keys`} from server mode moved into your system keychain at this start. ` +
                'Server mode and the CLI cannot read keys kept there: give them keys through environment variables, or save the keys there again.',
            }
          : {}),
      },
    }),
    'settings:set': ({ patch }) => {
      const before = core.settings.get();
      const next = core.settings.set(patch);
      queue.settingsChanged(before, next, patch);
      return next;
    },

    'assets:import': async ({ paths }) => {
      const out = [];
      for (const p of paths) {
        try {
          out.push({ path: p, asset: await core.assets.importFile(p) });
        } catch (e) {
          out.push({ path: p, error: (e as Error).message, accepted: e instanceof FileProblem ? e.accepted : '' });
        }
      }
      return out;
    },

    'batches:parse': ({ text, format, mapping }) => (format === 'csv' ? parseCsv(text, mapping ?? {}) : parseJsonl(text)),
    'batches:preflight': async ({ rows, baseDir }) => await core.admission.preflight(rows as BatchRow[], baseDir),
    'batches:create': async ({ name, rows, baseDir, testFirst, budget }) => {
      const res = await core.admission.admit({
        name,
        rows: rows as BatchRow[],
        ...(baseDir ? { baseDir } : {}),
        ...(testFirst !== undefined ? { testFirst } : {}),
        ...(budget ? { budget } : {}),
        source: 'app',
      });
      queue.added(res.jobIds);
      return { batchId: res.batchId, jobIds: res.jobIds };
    },
    'batches:list': () => core.batches.summaries(),
    'batches:manifest': async ({ batchId }) => await core.library.manifest(batchId),
    'batches:set-budget': ({ batchId, budget }) => {
      core.batches.setBudget(batchId, budget);
      queue.retryWaiting({ batchId });
      return null;
    },

    'jobs:list': ({ batchId, statuses, limit, offset, newestFirst }) => {
      const filter = { ...(batchId ? { batchId } : {}), ...(statuses ? { statuses } : {}) };
      return { jobs: jobs.list({ ...filter, limit: limit ?? 5000, offset: offset ?? 0, newestFirst: newestFirst ?? false }).map(publicJob), total: jobs.count(filter) };
    },
    'jobs:get': ({ id }) => {
      const job = jobs.get(id);
      if (!job) throw new AppError('not_found', 'That job no longer exists');
      const output = job.outputId ? (core.outputs.get(job.outputId) ?? null) : null;
      return { job: publicJob(job), events: jobs.events(id), output };
    },
    'jobs:action': async ({ ids, action }) => await engine.act(ids, action),
    'jobs:reorder': ({ ids, position, before }) => {
      if (position === 'before' && !before) throw new AppError('invalid_input', 'Moving jobs before another job needs that job (before)');
      engine.reorder(ids, position, before);
      return null;
    },

    'queue:get': () => queue.state(),
    'queue:set-paused': ({ paused }) => queue.setPaused(paused),

    'library:list': (q) => {
      const { items, total } = core.outputs.list(q);
      return { items, total, tags: core.outputs.allTags() };
    },
    'library:review': ({ id, review, tags }) => {
      if (!core.outputs.get(id)) throw new AppError('not_found', 'That video is no longer in the library');
      core.outputs.setReview(id, review, tags);
      core.events.emit('library:changed', { outputIds: [id] });
      return core.outputs.get(id)!;
    },
    'library:reveal': ({ id }) => {
      const o = core.outputs.get(id);
      if (!o) throw new AppError('not_found', 'That video is no longer in the library');
      const file = path.join(core.library.dir, o.file);
      return { path: file, opened: opts.reveal?.(file) ?? false };
    },
    'library:rerender': ({ id, provider, params }) => {
      const again = core.admission.renderAgain({ outputId: id, provider, ...(params ? { params } : {}) });
      queue.added(again.jobIds);
      return again;
    },

    'queue:insights': () => ({ history: renderHistory(core.db) }),
  };
}

/**
 * Runs one channel for a transport: validates the input against the contract (the renderer is not
 * trusted), calls the handler, and turns any failure into an error value with a user-facing message.
 */
export async function dispatch<K extends ChannelName>(handlers: Handlers, channel: K, raw: unknown, log?: (m: string, d: Record<string, unknown>) => void): Promise<Result<unknown>> {
  const parsed = contract[channel].input.safeParse(raw ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'invalid_input',
        message: `The request to ${channel} is not valid`,
        issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'input', message: i.message })),
      },
    };
  }
  try {
    const handler = handlers[channel] as (input: ChannelParsed<K>) => unknown;
    const value = await handler(parsed.data as ChannelParsed<K>);
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e, channel, log) };
  }
}

export function toErrorInfo(e: unknown, channel: string, log?: (m: string, d: Record<string, unknown>) => void): ErrorInfo {
  if (e instanceof AppError) return { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) };
  if (isProviderError(e)) return { code: e.code, message: e.message };
  if (e instanceof FileProblem) return { code: 'invalid_file', message: e.message, issues: [{ field: 'file', message: e.message, accepted: e.accepted }] };
  log?.('Handler failed', { channel, error: String((e as Error)?.stack ?? e) });
  return { code: 'internal', message: `Something went wrong (${(e as Error)?.message ?? 'unknown error'}). The details are in the log.` };
}
