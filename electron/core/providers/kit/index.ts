/**
 * The adapter kit: what every provider adapter needs, in one place. A provider file holds only its own
 * quirks (auth, field names, status words, its error shapes and its documented limits) and takes the
 * rest from here. A quirk learned from one provider that another could have too belongs here.
 *
 * House style of a provider file: an opening comment with the doc version it follows and its gaps;
 * its constants (with the doc each comes from, e.g. its `UrlLifetime`); one `explain(e, …)` that puts
 * the provider's errors into words (built on `reword` and `detail`); top-level `submit`, `poll`,
 * `output`, `reconcile`, … ; and last `export const xAdapter = defineAdapter(spec, { … })`.
 */
export { claimsIn, type Claims } from './claims';
export { byProviderId, checkBeforeSend, checkedParams, credential, defineAdapter, earliestSend, noProviderId, providerIdOf, resolvedInput, type AdapterCalls } from './define-adapter';
export { detail, ownCode, readDrfError, reword } from './errors';
export { idStr, isObj, listIn, num, str, type Json } from './json';
export { drfPage, nextQuery, readPages, type Page, type Pages } from './paging';
export { downloadExpiry, fromNow, givenExpiry, signedUrlExpiry, videoExtension, type UrlLifetime } from './signed-url';
