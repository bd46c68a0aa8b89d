import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../electron/core/providers/http';
import {
  byProviderId,
  checkedParams,
  claimsIn,
  credential,
  defineAdapter,
  detail,
  downloadExpiry,
  drfPage,
  earliestSend,
  givenExpiry,
  idStr,
  listIn,
  nextQuery,
  num,
  readDrfError,
  readPages,
  reword,
  signedUrlExpiry,
  str,
  videoExtension,
  type Page,
} from '../../../electron/core/providers/kit';
import type { AdapterJob, PollResult } from '../../../electron/core/providers/types';
import { techforgeParams, techforgeSpec } from '../../../shared/providers/techforge';

/** The adapter kit's pure pieces: what every adapter relies on, pinned down once. */

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('kit: JSON guards', () => {
  it('reads a wrong type as absent, never as a value', () => {
    expect(str('')).toBeUndefined();
    expect(str('  ')).toBeUndefined();
    expect(str(3)).toBeUndefined();
    expect(str('id-1')).toBe('id-1');
    expect(num('0.45')).toBe(0.45);
    expect(num(' 12 ')).toBe(12);
    expect(num('12abc')).toBeUndefined();
    expect(num(Number.NaN)).toBeUndefined();
    expect(idStr(42)).toBe('42');
    expect(idStr(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(listIn({ items: [1] }, ['data', 'items'])).toEqual([1]);
    expect(listIn([2], ['data'])).toEqual([2]);
    expect(listIn({ data: 'x' }, ['data'])).toBeUndefined();
  });
});

describe('kit: signed-link expiry', () => {
  it('reads S3 and GCS signatures and Expires epochs, case-insensitively', () => {
    expect(signedUrlExpiry('https://s3.test/o.mp4?X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600')).toBe(Date.UTC(2025, 0, 1, 1));
    expect(signedUrlExpiry('https://s3.test/o.mp4?x-amz-date=20250101T000000Z&x-amz-expires=60')).toBe(Date.UTC(2025, 0, 1, 0, 1));
    expect(signedUrlExpiry('https://storage.googleapis.com/o.mp4?X-Goog-Date=20250101T000000Z&X-Goog-Expires=60')).toBe(Date.UTC(2025, 0, 1, 0, 1));
    expect(signedUrlExpiry('https://cdn.test/o.mp4?Expires=1700000000')).toBe(1_700_000_000_000);
    expect(signedUrlExpiry('https://cdn.test/o.mp4')).toBeUndefined();
    expect(signedUrlExpiry('not a url')).toBeUndefined();
  });

  it('counts a lifetime without its signing date from now, less a margin (a tenth, at most 5 min); 0 means stale now', () => {
    expect(signedUrlExpiry('https://s3.test/o.mp4?X-Amz-Expires=600', NOW)).toBe(NOW + 540_000);
    expect(signedUrlExpiry('https://s3.test/o.mp4?X-Amz-Expires=86400', NOW)).toBe(NOW + 86_400_000 - 300_000);
    expect(signedUrlExpiry('https://s3.test/o.mp4?X-Amz-Expires=0', NOW)).toBe(NOW);
    // Without `now` such a link says nothing certain.
    expect(signedUrlExpiry('https://s3.test/o.mp4?X-Amz-Expires=600')).toBeUndefined();
  });

  it('falls back to the provider’s documented lifetime, or to nothing when none is documented', () => {
    const plain = 'https://cdn.test/video.mp4';
    expect(downloadExpiry(plain, NOW, { ttlMs: 3_600_000, source: 'docs' })).toBe(NOW + 3_300_000);
    expect(downloadExpiry(plain, NOW, { unknown: 'not documented' })).toBeUndefined();
    // What the URL says wins over the default.
    expect(downloadExpiry('https://s3.test/o.mp4?X-Amz-Date=20261204T120000Z&X-Amz-Expires=60', NOW, { ttlMs: 3_600_000, source: 'docs' })).toBe(NOW + 60_000);
  });

  it('reads an expiry given beside the link in seconds, ms or ISO', () => {
    expect(givenExpiry(1_700_000_000)).toBe(1_700_000_000_000);
    expect(givenExpiry(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(givenExpiry('1700000000')).toBe(1_700_000_000_000);
    expect(givenExpiry('2026-12-04T12:00:00Z')).toBe(NOW);
    expect(givenExpiry('soon')).toBeUndefined();
  });

  it('names the file type from the path only', () => {
    expect(videoExtension('https://cdn.test/a/b.MOV?sig=x.mp4')).toBe('mov');
    expect(videoExtension('outputs/x/123.webm')).toBe('webm');
    expect(videoExtension('https://cdn.test/a/b.json')).toBe('mp4');
    expect(videoExtension('https://cdn.test/a/b')).toBe('mp4');
  });
});

describe('kit: claims', () => {
  const store = (init?: string) => {
    const m = new Map<string, string>(init === undefined ? [] : [['k', init]]);
    return { map: m, state: { get: (k: string) => m.get(k), set: (k: string, v: string | undefined) => void (v === undefined ? m.delete(k) : m.set(k, v)) } };
  };

  it('hands a provider job to one local job only, and keeps the newest `max`', () => {
    const { state } = store();
    const c = claimsIn(state, 'k', 2);
    c.claim('p1', 'job-a');
    expect(c.freeFor('job-a')('p1')).toBe(true);
    expect(c.freeFor('job-b')('p1')).toBe(false);
    expect(c.freeFor('job-b')('p2')).toBe(true);
    c.claim('p2', 'job-b');
    c.claim('p3', 'job-c');
    expect(c.ownerOf('p1')).toBeUndefined();
    expect(c.ownerOf('p3')).toBe('job-c');
  });

  it('reads both shapes stored before the kit (Oshara pairs, aisa object) and damaged state as empty', () => {
    expect(claimsIn(store('[["41","job-a"]]').state, 'k').ownerOf('41')).toBe('job-a');
    expect(claimsIn(store('{"video_1":"job-b"}').state, 'k').ownerOf('video_1')).toBe('job-b');
    expect(claimsIn(store('not json').state, 'k').ownerOf('x')).toBeUndefined();
  });
});

describe('kit: errors', () => {
  const e = new ProviderError('rate_limit', 'Slow down', { status: 429, code: 'too_many', retryAfterMs: 3000, requestId: 'req-1' });

  it('rewords a ProviderError keeping what the engine acts on', () => {
    const r = reword(e, 'Acme is limiting requests: Slow down');
    expect(r).toMatchObject({ kind: 'rate_limit', status: 429, code: 'too_many', retryAfterMs: 3000, requestId: 'req-1', message: 'Acme is limiting requests: Slow down' });
    expect(r.cause).toBe(e);
    expect(reword(e, 'x', { kind: 'concurrency_limit', code: 'plan_limit' })).toMatchObject({ kind: 'concurrency_limit', code: 'plan_limit', retryAfterMs: 3000 });
    expect(reword(new ProviderError('permanent', 'x', { status: 400 }), 'y', { requestId: 'from-body' }).requestId).toBe('from-body');
  });

  it('adds the provider’s own code to its words, never the client’s', () => {
    expect(detail(e)).toBe('Slow down (too_many)');
    expect(detail(new ProviderError('permanent', 'Bad', { status: 400 }))).toBe('Bad');
    expect(detail(new ProviderError('transient', 'Could not connect', { code: 'connect_failed' }))).toBe('Could not connect');
    expect(detail(new ProviderError('permanent', 'bad_input: no', { status: 400, code: 'bad_input' }))).toBe('bad_input: no');
  });

  it('reads Django REST Framework error bodies', () => {
    expect(readDrfError(400, { detail: 'Not found.', code: 'not_found' }, '')).toEqual({ message: 'Not found.', code: 'not_found' });
    expect(readDrfError(400, { title: ['This field may not be blank.'], non_field_errors: ['Pick one voice.'] }, '')).toEqual({ message: 'title: This field may not be blank.; Pick one voice.' });
    expect(readDrfError(400, { variables: { headline: ['Too long.'] } }, '')).toEqual({ message: 'variables.headline: Too long.' });
    expect(readDrfError(400, ['One.', 'Two.'], '')).toEqual({ message: 'One. Two.' });
    expect(readDrfError(500, { message: 'Server error' }, '')).toEqual({ message: 'Server error' });
    expect(readDrfError(502, undefined, '<html>Bad gateway</html>')).toEqual({ message: 'HTTP 502' });
  });
});

describe('kit: list paging', () => {
  const pages: Page<number>[] = [
    { items: [1, 2], next: 'c2' },
    { items: [3, 4], next: 'c3' },
    { items: [5] },
  ];
  const fetcher = (seen: (string | undefined)[]) => async (cursor: string | undefined) => {
    seen.push(cursor);
    return pages[cursor === undefined ? 0 : Number(cursor.slice(1)) - 1];
  };

  it('reads to the last page (complete), or stops where `more` says enough or at maxPages (not complete)', async () => {
    const seen: (string | undefined)[] = [];
    expect(await readPages(fetcher(seen), { maxPages: 10 })).toEqual({ items: [1, 2, 3, 4, 5], complete: true, pages: 3 });
    expect(seen).toEqual([undefined, 'c2', 'c3']);
    expect(await readPages(fetcher([]), { maxPages: 10, more: (items) => !items.includes(3) })).toEqual({ items: [1, 2, 3, 4], complete: false, pages: 2 });
    expect(await readPages(fetcher([]), { maxPages: 1 })).toEqual({ items: [1, 2], complete: false, pages: 1 });
    expect(await readPages(async () => undefined, { maxPages: 3 })).toBeUndefined();
  });

  it('reads DRF pages and keeps only the query of a next link (never its host)', () => {
    expect(drfPage([1])).toEqual({ items: [1] });
    expect(drfPage({ count: 9, next: 'http://internal:8000/api/jobs/?page=2', results: [1] })).toEqual({ items: [1], next: 'http://internal:8000/api/jobs/?page=2' });
    expect(drfPage({ detail: 'x' })).toBeUndefined();
    expect(nextQuery('http://internal:8000/api/jobs/?page=2&size=5', 'https://api.test')).toEqual({ page: '2', size: '5' });
  });
});

describe('kit: adapter plumbing', () => {
  const job = (id: string, providerJobId: string | null, submittedAt: number | null = NOW): AdapterJob => ({ id, idempotencyKey: `${id}-k`, attempt: 1, input: { title: 't', params: {} }, providerJobId, providerState: {}, submittedAt });

  it('defineAdapter answers describe, validate and estimate from the spec', () => {
    const a = defineAdapter(techforgeSpec, {} as never);
    expect(a.id).toBe('techforge');
    expect(a.describe()).toBe(techforgeSpec);
    expect(a.validate({ title: 't', params: {} })).toEqual(techforgeSpec.validate({ title: 't', params: {} }));
  });

  it('groups jobs by provider id and answers the ones without an id as not found', () => {
    const out = new Map<string, PollResult>();
    const groups = byProviderId([job('a', 'p1'), job('b', 'p1'), job('c', null)], 'Acme', out);
    expect([...groups.entries()].map(([k, v]) => [k, v.map((j) => j.id)])).toEqual([['p1', ['a', 'b']]]);
    expect(out.get('c')).toMatchObject({ state: 'not_found', error: { code: 'no_provider_id', message: 'No Acme job id was recorded for this job' } });
  });

  it('earliestSend needs every send time', () => {
    expect(earliestSend([job('a', 'p', NOW), job('b', 'p', NOW - 5000)], 1000)).toBe(NOW - 6000);
    expect(earliestSend([job('a', 'p', NOW), job('b', 'p', null)], 1000)).toBeUndefined();
    expect(earliestSend([], 1000)).toBeUndefined();
  });

  it('refuses missing credentials and bad parameters before any request, naming what to fix', () => {
    expect(credential({ apiKey: ' k ' }, 'apiKey', 'missing')).toBe('k');
    expect(() => credential({ apiKey: '  ' }, 'apiKey', 'Add the Acme key', 'missing_api_key')).toThrow(expect.objectContaining({ kind: 'auth', code: 'missing_api_key', message: 'Add the Acme key' }));
    expect(() => checkedParams(techforgeParams, { version: 'seven' }, 'Acme settings are not valid')).toThrow(
      expect.objectContaining({ kind: 'permanent', code: 'invalid_params', message: expect.stringMatching(/^Acme settings are not valid: .*version/) }),
    );
  });
});
