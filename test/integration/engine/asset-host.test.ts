import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, ProviderError } from '../../../electron/core/providers/http';
import { FIXTURES } from '../../fakes/base';
import { openHarness, type Harness } from '../../helpers/engine-harness';

/**
 * The asset host against a real S3 implementation (s3rver checks SigV4 signatures): a local file is
 * uploaded once, its public URL is reused by every later call and row, and a wrong secret is an
 * 'auth' error with a message a user can act on.
 */

let s3: S3rver;
let s3Dir: string;
let endpoint: string;
const puts: string[] = [];

beforeAll(async () => {
  s3Dir = mkdtempSync(path.join(tmpdir(), 'tb-s3rver-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'bucket' }] });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  s3.httpServer.on('request', (req: { method?: string; url?: string }) => {
    if (req.method === 'PUT') puts.push(req.url ?? '');
  });
});
afterAll(async () => {
  await s3.close();
  rmSync(s3Dir, { recursive: true, force: true });
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harnessWithKeys(secret: string): Promise<Harness> {
  h = await openHarness({
    start: false,
    env: { TALKBATCH_ASSET_HOST_ACCESS_KEY_ID: 'S3RVER', TALKBATCH_ASSET_HOST_SECRET_ACCESS_KEY: secret },
    settings: { assetHost: { endpoint, region: 'us-east-1', bucket: 'bucket', prefix: 'talkbatch/', pathStyle: true } },
  });
  return h;
}

describe('asset host (S3-compatible, SigV4)', () => {
  it('uploads a file once; the object holds its bytes; later calls and rows reuse the URL', async () => {
    const hh = await harnessWithKeys('S3RVER');
    const before = puts.length;
    const avatar = await hh.core.assets.importFile(path.join(FIXTURES, 'avatar.png'));
    const url = await hh.core.assetHost.publicUrl(avatar.id, 'TechForge');
    expect(url.startsWith(`${endpoint}/bucket/talkbatch/`)).toBe(true);
    expect(puts.length - before).toBe(1);

    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path.join(FIXTURES, 'avatar.png')))).toBe(true);

    expect(await hh.core.assetHost.publicUrl(avatar.id, 'TechForge')).toBe(url);
    expect(puts.length - before).toBe(1);

    // Two calls at once for a file not uploaded yet share one upload.
    const voice = await hh.core.assets.importFile(path.join(FIXTURES, 'voice.wav'));
    const [v1, v2] = await Promise.all([hh.core.assetHost.publicUrl(voice.id, 'TechForge'), hh.core.assetHost.publicUrl(voice.id, 'Creatify')]);
    expect(v1).toBe(v2);
    expect(puts.length - before).toBe(2);

    // Two TechForge rows with the same files: both are sent with the URLs already uploaded.
    const { jobIds } = await hh.admit([hh.row('techforge', 'Same files 1'), hh.row('techforge', 'Same files 2')]);
    hh.start();
    const done = await hh.waitForStatus(jobIds, ['completed', 'failed']);
    for (const j of done) expect({ status: j.status, error: j.error }).toEqual({ status: 'completed', error: null });
    expect(puts.length - before).toBe(2);
    const bodies = hh.creates('techforge').map((c) => c.body as { image_url: string; audio_url: string });
    expect(bodies).toHaveLength(2);
    for (const b of bodies) expect(b).toMatchObject({ image_url: url, audio_url: v1 });
  });

  it("a wrong secret key fails with a clear 'auth' error", async () => {
    const hh = await harnessWithKeys('not-the-secret');
    const before = puts.length;
    const avatar = await hh.core.assets.importFile(path.join(FIXTURES, 'avatar.png'));
    const err = await hh.core.assetHost.publicUrl(avatar.id, 'TechForge').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isProviderError(err), String(err)).toBe(true);
    const e = err as ProviderError;
    expect(e.kind).toBe('auth');
    expect(e.status).toBe(403);
    expect(e.code).toBe('asset_upload_failed');
    expect(e.message).toMatch(/The asset host refused the upload of avatar\.png \(HTTP 403 SignatureDoesNotMatch\)\. Check the bucket, endpoint and keys in Settings → Asset host\./);
    expect(puts.length - before).toBe(1);
    // Nothing is remembered: the next call tries again (and fails the same way).
    await expect(hh.core.assetHost.publicUrl(avatar.id, 'TechForge')).rejects.toMatchObject({ kind: 'auth' });
    expect(puts.length - before).toBe(2);
  });
});
