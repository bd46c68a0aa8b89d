import { defaultReadError, ProviderError, type ErrorBodyReader, type ErrorKind } from '../http';
import { isObj, str } from './json';

/**
 * Putting a provider's error into words a creator can act on, without losing what the engine acts on:
 * the kind (retry, back off, fail, reconcile), the status, the code, Retry-After and the request id
 * (from the headers, else one the adapter read from the body).
 */
export function reword(e: ProviderError, message: string, over: Readonly<{ kind?: ErrorKind; code?: string; requestId?: string }> = {}): ProviderError {
  const requestId = e.requestId ?? over.requestId;
  return new ProviderError(over.kind ?? e.kind, message, {
    ...(e.status !== undefined ? { status: e.status } : {}),
    code: over.code ?? e.code,
    ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    cause: e,
  });
}

/** The provider's own error code (the client's http_NNN and its transport codes are not), when the message does not say it already. */
export function ownCode(e: ProviderError): string | undefined {
  const mine = e.status !== undefined && e.code !== '' && !/^http_\d+$/.test(e.code) && e.code !== 'malformed_response';
  return mine && !e.message.includes(e.code) ? e.code : undefined;
}

/** The provider's words with its own code: "Audio too long (generation_audio_length_exceeded)". */
export function detail(e: ProviderError): string {
  const code = ownCode(e);
  return code ? `${e.message} (${code})` : e.message;
}

/**
 * Django REST Framework error bodies (Oshara and Creatify look like DRF; neither documents its errors):
 * `{"detail": "…", "code"?}`, field errors `{"title": ["This field may not be blank."]}` (nested too),
 * `non_field_errors`, a bare list of messages, and `{message}` / `{error}` as a fallback.
 */
export const readDrfError: ErrorBodyReader = (status, body, text) => {
  if (Array.isArray(body)) {
    const parts = drfMessages(body, '');
    if (parts.length) return { message: parts.join('; ') };
  }
  if (isObj(body)) {
    const code = str(body.code) ?? str(body.error_code);
    const withCode = (message: string) => ({ ...(code ? { code } : {}), message });
    const d = body.detail;
    if (typeof d === 'string' && d.trim()) return withCode(d.trim());
    const parts = d !== undefined ? drfMessages(d, '') : [];
    if (!parts.length) parts.push(...drfMessages(body, ''));
    if (parts.length) return withCode(parts.join('; '));
    const other = str(body.message) ?? str(body.error) ?? (isObj(body.error) ? str(body.error.message) : undefined);
    if (other) return withCode(other);
  }
  return defaultReadError(status, body, text);
};

function drfMessages(value: unknown, prefix: string): string[] {
  if (Array.isArray(value)) {
    const texts = value.filter((x): x is string => typeof x === 'string');
    const out = texts.length ? [`${prefix ? `${prefix}: ` : ''}${texts.join(' ')}`] : [];
    value.forEach((x, i) => {
      if (isObj(x)) out.push(...drfMessages(x, prefix ? `${prefix}[${i}]` : `[${i}]`));
    });
    return out;
  }
  if (!isObj(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    if (k === 'code' || k === 'status_code') return [];
    // DRF puts errors that concern no single field under non_field_errors.
    const name = k === 'non_field_errors' ? prefix : prefix ? `${prefix}.${k}` : k;
    // A plain string at the top is a message field ({message}, {error}), not a field error.
    if (typeof v === 'string') return prefix ? [`${name}: ${v}`] : [];
    return drfMessages(v, name);
  });
}
