import { create } from 'zustand';
import type { AppInfo, ChannelInput, ChannelName, ChannelOutput, CredentialInfo, EventName, ProviderInfo } from '../../shared/contract';
import type { BatchSummary, JobRecord, QueueState } from '../../shared/model';
import type { ErrorInfo } from '../../shared/result';
import type { Settings } from '../../shared/settings';
import { createTransport, type Transport } from './transport';

export type Route = 'compose' | 'queue' | 'library' | 'settings';
export type Notice = Readonly<{ id: number; level: 'info' | 'warn' | 'error'; message: string }>;

type State = {
  ready: boolean;
  route: Route;
  info: AppInfo | null;
  providers: readonly ProviderInfo[];
  settings: Settings | null;
  vault: Readonly<{ secure: boolean; description: string; notice?: string }> | null;
  credentials: readonly CredentialInfo[];
  jobs: ReadonlyMap<string, JobRecord>;
  jobsVersion: number;
  /** The full job list has arrived (it loads in the background: the shell never waits for it). */
  jobsLoaded: boolean;
  batches: readonly BatchSummary[];
  queue: QueueState;
  libraryVersion: number;
  notices: readonly Notice[];
  selectedJob: string | null;
};

type Actions = {
  init(): Promise<void>;
  go(route: Route): void;
  notify(level: Notice['level'], message: string): void;
  dismiss(id: number): void;
  selectJob(id: string | null): void;
  refreshProviders(): Promise<void>;
  refreshSettings(): Promise<void>;
  refreshJobs(): Promise<void>;
  /** Loads the job list once: the newest page first, so the queue shows at once, then the rest. */
  ensureJobs(): void;
  mergeJobs(list: readonly JobRecord[], complete: boolean): void;
};

export const transport: Transport = createTransport();

/** Calls a channel; on error shows the message and returns null (errors are values, never throws). */
export async function call<K extends ChannelName>(channel: K, input: ChannelInput<K>, opts: Readonly<{ quiet?: boolean }> = {}): Promise<ChannelOutput<K> | null> {
  const res = await transport.invoke[channel](input);
  if (res.ok) return res.value;
  if (!opts.quiet) useStore.getState().notify('error', describeError(res.error));
  return null;
}

/** The same, returning the error for screens that show it in place (forms, preflight). */
export async function callResult<K extends ChannelName>(channel: K, input: ChannelInput<K>) {
  return await transport.invoke[channel](input);
}

export function describeError(e: ErrorInfo): string {
  const first = e.issues?.slice(0, 3).map((i) => `${i.row !== undefined ? `row ${i.row}, ` : ''}${i.field}: ${i.message}`);
  return first?.length ? `${e.message} — ${first.join('; ')}` : e.message;
}

let noticeSeq = 0;
let jobsRequested = false;

export const useStore = create<State & Actions>((set, get) => ({
  ready: false,
  route: 'compose',
  info: null,
  providers: [],
  settings: null,
  vault: null,
  credentials: [],
  jobs: new Map(),
  jobsVersion: 0,
  jobsLoaded: false,
  batches: [],
  queue: { paused: false, counts: {} },
  libraryVersion: 0,
  notices: [],
  selectedJob: null,

  async init() {
    // Pushed events are applied once per animation frame: a busy queue sends several event kinds
    // per burst, and one store update per frame means one render per frame.
    let pendingJobs: JobRecord[] = [];
    let pendingBatches: BatchSummary[] = [];
    let pendingQueue: QueueState | null = null;
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const patch: Partial<State> = {};
      if (pendingJobs.length) {
        const next = new Map(get().jobs);
        for (const j of pendingJobs) next.set(j.id, j);
        patch.jobs = next;
        patch.jobsVersion = get().jobsVersion + 1;
      }
      if (pendingBatches.length) {
        const byId = new Map(get().batches.map((b) => [b.id, b]));
        for (const b of pendingBatches) byId.set(b.id, b);
        patch.batches = [...byId.values()].sort((a, b) => b.createdAt - a.createdAt);
      }
      if (pendingQueue) patch.queue = pendingQueue;
      pendingJobs = [];
      pendingBatches = [];
      pendingQueue = null;
      set(patch);
    };
    const later = () => {
      if (scheduled) return;
      scheduled = true;
      if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(flush);
      else setTimeout(flush, 50);
    };
    transport.subscribe((name: EventName, payload: unknown) => {
      switch (name) {
        case 'jobs:changed':
          pendingJobs.push(...(payload as { jobs: JobRecord[] }).jobs);
          later();
          break;
        case 'batches:changed':
          pendingBatches.push(...(payload as { batches: BatchSummary[] }).batches);
          later();
          break;
        case 'queue:changed':
          pendingQueue = payload as QueueState;
          later();
          break;
        case 'library:changed':
          set({ libraryVersion: get().libraryVersion + 1 });
          break;
        case 'settings:changed':
          set({ settings: payload as Settings });
          break;
        case 'notice': {
          const n = payload as { level: Notice['level']; message: string };
          get().notify(n.level, n.message);
          break;
        }
      }
    });
    const [info, queue, batches] = await Promise.all([call('app:info', {}), call('queue:get', {}), call('batches:list', {})]);
    set({ info, queue: queue ?? get().queue, batches: batches ?? [] });
    const hash = window.location.hash.slice(1) as Route;
    if (['compose', 'queue', 'library', 'settings'].includes(hash)) set({ route: hash });
    // Jobs load when the queue is first shown (ensureJobs): the other screens never wait for them.
    await Promise.all([get().refreshProviders(), get().refreshSettings()]);
    set({ ready: true });
  },
  go(route) {
    window.history.replaceState(null, '', `#${route}`);
    set({ route });
  },
  notify(level, message) {
    const id = ++noticeSeq;
    // Dismissed by the toast itself (components/Toasts.tsx), after a time that depends on the level.
    set({ notices: [...get().notices.slice(-4), { id, level, message }] });
  },
  dismiss(id) {
    set({ notices: get().notices.filter((n) => n.id !== id) });
  },
  selectJob(id) {
    set({ selectedJob: id });
  },
  async refreshProviders() {
    const [providers, credentials] = await Promise.all([call('providers:list', {}), call('credentials:list', {})]);
    set({ providers: providers ?? [], credentials: credentials ?? [] });
  },
  async refreshSettings() {
    const s = await call('settings:get', {});
    if (s) set({ settings: s.settings, vault: s.vault });
  },
  async refreshJobs() {
    const first = await call('jobs:list', { limit: 400, newestFirst: true });
    if (first) get().mergeJobs(first.jobs, first.jobs.length >= first.total);
    if (first && first.jobs.length < first.total) {
      const all = await call('jobs:list', { limit: 100_000 });
      if (all) get().mergeJobs(all.jobs, true);
    }
  },
  ensureJobs() {
    if (jobsRequested) return;
    jobsRequested = true;
    void get().refreshJobs();
  },
  mergeJobs(list, complete) {
    // Events that arrived while the list loaded are newer than the list: keep them.
    const merged = new Map(get().jobs);
    for (const j of list) if ((merged.get(j.id)?.updatedAt ?? -1) <= j.updatedAt) merged.set(j.id, j);
    set({ jobs: merged, jobsVersion: get().jobsVersion + 1, ...(complete ? { jobsLoaded: true } : {}) });
  },
}));
