import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fetch, FormData } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aisaAdapter } from '../../../electron/core/providers/aisa';
import type { AdapterJob } from '../../../electron/core/providers/types';
import { imageSize, startAisaFake, type AisaFake } from '../../fakes/aisa';
import { pollUntilDone, testAssets, testContext, testJob, type TestAssets, type TestContext } from '../../helpers/context';

/**
 * Conformance: every request the adapter makes (multipart create with input_reference, retrieve, list
 * with and without `after`, content) goes through Prism in proxy mode with `--errors`, which answers
 * 422 for a request that violates /work/shared/specs/openai-videos.openapi.yaml (and 500 for a fake
 * response that violates it) instead of forwarding. Prism appends the request path to the upstream
 * URL's path, so the upstream is the fake's base URL including `/v1`.
 */

const SPEC = path.resolve(__dirname, '../../../../shared/specs/openai-videos.openapi.yaml');
const PRISM = path.resolve(__dirname, '../../../node_modules/.bin/prism');

let fake: AisaFake;
let assets: TestAssets;
let prism: ChildProcess;
let prismUrl: string;
let prismOutput = '';
let ctx: TestContext;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  // Prism forwards multipart bodies re-encoded as UTF-8 text, which mangles the PNG bytes; the fake's
  // image check is off here (the fitted file itself is checked below, and by aisa.test.ts end to end).
  fake = await startAisaFake({ timeScale: 0.002, checkReference: false });
  assets = await testAssets();
  const port = await freePort();
  prism = spawn(PRISM, ['proxy', '--errors', '-h', '127.0.0.1', '-p', String(port), SPEC, fake.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  prism.stdout?.on('data', (c: Buffer) => void (prismOutput = (prismOutput + c.toString()).slice(-20_000)));
  prism.stderr?.on('data', (c: Buffer) => void (prismOutput = (prismOutput + c.toString()).slice(-20_000)));
  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port))) {
    if (prism.exitCode !== null) throw new Error(`prism exited (${prism.exitCode}):\n${prismOutput}`);
    if (Date.now() > deadline) throw new Error(`prism did not listen on ${port} within 60 s:\n${prismOutput}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  prismUrl = `http://127.0.0.1:${port}`;
  ctx = testContext({ baseUrl: prismUrl, credentials: { apiKey: fake.apiKey }, assets });
}, 90_000);

afterAll(async () => {
  if (prism && prism.exitCode === null) {
    const exited = new Promise((r) => prism.once('exit', r));
    prism.kill('SIGTERM');
    await exited;
  }
  await fake?.close();
  await assets?.publicHost.close();
});

describe('aisa adapter requests validate against the OpenAI Videos OpenAPI (Prism proxy --errors)', () => {
  it('Prism is really validating: a request outside the enums gets 422 and never reaches the fake', async () => {
    const before = fake.server.log.length;
    const res = await fetch(`${prismUrl}/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', size: '1920x1080' }),
    });
    expect(res.status).toBe(422);
    const form = new FormData();
    form.append('prompt', 'x');
    form.append('seconds', '16');
    const multipart = await fetch(`${prismUrl}/videos`, { method: 'POST', headers: { authorization: `Bearer ${fake.apiKey}` }, body: form });
    expect(multipart.status).toBe(422);
    expect(JSON.stringify(await multipart.json())).toContain('seconds');
    expect(fake.server.log.length).toBe(before);
  });

  it('create (multipart with input_reference), retrieve, list and content all pass', async () => {
    const { ref } = assets.add('avatar.png');
    const job = testJob({ title: 't', prompt: 'A calico cat playing a piano on stage', script: 'Hello, everyone.', avatar: ref, params: { model: 'sora-2-pro', seconds: '8', size: '1792x1024' } });
    const sub = await aisaAdapter.submit(job, ctx);
    const create = fake.server.requests('POST', '/v1/videos').at(-1)!;
    expect(create.status).toBe(200);
    expect(create.files.input_reference).toMatchObject({ filename: 'reference-1792x1024.png', mimeType: 'image/png' });
    const fitted = path.join(ctx.workDir, `aisa-ref-${'asset' in ref ? ref.asset.slice(0, 24) : ''}-1792x1024.png`);
    expect(imageSize(readFileSync(fitted))).toEqual({ width: 1792, height: 1024, format: 'png' });

    const a: AdapterJob = { ...job, providerJobId: sub.providerJobId, submittedAt: Date.now() };
    const done = await pollUntilDone(aisaAdapter, a, ctx);
    expect(done.state).toBe('succeeded');
    expect(fake.server.requests('GET', `/v1/videos/${sub.providerJobId}`).length).toBeGreaterThan(0);

    const other = await aisaAdapter.submit(testJob({ title: 'u', prompt: 'A lighthouse at dawn', params: {} }), ctx);
    const b: AdapterJob = { ...a, id: 'other', providerJobId: other.providerJobId };
    // Push both videos off the first page so the second page is read with `after`.
    for (let i = 0; i < 110; i++) fake.seed({ prompt: `seed ${i}` });
    const listsBefore = fake.server.requests('GET', '/v1/videos').length;
    const res = await aisaAdapter.poll([a, b], ctx);
    expect(res.get(a.id)!.state).toBe('succeeded');
    expect(res.get(b.id)).toBeDefined();
    const lists = fake.server.requests('GET', '/v1/videos').slice(listsBefore);
    expect(lists.map((l) => Object.keys(l.query).sort())).toEqual([['limit', 'order'], ['after', 'limit', 'order']]);

    const spec = await aisaAdapter.output(a, ctx);
    expect(spec.url.startsWith(`${prismUrl}/videos/${sub.providerJobId}/content`)).toBe(true);
    const video = await fetch(spec.url, { headers: spec.headers });
    await video.arrayBuffer();
    // Prism re-encodes binary bodies as text, so only the status and type are compared here; the bytes
    // are checked against the fake directly in aisa.test.ts.
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toContain('video/mp4');
    const thumb = await fetch(spec.thumbnail!.url, { headers: spec.thumbnail!.headers });
    await thumb.arrayBuffer();
    expect(thumb.status).toBe(200);
    expect(fake.server.requests('GET', `/v1/videos/${sub.providerJobId}/content`).map((r) => r.query.variant)).toEqual(['video', 'thumbnail']);
  });

  it('the key test and reconcile pass', async () => {
    expect((await aisaAdapter.testCredentials(ctx)).ok).toBe(true);
    const res = await aisaAdapter.reconcile(testJob({ title: 't', prompt: 'never sent', params: {} }, { submittedAt: Date.now() }), ctx);
    expect(['absent', 'unknown']).toContain(res.outcome);
  });
});
