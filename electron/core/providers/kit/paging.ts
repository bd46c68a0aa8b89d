import { isObj, str } from './json';

/**
 * Reading a provider's list endpoint page by page: for polling many jobs with one request, for finding
 * a lost create, and for picker lists. Lists are read newest first and only as far as needed: `more`
 * says whether the items so far call for another page, `maxPages` caps the walk.
 */
export type Page<T> = Readonly<{ items: readonly T[]; next?: string | undefined }>;

export type Pages<T> = Readonly<{
  items: T[];
  /** The last page was read: whatever is not in `items` is not in the list. */
  complete: boolean;
  pages: number;
}>;

/** `fetchPage` answers undefined for an answer it cannot read as a page: the walk stops with undefined. */
export async function readPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T> | undefined>,
  o: Readonly<{ maxPages: number; more?: (items: readonly T[]) => boolean }>,
): Promise<Pages<T> | undefined> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 1; ; page++) {
    const got = await fetchPage(cursor);
    if (!got) return undefined;
    items.push(...got.items);
    if (!got.next) return { items, complete: true, pages: page };
    if (page >= o.maxPages || (o.more && !o.more(items))) return { items, complete: false, pages: page };
    cursor = got.next;
  }
}

/** A Django REST Framework list: a plain array (no pagination) or a page `{count, next, previous, results}`. */
export function drfPage(data: unknown): Page<unknown> | undefined {
  if (Array.isArray(data)) return { items: data };
  if (isObj(data) && Array.isArray(data.results)) return { items: data.results, next: str(data.next) };
  return undefined;
}

/**
 * The query of a DRF `next` link, to send again to the configured list path. DRF builds the link from
 * the request's Host, which behind a proxy can be another scheme or host: following it could send the
 * credentials elsewhere, so only its query is kept.
 */
export function nextQuery(next: string, baseUrl: string): Record<string, string> | undefined {
  try {
    return Object.fromEntries(new URL(next, baseUrl).searchParams);
  } catch {
    return undefined;
  }
}
