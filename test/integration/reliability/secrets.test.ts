import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ChannelName, Handlers } from '../../../shared/contract';
import { isTerminal } from '../../../shared/lifecycle';
import type { BatchRow } from '../../../shared/model';
import { CLOUD_PROVIDER_IDS, PROVIDER_IDS } from '../../../shared/providers';
import { openCore, type Core } from '../../../electron/core/app-core';
import { createHandlers, dispatch } from '../../../electron/core/handlers';
import { fileKeyCipher } from '../../../electron/core/secrets/cipher';
import { FIXTURES } from '../../fakes/base';
import { startAllFakes, type AllFakes } from '../../fakes/index';
import { rowFor } from '../../helpers/engine-harness';
import { walk } from '../../reliability/lib/checks';
import { cleanEnv, ensureCliBuilt, exitOf, killAll, talkbatch, until } from '../../reliability/lib/cli';

/**
 * Canary keys for every provider and the asset host, distinctive enough to grep for, through a batch
 * with a render the provider fails and an auth error whose answer quotes the key back (OpenAI's "Incorrect
 * API key provided: sk-…" does). Then everything is searched: every contract response and pushed event
 * (in-process and over HTTP + SSE), the log files, sidecars, manifests, the stdout/stderr of `serve` and
 * of a CLI that crashes, and the raw bytes of talkbatch.db and its WAL. No canary may appear anywhere.
 */

const tag = randomBytes(4).toString('hex');
const CANARY = {
  osharaPassword: `pw-CANARY-oshara-${tag}-1a2b`,
  osharaApiKey: `sk_CANARY-oshara-${tag}-3c4d`,
  techforge: `tfi-CANARY-techforge-${tag}-5e6f`,
  aisa: `sk-CANARY-aisa-${tag}-7a8b`,
  sync: `sk-sync-CANARY-${tag}-9c0d`,
  creatify: `cf-CANARY-creatify-${tag}-1e2f`,
  s3Key: `AKIACANARY${tag}3A4B`,
  s3Secret: `s3secret-CANARY-${tag}-5c6d`,
};
const ALL = Object.values(CANARY);

/** Every canary (and its unmistakable middle part) found in `text`. */
function leaks(text: string): string[] {
  return ALL.filter((c) => text.includes(c) || text.includes(c.slice(0, -5))).concat(text.includes(`CANARY-`) || text.includes(`CANARY${tag}`) ? ['CANARY'] : []);
}

/** Fakes that accept the canaries — except aisa, whose key is wrong and whose 401 quotes the key it got. */
async function canaryFakes(): Promise<AllFakes> {
  const fakes = await startAllFakes({ timeScale: 0.01 });
  fakes.oshara.account.password = CANARY.osharaPassword;
  fakes.oshara.setApiKey(CANARY.osharaApiKey);
  fakes.techforge.apiKey = CANARY.techforge;
  fakes.sync.setApiKey(CANARY.sync);
  fakes.creatify.setKeys('creatify-public-id', CANARY.creatify);
  fakes.aisa.server.intercept((req, res) => {
    const auth = String(req.headers.authorization ?? '');
    if (!auth || auth === `Bearer ${fakes.aisa.apiKey}`) return false;
    res.writeHead(401, { 'content-type': 'application/json', 'x-request-id': 'req_canary' });
    res.end(JSON.stringify({ error: { type: 'authentication_error', code: 'invalid_api_key', message: `Incorrect API key provided: ${auth.replace(/^Bearer /, '')}. Check the key in your aisa.one dashboard.` } }));
    return true;
  });
  // A render the provider fails, with its reason.
  fakes.sync.rejectNext('generation_audio_length_exceeded', 'Audio is longer than the 300 s limit');
  return fakes;
}

const CANARY_ENV = (fakes: AllFakes): Record<string, string> => ({
  ...Object.fromEntries(Object.entries(fakes.env).filter(([k]) => k.endsWith('_BASE_URL'))),
  TALKBATCH_OSHARA_EMAIL: fakes.oshara.account.email,
  TALKBATCH_OSHARA_PASSWORD: CANARY.osharaPassword,
  TALKBATCH_OSHARA_API_KEY: CANARY.osharaApiKey,
  TALKBATCH_TECHFORGE_API_KEY: CANARY.techforge,
  TALKBATCH_AISA_API_KEY: CANARY.aisa,
  TALKBATCH_SYNC_API_KEY: CANARY.sync,
  TALKBATCH_CREATIFY_API_ID: 'creatify-public-id',
  TALKBATCH_CREATIFY_API_KEY: CANARY.creatify,
  TALKBATCH_ASSET_HOST_ACCESS_KEY_ID: CANARY.s3Key,
  TALKBATCH_ASSET_HOST_SECRET_ACCESS_KEY: CANARY.s3Secret,
});

