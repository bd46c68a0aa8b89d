import { randomBytes } from 'node:crypto';
import { FakeServer, sampleMp4 } from './base';
import type { FakeOptions, FakeReply, FakeRequest, SimJob } from './base';

/**
 * A local Oshara, built from the same docs as the adapter (PROVIDERS.md §1, seed 000): JWT login/refresh/me,
 * API keys, multipart video-jobs create, list (plain array or DRF page, switchable), retrieve, stats,
 * video-only, and a guessed voices list. Errors use Django REST Framework shapes, as the real API
 * probably does ([UNCONFIRMED]). Every path keeps its trailing slash; a path without it is a 404 here.
 */

export type OsharaListShape = 'array' | 'page';

export type OsharaFakeOptions = FakeOptions & {
  listShape?: OsharaListShape;
  /** Page size of the DRF page shape (small so tests exercise `next`). Default 5. */
  pageSize?: number;
  email?: string;
  password?: string;
  apiKey?: string;
  /** Whether video-jobs endpoints accept X-API-Key ([UNCONFIRMED] in the docs). Default true. */
  apiKeyOnVideoJobs?: boolean;
  /** Whether GET /api/voices/ exists (the endpoint is [UNCONFIRMED]). Default true. */
  voicesEndpoint?: boolean;
};

type OsharaJobData = {
  kind: 'tts' | 'video_only';
  title: string;
  text_content: string | null;
  reference_voice?: number;
  processing_params?: string;
  override?: { status?: string; processed_video_url?: string | null };
};

export type OsharaSimJob = SimJob & { data: OsharaJobData };

export type OsharaFake = {
  server: FakeServer;
  /** Base URL to give the adapter (ends in /api, like https://api.oshara.ai/api). */
  url: string;
  close(): Promise<void>;
  account: { email: string; password: string; apiKey: string | undefined };
  jobs: Map<number, OsharaSimJob>;
  /** The job as the API shows it now (what GET /video-jobs/{id}/ answers). */
  view(id: number): Record<string, unknown>;
  setListShape(shape: OsharaListShape): void;
  /** The next created job renders, then ends FAILED with this error_message. */
  failNext(message: string): void;
  /** The next create (video-jobs or video-only) is refused with this status and body; nothing is created. */
  rejectNext(status: number, body: unknown): void;
  /** Forces what a job shows, e.g. an unknown status word or COMPLETED without a URL. */
  override(id: number, patch: { status?: string; processed_video_url?: string | null }): void;
  /** Every access token issued so far now answers 401 token_not_valid (exercises refresh). */
  expireAccessTokens(): void;
  /** Every refresh token issued so far is refused (exercises signing in again). */
  expireRefreshTokens(): void;
  /** A valid access token, as if pasted from the dashboard. */
  issueAccessToken(): string;
  setApiKey(key: string | undefined): void;
  setApiKeyOnVideoJobs(accept: boolean): void;
  setVoicesEndpoint(exists: boolean): void;
  addVoice(name: string): number;
  /** A job made elsewhere (dashboard, another machine): it fills the list for paging and reconcile tests. */
  addJob(fields: { title: string; text_content?: string | null; createdAt?: number; status?: string }): number;
};

