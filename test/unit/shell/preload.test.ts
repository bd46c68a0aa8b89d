import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES, EVENT_CHANNEL } from '../../../shared/contract';

const h = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invoked: [] as unknown[][],
  listeners: new Map<string, (...a: unknown[]) => void>(),
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (k: string, v: unknown) => void h.exposed.set(k, v) },
  ipcRenderer: {
    invoke: async (...a: unknown[]) => (h.invoked.push(a), { ok: true, value: null }),
    on: (ch: string, fn: (...a: unknown[]) => void) => void h.listeners.set(ch, fn),
    off: (ch: string) => void h.listeners.delete(ch),
  },
  webUtils: { getPathForFile: () => '/home/me/avatar.png' },
}));

describe('preload bridge', () => {
  it('exposes one function per contract channel, events, and dropped-file paths — nothing else', async () => {
    await import('../../../electron/preload');
    expect([...h.exposed.keys()]).toEqual(['talkbatch']);
    const bridge = h.exposed.get('talkbatch') as { invoke: Record<string, (i: unknown) => Promise<unknown>>; subscribe: (l: (n: string, p: unknown) => void) => () => void; pathForFile: (f: unknown) => string };
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'pathForFile', 'subscribe']);
    expect(Object.keys(bridge.invoke).sort()).toEqual([...CHANNEL_NAMES].sort());
    await bridge.invoke['jobs:list']!({ limit: 5 });
    expect(h.invoked).toEqual([['jobs:list', { limit: 5 }]]);

    const got: unknown[] = [];
    const off = bridge.subscribe((n, p) => got.push([n, p]));
    h.listeners.get(EVENT_CHANNEL)!({}, 'queue:changed', { paused: true, counts: {} });
    h.listeners.get(EVENT_CHANNEL)!({}, 'not-an-event', { evil: true });
    expect(got).toEqual([['queue:changed', { paused: true, counts: {} }]]);
    off();
    expect(h.listeners.has(EVENT_CHANNEL)).toBe(false);
    expect(bridge.pathForFile({})).toBe('/home/me/avatar.png');
  });
});