function rows(fakes: AllFakes): BatchRow[] {
  // One per provider, a second Sync row (the first is the one Sync fails), aisa fails on its key.
  return [...PROVIDER_IDS, 'sync' as const].map((p, i) => {
    const r = rowFor(p, `Secrets ${i + 1} ${p}`, fakes);
    return { ...r, ...(r.avatar ? { avatar: path.join(FIXTURES, r.avatar) } : {}), ...(r.audio ? { audio: path.join(FIXTURES, r.audio) } : {}), ...(r.video ? { video: path.join(FIXTURES, r.video) } : {}) };
  });
}

/** Every file a user or a support request could see: logs, sidecars, manifests, and the database's raw bytes. */
function filesOf(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of walk(dataDir)) {
    if (f.startsWith(`assets${path.sep}`) || /\.(mp4|jpg|png|wav|mp3|webp)$/.test(f) || f === 'vault.key') continue;
    out[f] = readFileSync(path.join(dataDir, f)).toString('latin1');
  }
  return out;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(killAll);

/** The read channels a renderer uses, called the way it would, after the batch. */
async function readEverything(call: (ch: ChannelName, input: unknown) => Promise<unknown>, jobIds: readonly string[], batchId: string): Promise<void> {
  for (const ch of ['app:info', 'providers:list', 'credentials:list', 'settings:get', 'queue:get', 'batches:list', 'library:list'] as const) await call(ch, {});
  await call('jobs:list', {});
  for (const id of jobIds) await call('jobs:get', { id });
  await call('batches:manifest', { batchId });
  for (const p of CLOUD_PROVIDER_IDS) await call('credentials:test', { provider: p });
  await call('providers:options', { provider: 'creatify', list: 'personas' });
  await call('providers:options', { provider: 'techforge', list: 'projects' });
}

