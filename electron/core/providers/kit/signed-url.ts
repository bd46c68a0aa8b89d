/**
 * How long a provider's download link lives. Signed URLs say it themselves (S3 SigV4 and GCS V4:
 * `X-Amz-Date` + `X-Amz-Expires`, `X-Goog-Date` + `X-Goog-Expires`; CloudFront and older S3: an
 * `Expires` epoch); where they do not, each provider states its own default (`UrlLifetime`) next to the
 * doc that says so. The library asks the adapter for a fresh link after the expiry, so an early answer
 * costs one request and a late one a failed download: when in doubt, earlier.
 */

/** What a provider documents about its links when a URL does not tell: a lifetime, or nothing at all. */
export type UrlLifetime = Readonly<{ ttlMs: number; source: string }> | Readonly<{ unknown: string }>;

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function param(q: URLSearchParams, name: string): string | undefined {
  // Signers differ in case (X-Amz-Expires, x-amz-expires): compare without it.
  const lower = name.toLowerCase();
  for (const [k, v] of q) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** A lifetime counted from now, less a margin (a tenth, at most 5 minutes): the signing moment is not known exactly. */
export function fromNow(ttlMs: number, now: number): number {
  return now + ttlMs - Math.min(5 * 60_000, ttlMs / 10);
}

/**
 * The expiry a signed URL carries, in ms since the epoch; undefined when it carries none. A lifetime
 * without its signing date (`X-Amz-Expires` alone) is counted from `now`, when given.
 */
export function signedUrlExpiry(url: string, now?: number): number | undefined {
  let q: URLSearchParams;
  try {
    q = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  for (const prefix of ['X-Amz', 'X-Goog']) {
    const raw = param(q, `${prefix}-Expires`);
    const ttlSec = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    // 0 is a real lifetime: a link that is already stale.
    if (!Number.isFinite(ttlSec) || ttlSec < 0) continue;
    const m = AMZ_DATE.exec(param(q, `${prefix}-Date`) ?? '');
    if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + ttlSec * 1000;
    if (now !== undefined) return fromNow(ttlSec * 1000, now);
  }
  const exp = Number(param(q, 'Expires'));
  return Number.isFinite(exp) && exp > 1e9 ? exp * 1000 : undefined;
}

/** When to ask for a fresh link: what the URL says, else the provider's documented lifetime, else undefined. */
export function downloadExpiry(url: string, now: number, lifetime: UrlLifetime): number | undefined {
  const said = signedUrlExpiry(url, now);
  if (said !== undefined) return said;
  return 'ttlMs' in lifetime ? fromNow(lifetime.ttlMs, now) : undefined;
}

/** A date a provider gives beside the link (`expiresAt`): epoch seconds or ms, as a number or a string, or ISO. */
export function givenExpiry(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e12 ? v * 1000 : v;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) * (v.length <= 10 ? 1000 : 1) : Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

const VIDEO_EXTENSIONS = ['mp4', 'mov', 'webm', 'm4v'];

/** The video file extension of a URL or storage key (query left out); mp4 when it names none we know. */
export function videoExtension(urlOrKey: string): string {
  let p = urlOrKey.split('?')[0] ?? '';
  try {
    p = new URL(urlOrKey).pathname;
  } catch {
    // a storage key, not a URL
  }
  const ext = /\.([a-z0-9]{2,4})$/i.exec(p)?.[1]?.toLowerCase();
  return ext && VIDEO_EXTENSIONS.includes(ext) ? ext : 'mp4';
}
