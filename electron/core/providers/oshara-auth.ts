/**
 * Oshara sign-in: which credential is sent how, and how a session is renewed (PROVIDERS.md §1.1, the
 * API reference "authentication" and "api-keys" pages). API key → `X-API-Key`; else Bearer (the saved
 * session, then the pasted access token); else log in with the account email and password.
 *
 * Known gaps: whether /video-jobs/ accepts `X-API-Key` [UNCONFIRMED] — a refused key falls back to the
 * JWT once and is remembered as refused. Errors are read as Django REST Framework shapes [UNCONFIRMED,
 * PROVIDERS.md §1.4] by the kit's readDrfError.
 */
import { createHash } from 'node:crypto';
import { isProviderError, ProviderError } from './http';
import type { ErrorKind, HttpRequest, HttpResponse } from './http';
import { detail, isObj, readDrfError, reword, str } from './kit';
import type { AdapterContext } from './types';

const LOGIN_PATH = '/auth/login/';
const REFRESH_PATH = '/auth/refresh/';

const K_ACCESS = 'access';
const K_REFRESH = 'refresh';
const K_SESSION = 'session_for';
const K_KEY_REFUSED = 'api_key_refused';

export type Creds = Readonly<{ apiKey?: string; token?: string; email?: string; password?: string }>;

export function credsOf(ctx: AdapterContext): Creds {
  const pick = (k: string): string | undefined => {
    const v = ctx.credentials[k]?.trim();
    return v ? v : undefined;
  };
  const apiKey = pick('apiKey');
  const token = pick('token');
  const email = pick('email');
  const password = pick('password');
  return { ...(apiKey ? { apiKey } : {}), ...(token ? { token } : {}), ...(email ? { email } : {}), ...(password ? { password } : {}) };
}

const canLogIn = (c: Creds): boolean => c.email !== undefined && c.password !== undefined;

