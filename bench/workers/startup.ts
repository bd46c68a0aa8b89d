import { procStats, serve } from '../lib/rpc';

/**
 * Start-up: the time from nothing open to "core ready" — database opened, migrations checked, queue
 * recovered (the engine's recovery runs inside start()) — in a fresh process. Initialising the core's
 * modules (already in the bundle) is timed apart.
 */
const api = {
  async measure(p: { dataDir: string }) {
    const i0 = performance.now();
    const { openCore } = await import('../../electron/core/app-core');
    const { fileKeyCipher } = await import('../../electron/core/secrets/cipher');
    const importMs = performance.now() - i0;
    // Nothing may reach a real provider: every base URL points at a closed local port.
    const dead = 'http://127.0.0.1:9';
    const env = Object.fromEntries(['OSHARA', 'TECHFORGE', 'AISA', 'SYNC', 'CREATIFY'].map((p) => [`TALKBATCH_${p}_BASE_URL`, dead]));
    const t0 = performance.now();
    const core = openCore({ dataDir: p.dataDir, mode: 'server', cipher: (paths) => fileKeyCipher(paths.root), env, credentialsFromEnv: true });
    const t1 = performance.now();
    core.engine.start();
    const t2 = performance.now();
    // Stop before the first scheduler tick (it would start polls): start() only schedules it.
    await core.close();
    return { readyMs: t2 - t0, openMs: t1 - t0, resumeMs: t2 - t1, importMs, rss: procStats().rss };
  },
};

export type Api = typeof api;
serve(api);
