import { CHANNEL_NAMES, type Api, type Bridge, type ChannelName, type EventName } from '../../shared/contract';
import type { AssetInfo } from '../../shared/model';
import type { Result } from '../../shared/result';

/**
 * The renderer's one way out: the contract, through the Electron preload bridge or, in server
 * mode, over HTTP (POST /api/<channel>, SSE /api/events) with the token from the URL.
 */
export type ImportResult = Readonly<{ name: string; asset: AssetInfo }> | Readonly<{ name: string; error: string; accepted: string }>;

export type Transport = Bridge &
  Readonly<{
    mode: 'electron' | 'server';
    importFiles(files: readonly File[]): Promise<ImportResult[]>;
    mediaUrl(libraryRelativePath: string): string;
  }>;

type ElectronBridge = Bridge & Readonly<{ pathForFile: (file: File) => string }>;

declare global {
  interface Window {
    talkbatch?: ElectronBridge;
  }
}

export function createTransport(): Transport {
  const electron = window.talkbatch;
  if (electron) {
    return {
      mode: 'electron',
      invoke: electron.invoke,
      subscribe: electron.subscribe,
      async importFiles(files) {
        const paths = files.map((f) => electron.pathForFile(f));
        const res = await electron.invoke['assets:import']({ paths });
        if (!res.ok) return files.map((f) => ({ name: f.name, error: res.error.message, accepted: '' }));
        return res.value.map((r, i) => ('asset' in r ? { name: files[i]!.name, asset: r.asset } : { name: files[i]!.name, error: r.error, accepted: r.accepted }));
      },
      mediaUrl: (rel) => `media:${rel.split('/').map(encodeURIComponent).join('/')}`,
    };
  }
  return httpTransport();
}

function tokenFromUrl(): string {
  const url = new URL(window.location.href);
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) {
    sessionStorage.setItem('talkbatch-token', fromQuery);
    // Keep the token out of the address bar (screenshots, screen shares).
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.toString());
    return fromQuery;
  }
  return sessionStorage.getItem('talkbatch-token') ?? '';
}

function httpTransport(): Transport {
  const token = tokenFromUrl();
  const call = async (channel: ChannelName, input: unknown): Promise<Result<unknown>> => {
    try {
      const res = await fetch(`/api/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-talkbatch-token': token },
        body: JSON.stringify(input ?? {}),
      });
      return (await res.json()) as Result<unknown>;
    } catch (e) {
      return { ok: false, error: { code: 'offline', message: `Talkbatch is not reachable (${(e as Error).message}). Is it still running?` } };
    }
  };
  const invoke = Object.fromEntries(CHANNEL_NAMES.map((c) => [c, (input: unknown) => call(c, input)])) as unknown as Api;
  return {
    mode: 'server',
    invoke,
    subscribe(listener) {
      const es = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
      const names: EventName[] = ['jobs:changed', 'batches:changed', 'queue:changed', 'library:changed', 'settings:changed', 'notice'];
      const handlers = names.map((n) => {
        const h = (e: MessageEvent<string>) => listener(n, JSON.parse(e.data) as unknown);
        es.addEventListener(n, h as EventListener);
        return [n, h] as const;
      });
      return () => {
        for (const [n, h] of handlers) es.removeEventListener(n, h as EventListener);
        es.close();
      };
    },
    async importFiles(files) {
      const out: ImportResult[] = [];
      for (const f of files) {
        try {
          const res = await fetch(`/api/upload?name=${encodeURIComponent(f.name)}`, { method: 'POST', headers: { 'x-talkbatch-token': token }, body: f });
          const r = (await res.json()) as Result<AssetInfo>;
          out.push(r.ok ? { name: f.name, asset: r.value } : { name: f.name, error: r.error.message, accepted: r.error.issues?.[0]?.accepted ?? '' });
        } catch (e) {
          out.push({ name: f.name, error: (e as Error).message, accepted: '' });
        }
      }
      return out;
    },
    mediaUrl: (rel) => `/media/${rel.split('/').map(encodeURIComponent).join('/')}?token=${encodeURIComponent(token)}`,
  };
}
