import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, type ProviderError } from '../../../electron/core/providers/http';
import { FIXTURES } from '../../fakes/base';
import { openHarness, type Harness } from '../../helpers/engine-harness';

/**
 * The asset host against a real S3 implementation: a local file is uploaded once, its public URL is
 * reused by every later call and row, and wrong keys are an 'auth' error a user can act on.
 *
 * s3rver 3.7 checks the access key id of a SigV4 request but not its signature ("Signature version 4
 * calculation is unimplemented" in its authentication middleware), so a SigV4 check written from the
 * AWS documentation runs first in its middleware chain and answers SignatureDoesNotMatch like S3.
 */
const SECRETS: Readonly<Record<string, string>> = { S3RVER: 'S3RVER' };
const signedPuts: { url: string; payloadHash: string }[] = [];

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Why a request's SigV4 Authorization header does not verify, or null when it does (AWS SigV4 docs, header form). */
function sigV4Problem(method: string, rawUrl: string, headers: IncomingHttpHeaders): string | null {
  const auth = String(headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'no SigV4 Authorization header';
  const [, keyId, date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const secret = SECRETS[keyId];
  if (secret === undefined) return `unknown access key ${keyId}`;
  const amzDate = String(headers['x-amz-date'] ?? '');
  const payloadHash = String(headers['x-amz-content-sha256'] ?? '');
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) if (!names.includes(required)) return `${required} is not signed`;
  const u = new URL(rawUrl, 'http://x');
  const canonicalUri = u.pathname.split('/').map((seg) => rfc3986(decodeURIComponent(seg))).join('/');
  const canonicalQuery = [...u.searchParams].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).sort().join('&');
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return expected === signature ? null : 'signature mismatch';
}

let s3: S3rver;
let s3Dir: string;
let endpoint: string;
const puts: string[] = [];

beforeAll(async () => {
  s3Dir = mkdtempSync(path.join(tmpdir(), 'tb-s3rver-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'bucket' }] });
  s3.middleware.unshift(async (ctx, next) => {
    if (ctx.method === 'PUT') {
      const problem = sigV4Problem(ctx.method, ctx.url, ctx.headers);
      if (problem && !problem.startsWith('unknown access key')) {
        ctx.status = 403;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>${problem}</Message></Error>`;
        return;
      }
      if (!problem) signedPuts.push({ url: ctx.url, payloadHash: String(ctx.headers['x-amz-content-sha256']) });
    }
    await next();
  });
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

    // The PUT carried a valid SigV4 signature, over a payload hash that is the file's own sha256.
    const signed = signedPuts.at(-1)!;
    expect(url.endsWith(signed.url)).toBe(true);
    const bytes = readFileSync(path.join(FIXTURES, 'avatar.png'));
    expect(signed.payloadHash).toBe(sha256Hex(bytes));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);

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

  it('the signature check itself: a request signed with another secret does not verify', () => {
    const headers = {
      host: '127.0.0.1:9000',
      'x-amz-date': '20260101T000000Z',
      'x-amz-content-sha256': sha256Hex('x'),
      authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`,
    };
    expect(sigV4Problem('PUT', '/bucket/k', headers)).toBe('signature mismatch');
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

  it("an unknown access key fails with a clear 'auth' error (s3rver's own check)", async () => {
    h = await openHarness({
      start: false,
      env: { TALKBATCH_ASSET_HOST_ACCESS_KEY_ID: 'NOBODY', TALKBATCH_ASSET_HOST_SECRET_ACCESS_KEY: 'S3RVER' },
      settings: { assetHost: { endpoint, region: 'us-east-1', bucket: 'bucket', prefix: 'talkbatch/', pathStyle: true } },
    });
    const avatar = await h.core.assets.importFile(path.join(FIXTURES, 'avatar.png'));
    await expect(h.core.assetHost.publicUrl(avatar.id, 'Creatify')).rejects.toMatchObject({
      kind: 'auth',
      status: 403,
      message: expect.stringMatching(/refused the upload of avatar\.png \(HTTP 403 InvalidAccessKeyId\)/),
    });
  });
});