describe('canary keys never leak', () => {
  it('keys saved in the vault (credentials:set): not in any contract response, event, log, sidecar, manifest, or the database files', async () => {
    const fakes = await canaryFakes();
    cleanups.push(() => fakes.close());
    const root = mkdtempSync(path.join(tmpdir(), 'tb-secrets-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'data');
    // Server mode with no keys in the environment: every key comes from the vault.
    const core: Core = openCore({ dataDir, mode: 'server', cipher: (p) => fileKeyCipher(p.root), env: CANARY_ENV_BASE(fakes), credentialsFromEnv: true, engine: { timeScale: 0.01 } });
    cleanups.push(() => core.close());
    const events: string[] = [];
    core.events.on((name, payload) => void events.push(`${name} ${JSON.stringify(payload)}`));
    const handlers: Handlers = createHandlers(core, { version: 'test', mode: 'server' });
    const responses: string[] = [];
    const call = async (ch: ChannelName, input: unknown) => {
      const r = await dispatch(handlers, ch, input, core.log.error);
      responses.push(`${ch} ${JSON.stringify(r)}`);
      return r;
    };
    await call('settings:set', { patch: { aisaEnabled: true, assetHost: fakes.assetHost, rateLimits: Object.fromEntries(PROVIDER_IDS.map((p) => [p, 6000])) } });
    for (const [provider, values] of [
      ['oshara', { email: fakes.oshara.account.email, password: CANARY.osharaPassword, apiKey: CANARY.osharaApiKey }],
      ['techforge', { apiKey: CANARY.techforge }],
      ['aisa', { apiKey: CANARY.aisa }],
      ['sync', { apiKey: CANARY.sync }],
      ['creatify', { apiId: 'creatify-public-id', apiKey: CANARY.creatify }],
      ['assethost', { accessKeyId: CANARY.s3Key, secretAccessKey: CANARY.s3Secret }],
    ] as const) {
      expect(await call('credentials:set', { provider, label: 'Canary', values }), provider).toMatchObject({ ok: true });
    }
    core.engine.start();
    const created = (await call('batches:create', { name: 'Secrets', rows: rows(fakes) })) as { ok: true; value: { batchId: string; jobIds: string[] } };
    expect(created.ok).toBe(true);
    const { batchId, jobIds } = created.value;
    await until(() => jobIds.every((id) => isTerminal(core.jobs.mustGet(id).status)) && core.engine.idle, 'the batch to finish', 30_000);

    const jobs = jobIds.map((id) => core.jobs.mustGet(id));
    // The run did what it should: renders done, Sync's own failure reason, aisa's auth error.
    expect(jobs.filter((j) => j.status === 'completed').map((j) => j.provider).sort()).toEqual(['creatify', 'local', 'oshara', 'sync', 'techforge']);
    expect(jobs.find((j) => j.provider === 'sync' && j.status === 'failed')?.error?.message).toContain('Audio is longer than the 300 s limit');
    // The provider's words are kept, the key it quoted is not.
    expect(jobs.find((j) => j.provider === 'aisa')).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('Incorrect API key provided: [redacted].') } });

    await readEverything(call, jobIds, batchId);
    for (const r of responses) expect(leaks(r), r.slice(0, 500)).toEqual([]);
    for (const e of events) expect(leaks(e), e.slice(0, 500)).toEqual([]);
    await core.close();
    const files = filesOf(dataDir);
    expect(Object.keys(files).some((f) => f.endsWith('.json') && f.startsWith('Library'))).toBe(true);
    expect(Object.keys(files).some((f) => f.endsWith('manifest.csv'))).toBe(true);
    expect(Object.keys(files)).toContain(path.join('logs', 'talkbatch.log'));
    for (const [f, text] of Object.entries(files)) expect(leaks(text), f).toEqual([]);
  }, 60_000);

  it('keys from the environment in server mode (`talkbatch serve`): not over HTTP, SSE, stdout/stderr (log echo on), files, or a crash’s output', async () => {
    ensureCliBuilt();
    const fakes = await canaryFakes();
    cleanups.push(() => fakes.close());
    const work = mkdtempSync(path.join(tmpdir(), 'tb-secrets-serve-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const dataDir = path.join(work, 'data');
    const setup = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: false, noLock: true });
    setup.settings.set({ aisaEnabled: true, assetHost: fakes.assetHost, rateLimits: Object.fromEntries(PROVIDER_IDS.map((p) => [p, 6000])) });
    await setup.close();
    const env = cleanEnv({ ...CANARY_ENV(fakes), TALKBATCH_ENGINE_TIMESCALE: '0.01', TALKBATCH_LOG_STDERR: '1' });
    const serve = talkbatch(['serve', '--port', '0', '--data-dir', dataDir], { cwd: work, env });
    await until(() => /Open: http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(serve.stdout()), 'serve to print its URL', 20_000, serve);
    const url = new URL(/Open: (\S+)/.exec(serve.stdout())![1]!);
    const token = url.searchParams.get('token')!;

    const bodies: string[] = [];
    const post = (ch: string, input: unknown) =>
      new Promise<unknown>((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: `/api/${ch}`, headers: { 'x-talkbatch-token': token, 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            bodies.push(`${ch} ${text}`);
            resolve(JSON.parse(text));
          });
        });
        req.on('error', reject);
        req.end(JSON.stringify(input));
      });
    let sse = '';
    const stream = http.get({ host: url.hostname, port: url.port, path: '/api/events', headers: { 'x-talkbatch-token': token } }, (res) => res.on('data', (c: Buffer) => (sse += c.toString())));
    stream.on('error', () => {});
    cleanups.push(() => void stream.destroy());

    const created = (await post('batches:create', { name: 'Secrets over HTTP', rows: rows(fakes) })) as { ok: boolean; value: { batchId: string; jobIds: string[] } };
    expect(created.ok, JSON.stringify(created)).toBe(true);
    const { batchId, jobIds } = created.value;
    // Polled like the renderer's store would, over the contract.
    let jobs: { status: string; provider: string }[] = [];
    for (const deadline = Date.now() + 40_000; ; ) {
      jobs = ((await post('jobs:list', {})) as { value: { jobs: typeof jobs } }).value.jobs;
      if (jobs.length === jobIds.length && jobs.every((j) => isTerminal(j.status as never))) break;
      if (Date.now() > deadline) throw new Error(`the batch did not finish: ${JSON.stringify(jobs)}\n${serve.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(jobs.filter((j) => j.status === 'completed')).toHaveLength(5);
    await readEverything((ch, input) => post(ch, input), jobIds, batchId);
    expect(sse).toContain('event: jobs:changed');

    // Killed as a crash would end it: whatever it printed until then.
    await serve.kill();
    // And a CLI that dies of an uncaught error (a vault key file that is not one), with the canaries in its environment.
    writeFileSync(path.join(dataDir, 'vault.key'), 'not a key');
    const crash = talkbatch(['work', '--data-dir', dataDir], { cwd: work, env });
    const crashed = await exitOf(crash, 20_000, 'the crashing CLI');
    expect(crashed.code).toBe(70);
    expect(crash.stderr()).toMatch(/^talkbatch: Error: .*vault\.key is not a Talkbatch vault key/);

    const texts: Record<string, string> = { 'serve stdout': serve.stdout(), 'serve stderr': serve.stderr(), sse, 'crash stdout': crash.stdout(), 'crash stderr': crash.stderr(), ...filesOf(dataDir) };
    expect(serve.stderr()).toMatch(/"level":"(info|warn|error)"/); // the log echo was on
    for (const b of bodies) expect(leaks(b), b.slice(0, 500)).toEqual([]);
    for (const [what, text] of Object.entries(texts)) expect(leaks(text), what).toEqual([]);
    expect(existsSync(path.join(dataDir, 'talkbatch.db'))).toBe(true);
  }, 90_000);
});

/** Only the fakes' addresses: the in-process core takes its keys from the vault. */
function CANARY_ENV_BASE(fakes: AllFakes): Record<string, string> {
  return Object.fromEntries(Object.entries(fakes.env).filter(([k]) => k.endsWith('_BASE_URL')));
}
