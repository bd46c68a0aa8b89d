import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { openCore, type Core } from '../../electron/core/app-core';
import { openDatabase } from '../../electron/core/db/open';
import { publicJob } from '../../electron/core/db/jobs';
import { createHandlers } from '../../electron/core/handlers';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';
import { startServer, type RunningServer } from '../../electron/server/http-server';
import { VERSION } from '../../electron/version';
import type { JobRecord } from '../../shared/model';
import { FIXTURES } from '../../test/fakes/base';
import { serve } from '../lib/rpc';
import { seedJobs } from '../lib/seed';

/**
 * Server mode for the UI figure: the real core, handlers and HTTP server (what `talkbatch serve` runs)
 * over a data folder seeded with a library and live jobs. The engine is not started (nothing may reach
 * a provider); instead `pump` emits jobs:changed / batches:changed / queue:changed through the core's
 * event bus as the engine's flush does, once per tick.
 */
let core: Core | null = null;
let server: RunningServer | null = null;
let pumpTimer: NodeJS.Timeout | null = null;
let pumped = { events: 0, jobs: 0 };

const api = {
  async start(p: { dataDir: string; rendererDir: string; library: number; live: number }) {
    if (p.library + p.live > 0) {
      const db = openDatabase(path.join(p.dataDir, 'talkbatch.db'));
      try {
        seedJobs(db, { perBatch: 500, mix: [['completed', p.library]], thumbnail: 'thumb.jpg', batchName: (i) => `Spring campaign ${i + 1}` });
        const running = Math.round(p.live * 0.7);
        const queued = Math.round(p.live * 0.2);
        seedJobs(db, { perBatch: 500, mix: [['running', running], ['queued', queued], ['downloading', p.live - running - queued]], batchName: (i) => `Tonight ${i + 1}` });
      } finally {
        db.close();
      }
      mkdirSync(path.join(p.dataDir, 'Library'), { recursive: true });
      copyFileSync(path.join(FIXTURES, 'thumb.jpg'), path.join(p.dataDir, 'Library', 'thumb.jpg'));
    }
    const dead = 'http://127.0.0.1:9';
    const env = Object.fromEntries(['OSHARA', 'TECHFORGE', 'AISA', 'SYNC', 'CREATIFY'].map((x) => [`TALKBATCH_${x}_BASE_URL`, dead]));
    core = openCore({ dataDir: p.dataDir, mode: 'server', cipher: (paths) => fileKeyCipher(paths.root), env, credentialsFromEnv: false });
    const handlers = createHandlers(core, { version: VERSION, mode: 'server' });
    server = await startServer({ core, handlers, rendererDir: p.rendererDir });
    return { url: server.url };
  },
  /** Emits `perSecond` job updates a second, in one event per tick (the engine coalesces per 100 ms). */
  pump(p: { perSecond: number; tickMs: number }) {
    const c = need();
    const live: JobRecord[] = c.jobs.list({ statuses: ['running', 'downloading', 'queued'] }).map(publicJob);
    const running = live.filter((j) => j.status === 'running');
    const perTick = Math.max(1, Math.round((p.perSecond * p.tickMs) / 1000));
    let next = 0;
    pumped = { events: 0, jobs: 0 };
    if (pumpTimer) clearInterval(pumpTimer);
    pumpTimer = setInterval(() => {
      const now = Date.now();
      const changed: JobRecord[] = [];
      for (let i = 0; i < perTick && running.length; i++) {
        const k = next++ % running.length;
        const j = running[k]!;
        running[k] = { ...j, progress: ((j.progress ?? 0) + 0.01) % 1, etaSec: 30 + (next % 600), updatedAt: now };
        changed.push(running[k]!);
      }
      c.events.emit('jobs:changed', { jobs: changed });
      c.events.emit('batches:changed', { batches: c.batches.summaries([...new Set(changed.map((j) => j.batchId))]) });
      c.events.emit('queue:changed', { paused: false, counts: c.jobs.countsByStatus() });
      pumped.events++;
      pumped.jobs += changed.length;
    }, p.tickMs);
    return { perTick, running: running.length };
  },
  stopPump() {
    if (pumpTimer) clearInterval(pumpTimer);
    pumpTimer = null;
    return pumped;
  },
  async close() {
    api.stopPump();
    await server?.close();
    await core?.close();
    server = null;
    core = null;
    return null;
  },
};

function need(): Core {
  if (!core) throw new Error('server not started');
  return core;
}

export type Api = typeof api;
serve(api);
