import path from 'node:path';
import { openCore } from './core/app-core';
import { createHandlers } from './core/handlers';
import { fileKeyCipher } from './core/secrets/cipher';
import { startServer } from './server/http-server';
import { VERSION } from './version';

type Out = { log: (s: string) => void; err: (s: string) => void };

/** Where the built renderer is: beside the bundle in dist/, or from the source tree. */
export function rendererDir(): string {
  return process.env.TALKBATCH_RENDERER_DIR ?? path.resolve(__dirname, '..', 'renderer');
}

/** TALKBATCH_ENGINE_TIMESCALE, as the CLI reads it: the engine's waits matched to fakes on compressed time (tests). */
function engineTimeScale(): { engine?: { timeScale: number } } {
  const k = Number(process.env.TALKBATCH_ENGINE_TIMESCALE);
  return Number.isFinite(k) && k > 0 ? { engine: { timeScale: k } } : {};
}

/**
 * `talkbatch serve` / `npm run serve`: the whole app in a browser tab. Runs until SIGINT/SIGTERM;
 * jobs in flight are recorded and resume at the next start.
 */
export async function serve(o: Readonly<{ dataDir: string; port: number; host: string; demo: boolean; out: Out }>): Promise<number> {
  type Fakes = { env: Record<string, string>; assetHost: Record<string, unknown>; failNext(provider: string): void; close(): Promise<void> };
  let fakes: Fakes | null = null;
  const timeScale = Number(process.env.TALKBATCH_DEMO_TIMESCALE ?? 0.05);
  if (o.demo) {
    // Demo mode: local fakes of every provider on compressed time, so the whole app can be tried
    // without accounts. TALKBATCH_DEMO_FAIL=oshara,sync makes each listed provider fail its first job.
    const modPath = path.resolve(__dirname, 'fakes.cjs');
    const mod = (await import(modPath)) as { startAllFakes: (opts: { timeScale: number }) => Promise<Fakes> };
    fakes = await mod.startAllFakes({ timeScale });
    for (const p of (process.env.TALKBATCH_DEMO_FAIL ?? '').split(',').filter(Boolean)) fakes.failNext(p.trim());
    Object.assign(process.env, fakes.env);
  }
  const core = openCore({
    dataDir: o.dataDir,
    mode: 'server',
    cipher: (p) => fileKeyCipher(p.root),
    env: process.env,
    credentialsFromEnv: true,
    echoLog: process.env.TALKBATCH_LOG_STDERR === '1',
    ...(o.demo ? { engine: { timeScale } } : engineTimeScale()),
  });
  if (fakes) {
    core.settings.set({ aisaEnabled: true, assetHost: fakes.assetHost as never });
  }
  const handlers = createHandlers(core, { version: VERSION, mode: 'server' });
  const server = await startServer({ core, handlers, rendererDir: rendererDir(), host: o.host, port: o.port });
  core.setLockUrl(server.origin);
  core.engine.start();
  if (o.host !== '127.0.0.1' && o.host !== 'localhost' && o.host !== '::1') {
    o.out.err(`Warning: listening on ${o.host}, not only on this computer. Anyone who can reach it and has the token can use your keys' credit.`);
  }
  o.out.log(`Talkbatch ${VERSION} is running${o.demo ? ' in demo mode (local fake providers)' : ''}.`);
  o.out.log(`Open: ${server.url}`);
  o.out.log(`Data folder: ${core.paths.root}`);
  o.out.log('Press Ctrl+C to stop; jobs in flight resume at the next start.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  o.out.log('Stopping…');
  await server.close();
  await core.close();
  await fakes?.close();
  return 0;
}