/** What is missing, in words, or undefined when some usable combination exists. */
export function missingCredentials(c: Creds): string | undefined {
  if (c.apiKey || c.token || canLogIn(c)) return undefined;
  if (c.email) return 'Oshara needs the account password too (only the email is set), or an API key or access token';
  if (c.password) return 'Oshara needs the account email too (only the password is set), or an API key or access token';
  return 'Oshara needs an API key (sk_…), an access token, or the account email and password';
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/** The same error with the provider's words put in context, its kind and retry hints kept. */
export function withContext(e: ProviderError, context: string, kind: ErrorKind = e.kind): ProviderError {
  return reword(e, `${context}: ${detail(e)}`, { kind });
}

function authError(message: string, cause?: unknown): ProviderError {
  return new ProviderError('auth', message, { code: 'oshara_auth', ...(cause !== undefined ? { cause } : {}) });
}

/** Our own auth messages already name the credential; anything else gets the context and a hint. */
export function explain(e: unknown, context: string, c: Creds): unknown {
  if (!isProviderError(e) || e.code === 'oshara_auth') return e;
  if (e.kind === 'auth') return withContext(e, `${context}: Oshara refused access (check the ${credentialInUse(c)})`);
  if (e.kind === 'rate_limit') return withContext(e, `${context}: Oshara is limiting requests`);
  if (e.kind === 'transient') return withContext(e, `${context}: Oshara did not answer properly, will retry`);
  return withContext(e, context);
}

export function credentialInUse(c: Creds): string {
  if (c.apiKey) return 'API key';
  if (c.token) return 'access token';
  return 'email and password';
}

// ---------------------------------------------------------------------------------------------------------
// Sessions

function sessionTag(c: Creds): string {
  // Stored tokens belong to the credentials that produced them; new credentials start a new session.
  return createHash('sha256').update(`${c.email ?? ''}\n${c.token ?? ''}`).digest('hex').slice(0, 16);
}

function keyTag(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
}

function storedSession(ctx: AdapterContext, c: Creds): { access?: string; refresh?: string } {
  if (ctx.state.get(K_SESSION) !== sessionTag(c)) return {};
  const access = ctx.state.get(K_ACCESS);
  const refresh = ctx.state.get(K_REFRESH);
  return { ...(access ? { access } : {}), ...(refresh ? { refresh } : {}) };
}

function saveSession(ctx: AdapterContext, c: Creds, access: string, refresh: string | undefined): void {
  ctx.state.set(K_SESSION, sessionTag(c));
  ctx.state.set(K_ACCESS, access);
  ctx.state.set(K_REFRESH, refresh);
}

function clearSession(ctx: AdapterContext): void {
  ctx.state.set(K_ACCESS, undefined);
  ctx.state.set(K_REFRESH, undefined);
  ctx.state.set(K_SESSION, undefined);
}

function isUnauthorized(e: unknown): e is ProviderError {
  // simplejwt answers 401 with code token_not_valid; some DRF setups answer 403 with the same code.
  return isProviderError(e) && e.kind === 'auth' && (e.status === 401 || e.code === 'token_not_valid');
}

async function sendWith<T>(ctx: AdapterContext, headers: Readonly<Record<string, string>>, req: HttpRequest): Promise<{ data: T; res: HttpResponse }> {
  return await ctx.http.with({ headers: () => headers, readError: readDrfError }).json<T>(req);
}

/** Tokens come as `{access, refresh}` (auth page); a nested `tokens` object is read too, just in case. */
function tokensOf(data: unknown): { access?: string; refresh?: string } {
  const d = isObj(data) ? data : undefined;
  const t = isObj(d?.tokens) ? d.tokens : d;
  const access = str(t?.access) ?? str(t?.access_token);
  const refresh = str(t?.refresh) ?? str(t?.refresh_token);
  return { ...(access ? { access } : {}), ...(refresh ? { refresh } : {}) };
}

async function logIn(ctx: AdapterContext, c: Creds): Promise<string> {
  if (!c.email || !c.password) throw authError(missingCredentials(c) ?? 'Oshara needs the account email and password to sign in');
  let data: unknown;
  try {
    // Logging in creates nothing that costs money, so a lost answer may simply be retried.
    ({ data } = await sendWith(ctx, {}, { method: 'POST', path: LOGIN_PATH, json: { email: c.email, password: c.password }, idempotent: true }));
  } catch (e) {
    if (isProviderError(e) && (e.kind === 'auth' || e.kind === 'permanent')) {
      throw authError(`Oshara refused the sign-in: ${e.message}. Check the account email and password.`, e);
    }
    throw explain(e, 'Signing in to Oshara', c);
  }
  const t = tokensOf(data);
  if (!t.access) throw authError('Oshara accepted the sign-in but sent no access token; check the email and password, or use an API key');
  saveSession(ctx, c, t.access, t.refresh);
  ctx.log('info', 'Signed in to Oshara with the account email and password');
  return t.access;
}

/** After a 401: refresh (`POST /auth/refresh/` {refresh} → {access}), else sign in again, else a clear auth error. */
async function renewAccess(ctx: AdapterContext, c: Creds, cause: ProviderError): Promise<string> {
  const s = storedSession(ctx, c);
  if (s.refresh) {
    try {
      const { data } = await sendWith(ctx, {}, { method: 'POST', path: REFRESH_PATH, json: { refresh: s.refresh }, idempotent: true });
      const t = tokensOf(data);
      if (t.access) {
        // simplejwt may rotate the refresh token too; keep the old one otherwise.
        saveSession(ctx, c, t.access, t.refresh ?? s.refresh);
        ctx.log('info', 'Renewed the Oshara access token with the refresh token');
        return t.access;
      }
    } catch (e) {
      if (!isProviderError(e) || (e.kind !== 'auth' && e.kind !== 'permanent')) throw explain(e, 'Renewing the Oshara session', c);
      ctx.log('info', 'Oshara refused the refresh token (it lasts 30 days); signing in again if possible');
    }
  }
  clearSession(ctx);
  if (canLogIn(c)) return await logIn(ctx, c);
  const what = c.token ? 'access token' : 'saved session';
  throw authError(
    `Oshara refused the ${what}: ${cause.message}. Paste a new access token (they last 10 days), or add the account email and password so Talkbatch can sign in again.`,
    cause,
  );
}

async function bearerCall<T>(ctx: AdapterContext, c: Creds, req: HttpRequest): Promise<{ data: T; res: HttpResponse }> {
  const access = storedSession(ctx, c).access ?? c.token ?? (await logIn(ctx, c));
  try {
    return await sendWith<T>(ctx, { authorization: `Bearer ${access}` }, req);
  } catch (e) {
    if (!isUnauthorized(e)) throw e;
    // A 401 means the request was refused before anything was created, so even a create may be resent once.
    const renewed = await renewAccess(ctx, c, e);
    try {
      return await sendWith<T>(ctx, { authorization: `Bearer ${renewed}` }, req);
    } catch (e2) {
      if (isUnauthorized(e2)) {
        throw authError(`Oshara refused a freshly renewed access token: ${e2.message}. Check that the account is active, and the email and password.`, e2);
      }
      throw e2;
    }
  }
}

/** Every authenticated request goes through here. */
export async function call<T>(ctx: AdapterContext, req: HttpRequest): Promise<{ data: T; res: HttpResponse }> {
  const c = credsOf(ctx);
  const missing = missingCredentials(c);
  if (missing) throw authError(missing);
  const fallback = c.token !== undefined || canLogIn(c);
  // Once this key was refused and a JWT is available, skip it: no request (or upload) is sent twice.
  if (c.apiKey && !(fallback && ctx.state.get(K_KEY_REFUSED) === keyTag(c.apiKey))) {
    try {
      return await sendWith<T>(ctx, { 'x-api-key': c.apiKey }, req);
    } catch (e) {
      if (!isUnauthorized(e)) throw e;
      if (!fallback) {
        throw authError(
          `Oshara refused the API key on ${req.path}: ${e.message}. Check the API key; whether video jobs accept API keys is not documented, so adding the account email and password is the safe choice.`,
          e,
        );
      }
      // [UNCONFIRMED] whether /video-jobs/ accepts X-API-Key (PROVIDERS.md §1.1): fall back to the JWT.
      ctx.state.set(K_KEY_REFUSED, keyTag(c.apiKey));
      ctx.log('warn', `Oshara refused the API key on ${req.path}; using the access token or sign-in from now on`);
    }
  }
  return await bearerCall<T>(ctx, c, req);
}
