import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Agent, interceptors, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, type ProviderError } from '../../../../electron/core/providers/http';
import type { AdapterJob, DownloadSpec, PollResult } from '../../../../electron/core/providers/types';
import { pollUntilDone, testAssets, testJob, type TestAssets } from '../../../helpers/context';
import { profiles, type Profile, type Rig } from './profiles';

/**
 * One contract, every adapter: each one, the local renderer included, is driven against its fake (the
 * local one against real ffmpeg) through the same steps the engine takes. A new adapter gets a profile
 * in profiles.ts and must pass all of it; a provider that cannot do something says so, and why.
 */
let assets: TestAssets;
const rigs: Rig[] = [];

beforeAll(async () => {
  assets = await testAssets();
});
afterAll(async () => {
  await assets.publicHost.close();
});
afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.close()));
});

async function started(p: Profile, o?: Readonly<{ slow?: boolean }>): Promise<Rig> {
  const rig = await p.start(assets, o);
  rigs.push(rig);
  return rig;
}

async function submitted(p: Profile, rig: Rig, input = rig.input()): Promise<AdapterJob> {
  const job = testJob(input, { submittedAt: Date.now() });
  const res = await p.adapter.submit(job, rig.ctx);
  expect(res.providerJobId).toEqual(expect.any(String));
  return { ...job, providerJobId: res.providerJobId, providerState: { ...(res.providerState ?? {}) } };
}

async function refusal(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

/** The library follows redirects (a signed link may redirect to a CDN, aisa's /content does). */
const redirecting = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));

/** The downloaded file, the way the library fetches it (auth headers only where the spec gives them). */
async function download(spec: DownloadSpec): Promise<Buffer> {
  if (spec.url.startsWith('file:')) return await readFile(fileURLToPath(spec.url));
  const res = await request(spec.url, { headers: { ...(spec.headers ?? {}) }, dispatcher: redirecting });
  expect(res.statusCode).toBe(200);
  return Buffer.from(await res.body.arrayBuffer());
}

/** Polls as the engine does (carrying providerState along) until the job leaves queued/running. */
async function finished(p: Profile, rig: Rig, job: AdapterJob): Promise<{ result: PollResult; job: AdapterJob }> {
  const result = await pollUntilDone(p.adapter, job, rig.ctx, 30_000);
  return { result, job: { ...job, providerState: { ...job.providerState, ...(result.providerState ?? {}) } } };
}