const TOKEN_INVALID = (why: string): FakeReply => ({
  status: 401,
  headers: { 'www-authenticate': 'Bearer realm="api"' },
  json: { detail: 'Given token not valid for any token type', code: 'token_not_valid', messages: [{ token_class: 'AccessToken', token_type: 'access', message: why }] },
});
const NOT_AUTHENTICATED: FakeReply = { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' }, json: { detail: 'Authentication credentials were not provided.' } };
const NOT_FOUND: FakeReply = { status: 404, json: { detail: 'Not found.' } };

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export async function startOsharaFake(opts: OsharaFakeOptions = {}): Promise<OsharaFake> {
  const server = new FakeServer('oshara', opts);
  const account = {
    email: opts.email ?? 'creator@example.com',
    password: opts.password ?? 'correct horse battery',
    apiKey: (opts.apiKey ?? `sk_${randomBytes(32).toString('hex')}`) as string | undefined,
  };
  let listShape: OsharaListShape = opts.listShape ?? 'array';
  const pageSize = opts.pageSize ?? 5;
  let apiKeyOnVideoJobs = opts.apiKeyOnVideoJobs ?? true;
  let voicesEndpoint = opts.voicesEndpoint ?? true;
  const access = new Map<string, { expired: boolean }>();
  const refresh = new Map<string, { expired: boolean }>();
  const jobs = new Map<number, OsharaSimJob>();
  const voices = new Map<number, { id: number; name: string; created_at: string }>();
  let nextJobId = 41;
  let nextVoiceId = 6;
  let failNext: string | undefined;
  let rejectNext: FakeReply | undefined;

  const token = (prefix: string): string => `${prefix}.${randomBytes(12).toString('hex')}`;
  const issueAccess = (): string => {
    const t = token('eyJhY2Nlc3Mi');
    access.set(t, { expired: false });
    return t;
  };

  /** null = authenticated. The API key decides the user when both are sent (api-keys page). */
  const authenticate = (req: FakeRequest, videoJobs: boolean): FakeReply | null => {
    const key = req.headers['x-api-key'];
    if (typeof key === 'string' && key !== '' && (!videoJobs || apiKeyOnVideoJobs)) {
      return account.apiKey !== undefined && key === account.apiKey ? null : { status: 401, json: { detail: 'Invalid API key.' } };
    }
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) return NOT_AUTHENTICATED;
    const t = access.get(m[1]!);
    if (!t) return TOKEN_INVALID('Token is invalid or expired');
    if (t.expired) return TOKEN_INVALID('Token is expired');
    return null;
  };

  const statusOf = (job: OsharaSimJob): string => {
    if (job.data.override?.status !== undefined) return job.data.override.status;
    const p = server.progressOf(job);
    if (p < 0.1) return 'PENDING';
    if (p < 1) return 'PROCESSING';
    return job.failWith ? 'FAILED' : 'COMPLETED';
  };

  const view = (id: number): Record<string, unknown> => {
    const job = jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    const status = statusOf(job);
    const done = status === 'COMPLETED' || status === 'FAILED';
    let url: string | null = null;
    if (status === 'COMPLETED') {
      // Re-signed on every read, with S3's X-Amz-Date/X-Amz-Expires (the seed's example URL has X-Amz-Expires=3600).
      url = `${server.signedUrl(`videos/${id}/output.mp4`)}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${amzDate(server.now())}`;
    }
    if (job.data.override && 'processed_video_url' in job.data.override) url = job.data.override.processed_video_url ?? null;
    return {
      id,
      title: job.data.title,
      status,
      text_content: job.data.text_content,
      processed_video_url: url,
      error_message: status === 'FAILED' ? (job.failWith?.message ?? 'Rendering failed') : null,
      created_at: new Date(job.createdAt).toISOString(),
      ...(done ? { external_job_id: `imtk-${id.toString(16)}a${id}`, updated_at: new Date(job.createdAt + job.renderMs).toISOString() } : {}),
    };
  };

  const createJob = (data: OsharaJobData, createdAt = server.now(), renderMs = server.renderMsFor(180)): number => {
    const id = nextJobId++;
    const job: OsharaSimJob = { id: String(id), createdAt, renderMs, data };
    if (failNext !== undefined) {
      job.failWith = { status: 'FAILED', code: 'render_failed', message: failNext };
      failNext = undefined;
    }
    jobs.set(id, job);
    server.addFile(`videos/${id}/output.mp4`, { bytes: sampleMp4(), mime: 'video/mp4' });
    return id;
  };

  /** A DRF list: a plain array, or `{count, next, previous, results}` with absolute page links. */
  const listReply = <T>(req: FakeRequest, items: readonly T[], path: string): FakeReply => {
    if (listShape === 'array') return { json: items };
    const page = Number(req.query.get('page') ?? '1');
    const pages = Math.max(1, Math.ceil(items.length / pageSize));
    if (!Number.isInteger(page) || page < 1 || page > pages) return { status: 404, json: { detail: 'Invalid page.' } };
    const link = (n: number): string | null => (n < 1 || n > pages ? null : n === 1 ? `${server.url}${path}` : `${server.url}${path}?page=${n}`);
    return { json: { count: items.length, next: link(page + 1), previous: link(page - 1), results: items.slice((page - 1) * pageSize, page * pageSize) } };
  };

  const requiredText = (req: FakeRequest, name: string, errors: Record<string, string[]>): string | undefined => {
    const v = req.fields[name];
    if (v === undefined) errors[name] = ['This field is required.'];
    else if (v.trim() === '') errors[name] = ['This field may not be blank.'];
    return v;
  };

  const requiredFile = (req: FakeRequest, name: string, exts: RegExp, bad: string, errors: Record<string, string[]>): void => {
    const f = req.files[name];
    if (!f || f.size === 0) errors[name] = ['No file was submitted.'];
    else if (!exts.test(f.filename)) errors[name] = [bad];
  };

  const BAD_IMAGE = 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.';
  const BAD_AUDIO = 'Unsupported audio format. Upload a WAV or MP3 file.';
  const multipartOnly = (req: FakeRequest): FakeReply | null => {
    const ct = req.headers['content-type'] ?? '';
    return ct.startsWith('multipart/form-data') ? null : { status: 415, json: { detail: `Unsupported media type "${ct.split(';')[0]}" in request.` } };
  };

  // --- auth -------------------------------------------------------------------------------------------
  server.route('POST', '/api/auth/login/', (req) => {
    const b = (req.json ?? {}) as Record<string, unknown>;
    const errors: Record<string, string[]> = {};
    if (typeof b.email !== 'string' || b.email === '') errors.email = ['This field is required.'];
    if (typeof b.password !== 'string' || b.password === '') errors.password = ['This field is required.'];
    if (Object.keys(errors).length) return { status: 400, json: errors };
    if (b.email !== account.email || b.password !== account.password) return { status: 401, json: { detail: 'No active account found with the given credentials' } };
    const r = token('eyJyZWZyZXNoIg');
    refresh.set(r, { expired: false });
    return { json: { access: issueAccess(), refresh: r } };
  });
  server.route('POST', '/api/auth/refresh/', (req) => {
    const b = (req.json ?? {}) as Record<string, unknown>;
    if (typeof b.refresh !== 'string' || b.refresh === '') return { status: 400, json: { refresh: ['This field is required.'] } };
    const r = refresh.get(b.refresh);
    if (!r || r.expired) return { status: 401, json: { detail: 'Token is invalid or expired', code: 'token_not_valid' } };
    return { json: { access: issueAccess() } };
  });
  server.route('GET', '/api/auth/me/', (req) => {
    const denied = authenticate(req, false);
    if (denied) return denied;
    return { json: { id: 7, email: account.email, first_name: 'Test', last_name: 'Creator', date_joined: '2025-01-02T10:00:00Z' } };
  });

  // --- video jobs (stats before :id, which would match "stats") ------------------------------------------
  server.route('GET', '/api/video-jobs/stats/', (req) => {
    const denied = authenticate(req, true);
    if (denied) return denied;
    const all = [...jobs.values()].map(statusOf);
    return {
      json: {
        total: all.length,
        completed: all.filter((s) => s === 'COMPLETED').length,
        failed: all.filter((s) => s === 'FAILED').length,
        pending: all.filter((s) => s === 'PENDING' || s === 'PROCESSING').length,
      },
    };
  });
  /** What both create endpoints check first: auth, multipart, and a rejection the test asked for. */
  const refuseCreate = (req: FakeRequest): FakeReply | null => {
    const denied = authenticate(req, true) ?? multipartOnly(req);
    if (denied) return denied;
    if (rejectNext) {
      const r = rejectNext;
      rejectNext = undefined;
      return r;
    }
    return null;
  };
  server.route('POST', '/api/video-jobs/', (req) => {
    const refused = refuseCreate(req);
    if (refused) return refused;
    const errors: Record<string, string[]> = {};
    const title = requiredText(req, 'title', errors);
    const text = requiredText(req, 'text_content', errors);
    requiredFile(req, 'avatar', /\.(jpe?g|png)$/i, BAD_IMAGE, errors);
    if (req.files.reference_audio && !/\.(wav|mp3)$/i.test(req.files.reference_audio.filename)) errors.reference_audio = [BAD_AUDIO];
    let voice: number | undefined;
    const rv = req.fields.reference_voice;
    if (rv !== undefined && rv !== '') {
      if (!/^\d+$/.test(rv)) errors.reference_voice = ['A valid integer is required.'];
      else if (!voices.has(Number(rv))) errors.reference_voice = [`Invalid pk "${rv}" - object does not exist.`];
      else voice = Number(rv);
    }
    const pp = req.fields.processing_params;
    if (pp !== undefined) {
      try {
        const v: unknown = JSON.parse(pp);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) errors.processing_params = ['Value must be a JSON object.'];
      } catch {
        errors.processing_params = ['Value must be valid JSON.'];
      }
    }
    if (Object.keys(errors).length) return { status: 400, json: errors };
    const id = createJob({ kind: 'tts', title: title!, text_content: text!, ...(voice !== undefined ? { reference_voice: voice } : {}), ...(pp !== undefined ? { processing_params: pp } : {}) });
    return { status: 201, json: view(id) };
  });
  server.route('GET', '/api/video-jobs/', (req) => {
    const denied = authenticate(req, true);
    if (denied) return denied;
    const ids = [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt || Number(b.id) - Number(a.id)).map((j) => Number(j.id));
    return listReply(req, ids.map(view), '/api/video-jobs/');
  });
  server.route('GET', '/api/video-jobs/:id/', (req) => {
    const denied = authenticate(req, true);
    if (denied) return denied;
    const id = Number(req.params.id);
    return /^\d+$/.test(req.params.id ?? '') && jobs.has(id) ? { json: view(id) } : NOT_FOUND;
  });
  server.route('POST', '/api/video-only/', (req) => {
    const refused = refuseCreate(req);
    if (refused) return refused;
    const errors: Record<string, string[]> = {};
    const title = requiredText(req, 'title', errors);
    requiredFile(req, 'avatar', /\.(jpe?g|png)$/i, BAD_IMAGE, errors);
    requiredFile(req, 'audio', /\.(wav|mp3|m4a)$/i, BAD_AUDIO, errors);
    if (Object.keys(errors).length) return { status: 400, json: errors };
    const id = createJob({ kind: 'video_only', title: title!, text_content: null });
    return { status: 201, json: view(id) };
  });

  // --- voices ([UNCONFIRMED] endpoint) -------------------------------------------------------------------
  server.route('GET', '/api/voices/', (req) => {
    // An unknown route on a production Django answers an HTML 404 page.
    if (!voicesEndpoint) return { status: 404, text: '<!doctype html><title>Not Found</title><h1>Not Found</h1>' };
    const denied = authenticate(req, true);
    if (denied) return denied;
    return listReply(req, [...voices.values()].sort((a, b) => b.id - a.id), '/api/voices/');
  });

  await server.listen(opts.port ?? 0);
  const addVoice = (name: string): number => {
    const id = nextVoiceId++;
    voices.set(id, { id, name, created_at: new Date(server.now()).toISOString() });
    return id;
  };
  addVoice('Narrator (warm)');

  return {
    server,
    url: `${server.url}/api`,
    close: () => server.close(),
    account,
    jobs,
    view,
    setListShape: (shape) => void (listShape = shape),
    failNext: (message) => void (failNext = message),
    rejectNext: (status, body) => void (rejectNext = { status, json: body }),
    override: (id, patch) => {
      const job = jobs.get(id);
      if (!job) throw new Error(`no job ${id}`);
      job.data.override = { ...job.data.override, ...patch };
    },
    expireAccessTokens: () => {
      for (const t of access.values()) t.expired = true;
    },
    expireRefreshTokens: () => {
      for (const t of refresh.values()) t.expired = true;
    },
    issueAccessToken: issueAccess,
    setApiKey: (key) => void (account.apiKey = key),
    setApiKeyOnVideoJobs: (accept) => void (apiKeyOnVideoJobs = accept),
    setVoicesEndpoint: (exists) => void (voicesEndpoint = exists),
    addVoice,
    addJob: (fields) => {
      const id = createJob({ kind: fields.text_content ? 'tts' : 'video_only', title: fields.title, text_content: fields.text_content ?? null }, fields.createdAt ?? server.now(), 0);
      if (fields.status) jobs.get(id)!.data.override = { status: fields.status };
      return id;
    },
  };
}
