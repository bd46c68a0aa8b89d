/**
 * Guards for reading provider answers. Every field of a provider's JSON may be missing, null or of
 * another type than documented (proxies, old API versions), so adapters read through these instead of
 * casting: a wrong type reads as "absent", never as a crash in the middle of a paid job.
 */
export type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A string with something in it (a blank string is no value: no id, URL or message is blank). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** A finite number, or a string holding one (Creatify sends "0.45", some proxies "8"). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** An id that one API version sends as a number and another as a string (DRF primary keys). */
export function idStr(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v);
}

/** The first list found under one of `keys` (paged shapes), or the value itself when it is a list. */
export function listIn(data: unknown, keys: readonly string[]): unknown[] | undefined {
  if (Array.isArray(data)) return data;
  if (!isObj(data)) return undefined;
  for (const k of keys) {
    const v = data[k];
    if (Array.isArray(v)) return v;
  }
  return undefined;
}
