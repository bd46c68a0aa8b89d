/**
 * Sync.so requests: the API key header, the error body (error-handling guide, PROVIDERS.md §4.4) and
 * the words a creator reads for each kind of failure. Shared by the job calls (sync.ts).
 */
import { isProviderError, type ErrorBodyReader, type HttpClient, type ProviderError } from './http';
import { credential, detail, isObj, reword, str } from './kit';
import type { AdapterContext } from './types';

/** Error body (error-handling guide): `{ message: string | string[], statusCode, errorCode?, requestId? (500) }`. */
export const readSyncError: ErrorBodyReader = (status, body, text) => {
  if (!isObj(body)) {
    const t = text.trim();
    return { message: t && t.length < 500 && !t.startsWith('<') ? t : `HTTP ${status}` };
  }
  const code = str(body.errorCode) ?? str(body.error_code) ?? str(body.code);
  const raw = body.message;
  let message = Array.isArray(raw) ? raw.map(String).join('; ') : (str(raw) ?? str(body.error) ?? `HTTP ${status}`);
  const requestId = str(body.requestId);
  if (requestId) message += ` (request id ${requestId})`;
  return { ...(code ? { code } : {}), message };
};

export type Action = 'create' | 'poll' | 'output' | 'cancel' | 'upload' | 'credentials';
export const ACTION_WORDS: Record<Action, string> = {
  create: 'job',
  poll: 'status check',
  output: 'download request',
  cancel: 'cancel request',
  upload: 'file upload',
  credentials: 'key check',
};

/** Rewrites the HTTP client's error into one a creator can act on, keeping kind, code and Retry-After. */
export function explain(e: ProviderError, action: Action): ProviderError;
export function explain(e: unknown, action: Action): unknown;
export function explain(e: unknown, action: Action): unknown {
  if (!isProviderError(e)) return e;
  const said = detail(e);
  const as = (kind: ProviderError['kind'], message: string) => reword(e, message, { kind });
  const what = ACTION_WORDS[action];
  switch (e.kind) {
    case 'auth':
      return as('auth', `Sync.so did not accept the API key: ${said}. Check the Sync.so "API key" in the provider settings.`);
    case 'rate_limit':
      // Rate-limits guide: 429 carries errorCode to tell the per-minute limit from the plan's concurrency limit.
      if (e.code === 'concurrency_limit_reached') {
        return as('concurrency_limit', `Sync.so: your plan's limit of generations running at once is reached (${said}); Talkbatch waits and runs fewer at a time.`);
      }
      return as('rate_limit', `Sync.so rate limit reached: ${said}`);
    case 'not_found':
      if (action === 'create' || action === 'upload') return as('permanent', `Sync.so has no such endpoint or asset (${said}); check the Sync.so base URL.`);
      return as('not_found', `Sync.so: ${said}`);
    case 'permanent': {
      if (e.status === 402) return as('permanent', `Sync.so billing: ${said}. Check your Sync.so plan or credits.`);
      if (e.status === 413) {
        return as('permanent', `Sync.so rejected the ${what} as too large: ${said}. Files may be at most 5 GiB; try param upload_mode "assets" or a URL.`);
      }
      if (e.status === 422 && e.code === 'file_size_exceeds_plan_limit') {
        return as('permanent', `Sync.so: a file is larger than your plan allows (${said}).`);
      }
      return as('permanent', action === 'create' ? `Sync.so rejected the job: ${said}` : `Sync.so refused the ${what}: ${said}`);
    }
    default:
      return as(e.kind, `Sync.so ${what}: ${said}`);
  }
}

export function client(ctx: AdapterContext, capture?: { body?: unknown }): HttpClient {
  const apiKey = credential(ctx.credentials, 'apiKey', 'No Sync.so API key is set. Add the Sync.so "API key" in the provider settings.');
  return ctx.http.with({
    headers: () => ({ 'x-api-key': apiKey }),
    readError: (status, body, text) => {
      if (capture) capture.body = body;
      return readSyncError(status, body, text);
    },
    requestIdHeaders: ['x-request-id', 'request-id', 'x-sync-request-id'],
  });
}