describe.each(profiles.map((p) => [p.id, p] as const))('%s adapter conformance', (_id, p) => {
  it('describes itself from its spec', () => {
    const spec = p.adapter.describe();
    expect(spec.id).toBe(p.adapter.id);
    expect(p.adapter.validate({ title: 'x', params: {} })).toEqual(spec.validate({ title: 'x', params: {} }));
  });

  it('submits, polls to done and serves the rendered video', async () => {
    const rig = await started(p);
    const job = await submitted(p, rig);
    const { result, job: done } = await finished(p, rig, job);
    expect(result.state).toBe('succeeded');
    const spec = await p.adapter.output(done, rig.ctx);
    const bytes = await download(spec);
    // An MP4 (ISO BMFF): its first box is `ftyp`.
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(spec.extension ?? 'mp4').toBe('mp4');
  });

  describe('a create whose answer was lost', () => {
    if (p.lookup.kind === 'free') {
      it(`is simply rendered again: ${p.lookup.why}`, async () => {
        const rig = await started(p);
        expect(p.adapter.describe().retryLostJobs).toBe(true);
        expect(await p.adapter.reconcile(testJob(rig.input(), { submittedAt: Date.now() }), rig.ctx)).toMatchObject({ outcome: 'absent' });
      });
      return;
    }

    it('is never sent again blindly: the create fails as unknown_outcome', async () => {
      const rig = await started(p);
      const remote = rig.remote!;
      remote.server.inject({ kind: 'reset-after', method: 'POST', path: remote.createPath });
      const e = await refusal(p.adapter.submit(testJob(rig.input(), { submittedAt: Date.now() }), rig.ctx));
      expect(e.kind).toBe('unknown_outcome');
      expect(remote.created()).toBe(1);
    });

    if (p.lookup.kind === 'person') {
      it(`needs a person, shown the evidence: ${p.lookup.why}`, async () => {
        const rig = await started(p);
        rig.remote!.server.inject({ kind: 'reset-after', method: 'POST', path: rig.remote!.createPath });
        const job = testJob(rig.input(), { submittedAt: Date.now() });
        await refusal(p.adapter.submit(job, rig.ctx));
        const r = await p.adapter.reconcile(job, rig.ctx);
        expect(r.outcome).toBe('unknown');
        expect(r.evidence).toContain(job.input.title);
      });
      return;
    }

    it(`is found again (${p.lookup.how})`, async () => {
      const rig = await started(p);
      const remote = rig.remote!;
      remote.server.inject({ kind: 'reset-after', method: 'POST', path: remote.createPath });
      const job = testJob(rig.input(), { submittedAt: Date.now() });
      await refusal(p.adapter.submit(job, rig.ctx));
      const r = await p.adapter.reconcile(job, rig.ctx);
      expect(r).toMatchObject({ outcome: 'found', providerJobId: expect.any(String) });
      // Exactly the one render the lost request made; the job goes on with it.
      expect(remote.created()).toBe(1);
      const { result } = await finished(p, rig, { ...job, providerJobId: r.outcome === 'found' ? r.providerJobId : null, providerState: r.outcome === 'found' ? { ...r.providerState } : {} });
      expect(result.state).toBe('succeeded');
    });

    it('a request that never arrived is settled with no second render', async () => {
      const rig = await started(p);
      const remote = rig.remote!;
      remote.server.inject({ kind: 'reset', method: 'POST', path: remote.createPath });
      const job = testJob(rig.input(), { submittedAt: Date.now() });
      await refusal(p.adapter.submit(job, rig.ctx));
      expect(remote.created()).toBe(0);
      const r = await p.adapter.reconcile(job, rig.ctx);
      // A list proves absence (send again); the idempotency key makes the one render now.
      expect(r.outcome).toBe(p.lookup.kind === 'list' ? 'absent' : 'found');
      expect(remote.created()).toBe(p.lookup.kind === 'list' ? 0 : 1);
    });
  });

  describe('errors the engine acts on', () => {
    it('a job the provider refuses as invalid is permanent, with the provider’s words', async () => {
      const rig = await started(p);
      const e = await refusal(p.adapter.submit(testJob(rig.invalid(), { submittedAt: Date.now() }), rig.ctx));
      expect(e.kind).toBe('permanent');
      expect(e.message.length).toBeGreaterThan(10);
      if (rig.remote) {
        expect(e.status).toBeGreaterThanOrEqual(400);
        expect(e.status).toBeLessThan(500);
        expect(rig.remote.created()).toBe(0);
      }
    });

    if (p.noRemote) {
      it(`has nothing to refuse a key, limit requests or fail at a server: ${p.noRemote}`, async () => {
        const rig = await started(p);
        expect(p.adapter.describe().credentialFields).toEqual([]);
        expect(await p.adapter.testCredentials(rig.ctx)).toMatchObject({ ok: true });
      });
      return;
    }

    it('a refused key is auth, and the key never shows in the message', async () => {
      const rig = await started(p);
      const { ctx, secret } = rig.remote!.wrongKey;
      const e = await refusal(p.adapter.submit(testJob(rig.input(), { submittedAt: Date.now() }), ctx));
      expect(e.kind).toBe('auth');
      expect(e.message).not.toContain(secret);
      const test = await p.adapter.testCredentials(ctx);
      expect(test.ok).toBe(false);
      expect(test.message).not.toContain(secret);
      expect(rig.remote!.created()).toBe(0);
    });

    it('a rate limit is rate_limit with the provider’s Retry-After, and nothing is created', async () => {
      const rig = await started(p);
      rig.remote!.server.inject({ kind: '429', method: 'POST', path: rig.remote!.createPath, retryAfterSec: 7 });
      const e = await refusal(p.adapter.submit(testJob(rig.input(), { submittedAt: Date.now() }), rig.ctx));
      expect(e.kind).toBe('rate_limit');
      expect(e.retryAfterMs).toBe(7000);
      expect(rig.remote!.created()).toBe(0);
    });

    it('a server error is transient on a status check, and on a create that the server did not take (503)', async () => {
      const rig = await started(p);
      const job = await submitted(p, rig);
      rig.remote!.server.inject({ kind: '500', method: 'GET' });
      expect((await refusal(p.adapter.poll([job], rig.ctx))).kind).toBe('transient');
      rig.remote!.server.inject({ kind: '503', method: 'POST', path: rig.remote!.createPath });
      expect((await refusal(p.adapter.submit(testJob(rig.input(), { submittedAt: Date.now() }), rig.ctx))).kind).toBe('transient');
      expect(rig.remote!.created()).toBe(1);
    });
  });

  if (p.cancel.supported) {
    it('cancels a render at the provider; the next poll says canceled', async () => {
      const rig = await started(p, { slow: true });
      const job = await submitted(p, rig);
      expect(p.adapter.describe().capabilities).toContain('cancel');
      await p.adapter.cancel!(job, rig.ctx);
      const { result } = await finished(p, rig, job);
      expect(result.state).toBe('canceled');
    });
  } else {
    it(`has no cancel: ${p.cancel.why}`, () => {
      expect(p.adapter.cancel).toBeUndefined();
      expect(p.adapter.describe().capabilities).not.toContain('cancel');
    });
  }
});
