import { FakeServer, sampleJpg, sampleMp4, uuidLike } from './base';
import type { FakeOptions, FakeReply, FakeRequest, Handler } from './base';

/**
 * Local fake of the Creatify API (PROVIDERS.md §5): Aurora, AI avatar v1 (lipsyncs, with its list), custom
 * template jobs (blocking or async preview, render after approval), personas, voices, custom templates and the
 * credit balance. Auth needs both X-API-ID and X-API-KEY; errors use the DRF shapes the adapter expects
 * ({"detail"} and {field: [msgs]}, both [UNCONFIRMED] at Creatify). Status words come from the clock:
 * pending → in_queue → running → done (or failed/rejected when told to).
 */

export type CreatifyFakeProduct = 'aurora' | 'lipsync' | 'template';
/** How a list endpoint that Creatify may not have answers: absent (404), 405, or a real list. */
export type ListSupport = 'missing' | 'not_allowed' | 'available';

export type CreatifyFakeJob = {
  id: string;
  product: CreatifyFakeProduct;
  name: string | null;
  body: Record<string, unknown>;
  createdAt: number;
  /** Real ms of the first phase (the render; for templates the preview). */
  firstMs: number;
  /** Templates: real ms of the render after approval. */
  renderMs: number;
  renderStartedAt?: number;
  failWith?: { status: 'failed' | 'rejected'; reason: string };
  /** Replaces the status word in answers (e.g. 'DONE', 'mystery'), everything else unchanged. */
  statusOverride?: string;
  charged: { preview: boolean; final: boolean };
};

export type CreatifyFakeOptions = FakeOptions & {
  apiId?: string;
  apiKey?: string;
  credits?: number;
  /** 'blocking' (default): the preview call answers when the preview is ready; 'async': 201 pending at once. */
  previewMode?: 'blocking' | 'async';
  /** Render time of a custom-template preview in provider seconds (default 30). */
  previewSec?: number;
  lipsyncList?: 'array' | 'paginated';
  pageSize?: number;
  auroraList?: ListSupport;
  templateList?: ListSupport;
  /** Status of the out-of-credits answer (undocumented at Creatify). */
  noCreditsStatus?: number;
};

export type CreatifyFake = {
  server: FakeServer;
  url: string;
  close(): Promise<void>;
  jobs: Map<string, CreatifyFakeJob>;
  templates: { id: string; name: string; variables: string[] }[];
  previewMode: 'blocking' | 'async';
  lipsyncList: 'array' | 'paginated';
  pageSize: number;
  auroraList: ListSupport;
  templateList: ListSupport;
  noCreditsStatus: number;
  /** When true, finished jobs answer `done` without their video field (output / video_output). */
  omitFinalField: boolean;
  /** The next created job ends `failed` with this failed_reason. */
  failNext(reason?: string): void;
  /** The next created job ends `rejected` with this failed_reason. */
  rejectNext(reason?: string): void;
  setStatus(id: string, status: string | undefined): void;
  setKeys(apiId: string, apiKey: string): void;
  credits(): number;
  setCredits(n: number): void;
  jobByName(name: string): CreatifyFakeJob | undefined;
};

const TYPICAL_RENDER_SEC = 180;
const DEFAULT_PREVIEW_SEC = 30;
/** Credits the fake charges when a phase finishes (failed jobs are refunded, as Creatify documents for Aurora). */
const CHARGE = { aurora: 3, lipsync: 5, preview: 1, render: 4 } as const;

const AURORA_MODELS = ['aurora_v1', 'aurora_v1_fast', 'aurora_v2'];
const AVATAR_MODELS = ['standard', 'aurora_v1', 'aurora_v1_fast'];
const RESOLUTIONS = ['480p', '720p', '1080p', '2k'];
const ASPECTS = ['16x9', '1x1', '9x16'];

type Errors = Record<string, string[]>;
const REQUIRED = 'This field is required.';
const choice = (v: unknown) => `"${String(v)}" is not a valid choice.`;

function bodyOf(req: FakeRequest): Record<string, unknown> {
  const b = req.json ?? req.fields;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function isUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function add(errors: Errors, field: string, msg: string): void {
  (errors[field] ??= []).push(msg);
}

function checkUrlField(errors: Errors, body: Record<string, unknown>, field: string, opts: { required: boolean; exts?: string[]; max?: number }): void {
  const v = body[field];
  if (v === undefined || v === null || v === '') {
    if (opts.required) add(errors, field, REQUIRED);
    return;
  }
  if (!isUrl(v)) return add(errors, field, 'Enter a valid URL.');
  if (opts.max !== undefined && v.length > opts.max) add(errors, field, `Ensure this field has no more than ${opts.max} characters.`);
  const ext = /\.([a-z0-9]+)$/i.exec(new URL(v).pathname)?.[1]?.toLowerCase();
  if (opts.exts && ext && !opts.exts.includes(ext)) add(errors, field, `Unsupported file type .${ext}; use ${opts.exts.join(', ')}.`);
}

function checkCommon(errors: Errors, body: Record<string, unknown>, models: string[]): void {
  if (body.name !== undefined && body.name !== null && (typeof body.name !== 'string' || body.name.length > 255)) {
    add(errors, 'name', 'Ensure this field has no more than 255 characters.');
  }
  checkUrlField(errors, body, 'webhook_url', { required: false, max: 200 });
  if (body.model_version !== undefined && !models.includes(String(body.model_version))) add(errors, 'model_version', choice(body.model_version));
}

export async function startCreatifyFake(opts: CreatifyFakeOptions = {}): Promise<CreatifyFake> {
  const server = new FakeServer('creatify', opts);
  const jobs = new Map<string, CreatifyFakeJob>();
  let keys = { apiId: opts.apiId ?? 'test-api-id', apiKey: opts.apiKey ?? 'test-api-key' };
  let credits = opts.credits ?? 500;
  let pendingFail: CreatifyFakeJob['failWith'];
  const previewMs = () => (opts.previewSec ?? DEFAULT_PREVIEW_SEC) * 1000 * server.opts.timeScale;

  const fake: CreatifyFake = {
    server,
    url: '',
    close: () => server.close(),
    jobs,
    templates: [
      { id: '0b5e7c1a-3f55-4c8e-9d2a-6a1b2c3d4e5f', name: 'Product spotlight', variables: ['script', 'product_image'] },
      { id: '7d9f2e4b-1c3a-4b5d-8e6f-0a1b2c3d4e5f', name: 'Testimonial', variables: ['quote', 'avatar'] },
    ],
    previewMode: opts.previewMode ?? 'blocking',
    lipsyncList: opts.lipsyncList ?? 'array',
    pageSize: opts.pageSize ?? 2,
    auroraList: opts.auroraList ?? 'missing',
    templateList: opts.templateList ?? 'missing',
    noCreditsStatus: opts.noCreditsStatus ?? 402,
    omitFinalField: false,
    failNext: (reason = 'Audio could not be processed') => void (pendingFail = { status: 'failed', reason }),
    rejectNext: (reason = 'Content violates the usage policy') => void (pendingFail = { status: 'rejected', reason }),
    setStatus: (id, status) => {
      const j = jobs.get(id);
      if (!j) throw new Error(`no fake Creatify job ${id}`);
      j.statusOverride = status;
    },
    setKeys: (apiId, apiKey) => void (keys = { apiId, apiKey }),
    credits: () => {
      for (const j of jobs.values()) view(j);
      return credits;
    },
    setCredits: (n) => void (credits = n),
    jobByName: (name) => [...jobs.values()].find((j) => j.name === name),
  };

  /** Status of one phase from the clock. */
  function phase(start: number, ms: number): { status: string; progress: number } {
    const p = server.progressOf({ id: '', createdAt: start, renderMs: ms, data: {} });
    if (p >= 1) return { status: 'done', progress: 1 };
    return { status: p < 0.1 ? 'pending' : p < 0.2 ? 'in_queue' : 'running', progress: Math.round(p * 100) / 100 };
  }

  function view(j: CreatifyFakeJob): Record<string, unknown> {
    const first = phase(j.createdAt, j.firstMs);
    let status = first.status;
    let progress = first.progress;
    let failed_reason: string | null = null;
    let preview: string | null = null;
    let finalUrl: string | null = null;
    let used = 0;
    if (first.status === 'done' && j.failWith) {
      status = j.failWith.status;
      failed_reason = j.failWith.reason;
    } else if (j.product === 'template') {
      if (first.status === 'done') {
        preview = `https://app.creatify.ai/preview?layout=${encodeURIComponent(`${server.url}/layouts/${j.id}.json`)}`;
        used = CHARGE.preview;
        if (!j.charged.preview) {
          j.charged.preview = true;
          credits -= CHARGE.preview;
        }
        if (j.renderStartedAt !== undefined) {
          const second = phase(j.renderStartedAt, j.renderMs);
          status = second.status;
          progress = second.progress;
          if (second.status === 'done') {
            used += CHARGE.render;
            if (!j.charged.final) {
              j.charged.final = true;
              credits -= CHARGE.render;
            }
            finalUrl = server.signedUrl(`creatify/${j.id}.mp4`);
          }
        }
      }
    } else if (first.status === 'done') {
      used = j.product === 'aurora' ? CHARGE.aurora : CHARGE.lipsync;
      if (!j.charged.final) {
        j.charged.final = true;
        credits -= used;
      }
      finalUrl = server.signedUrl(`creatify/${j.id}.mp4`);
    }
    if (fake.omitFinalField) finalUrl = null;
    const common = {
      id: j.id,
      name: j.name,
      status: j.statusOverride ?? status,
      failed_reason,
      credits_used: used,
      duration: finalUrl ? 2 : null,
      media_job: null,
      editor_url: null,
      is_hidden: j.body.is_hidden === true,
      webhook_url: j.body.webhook_url ?? null,
      model_version: j.body.model_version ?? (j.product === 'aurora' ? 'aurora_v1' : 'standard'),
      created_at: new Date(j.createdAt).toISOString(),
      updated_at: new Date(server.now()).toISOString(),
    };
    if (j.product === 'lipsync') {
      // Lipsync `progress` is documented as a string.
      return {
        ...common,
        progress: String(progress),
        output: finalUrl,
        video_thumbnail: finalUrl ? server.signedUrl(`creatify/${j.id}.jpg`) : null,
        preview: null,
        preview_audio: null,
        aspect_ratio: j.body.aspect_ratio,
        audio_url: j.body.audio ?? null,
        text: j.body.text ?? null,
        creator: j.body.creator ?? null,
        accent: j.body.accent ?? null,
      };
    }
    if (j.product === 'aurora') {
      return {
        ...common,
        progress,
        video_output: finalUrl,
        preview: null,
        image: j.body.image,
        audio: j.body.audio,
        text_prompt: j.body.text_prompt ?? null,
        prompt_guidance_scale: j.body.prompt_guidance_scale ?? null,
      };
    }
    return { ...common, progress, video_output: finalUrl, preview, template_id: j.body.template_id, variables: j.body.variables };
  }

  function create(product: CreatifyFakeProduct, body: Record<string, unknown>): CreatifyFakeJob {
    const id = uuidLike();
    // One render time per job (renderMsFor may give each call its own).
    const renderMs = server.renderMsFor(TYPICAL_RENDER_SEC);
    const j: CreatifyFakeJob = {
      id,
      product,
      name: typeof body.name === 'string' ? body.name : null,
      body,
      createdAt: server.now(),
      firstMs: product === 'template' ? previewMs() : renderMs,
      renderMs,
      charged: { preview: false, final: false },
      ...(pendingFail ? { failWith: pendingFail } : {}),
    };
    pendingFail = undefined;
    jobs.set(id, j);
    server.addFile(`creatify/${id}.mp4`, { bytes: sampleMp4(), mime: 'video/mp4' });
    server.addFile(`creatify/${id}.jpg`, { bytes: sampleJpg(), mime: 'image/jpeg' });
    return j;
  }

  const authed =
    (h: Handler): Handler =>
    (req) => {
      const id = req.headers['x-api-id'];
      const key = req.headers['x-api-key'];
      if (!id || !key) return { status: 401, json: { detail: 'Authentication credentials were not provided.' } };
      if (id !== keys.apiId || key !== keys.apiKey) return { status: 401, json: { detail: 'Incorrect authentication credentials.' } };
      return h(req);
    };

  const notFound: FakeReply = { status: 404, json: { detail: 'Not found.' } };
  const invalid = (errors: Errors): FakeReply | undefined => (Object.keys(errors).length ? { status: 400, json: errors } : undefined);
  const noCredits = (): FakeReply | undefined =>
    credits <= 0 ? { status: fake.noCreditsStatus, json: { detail: `Insufficient credits: ${credits} credits remaining. Please upgrade your plan.` } } : undefined;

  const getOne = (product: CreatifyFakeProduct): Handler =>
    authed((req) => {
      const j = jobs.get(req.params.id ?? '');
      return j && j.product === product ? { json: view(j) } : notFound;
    });

  const listOf = (product: CreatifyFakeProduct) => [...jobs.values()].filter((j) => j.product === product).sort((a, b) => b.createdAt - a.createdAt);

  const optionalList = (product: 'aurora' | 'template', support: () => ListSupport): Handler =>
    authed(() => {
      const s = support();
      if (s === 'missing') return notFound;
      if (s === 'not_allowed') return { status: 405, json: { detail: 'Method "GET" not allowed.' } };
      return { json: listOf(product).map(view) };
    });

  // --- Aurora
  server.route(
    'POST',
    '/api/aurora/',
    authed((req) => {
      const body = bodyOf(req);
      const errors: Errors = {};
      checkUrlField(errors, body, 'image', { required: true, exts: ['png', 'jpg', 'jpeg', 'webp'] });
      checkUrlField(errors, body, 'audio', { required: true, exts: ['mp3', 'wav'] });
      checkCommon(errors, body, AURORA_MODELS);
      if (body.resolution !== undefined && !RESOLUTIONS.includes(String(body.resolution))) add(errors, 'resolution', choice(body.resolution));
      const bad = invalid(errors) ?? noCredits();
      if (bad) return bad;
      return { status: 201, json: view(create('aurora', body)) };
    }),
  );
  server.route('GET', '/api/aurora/', optionalList('aurora', () => fake.auroraList));
  server.route('GET', '/api/aurora/:id/', getOne('aurora'));

  // --- AI avatar v1 (lipsyncs)
  server.route(
    'POST',
    '/api/lipsyncs/',
    authed((req) => {
      const body = bodyOf(req);
      const errors: Errors = {};
      if (body.aspect_ratio === undefined || body.aspect_ratio === null || body.aspect_ratio === '') add(errors, 'aspect_ratio', REQUIRED);
      else if (!ASPECTS.includes(String(body.aspect_ratio))) add(errors, 'aspect_ratio', choice(body.aspect_ratio));
      const hasText = typeof body.text === 'string' && body.text.trim() !== '';
      if (!hasText && body.audio === undefined) add(errors, 'non_field_errors', 'Either text or audio is required.');
      checkUrlField(errors, body, 'audio', { required: false });
      checkUrlField(errors, body, 'background_asset_image_url', { required: false, max: 1024 });
      for (const f of ['caption_offset_x', 'caption_offset_y']) {
        const v = body[f];
        if (v !== undefined && !(typeof v === 'number' && v >= -0.5 && v <= 0.5)) add(errors, f, 'Ensure this value is between -0.5 and 0.5.');
      }
      checkCommon(errors, body, AVATAR_MODELS);
      const bad = invalid(errors) ?? noCredits();
      if (bad) return bad;
      return { status: 200, json: view(create('lipsync', body)) };
    }),
  );
  server.route(
    'GET',
    '/api/lipsyncs/',
    authed((req) => {
      const all = listOf('lipsync').map(view);
      if (fake.lipsyncList === 'array') return { json: all };
      const page = Math.max(1, Number(req.query.get('page') ?? '1') || 1);
      const size = fake.pageSize;
      const results = all.slice((page - 1) * size, page * size);
      const more = page * size < all.length;
      return {
        json: {
          count: all.length,
          next: more ? `${server.url}/api/lipsyncs/?page=${page + 1}` : null,
          previous: page > 1 ? `${server.url}/api/lipsyncs/?page=${page - 1}` : null,
          results,
        },
      };
    }),
  );
  server.route('GET', '/api/lipsyncs/:id/', getOne('lipsync'));

  // --- Custom template jobs
  server.route(
    'POST',
    '/api/custom_template_jobs/preview/',
    authed(async (req) => {
      const body = bodyOf(req);
      const errors: Errors = {};
      if (!body.template_id) add(errors, 'template_id', REQUIRED);
      else if (!fake.templates.some((t) => t.id === body.template_id)) add(errors, 'template_id', `Invalid pk "${String(body.template_id)}" - object does not exist.`);
      if (body.variables === undefined) add(errors, 'variables', REQUIRED);
      else if (!body.variables || typeof body.variables !== 'object' || Array.isArray(body.variables)) add(errors, 'variables', 'Expected a dictionary of items.');
      checkCommon(errors, body, AVATAR_MODELS);
      const bad = invalid(errors) ?? noCredits();
      if (bad) return bad;
      const j = create('template', body);
      if (fake.previewMode === 'async') return { status: 201, json: view(j) };
      // The documented preview call waits until the preview is ready.
      await new Promise((r) => setTimeout(r, j.firstMs + 5));
      return { status: 200, json: view(j) };
    }),
  );
  server.route(
    'POST',
    '/api/custom_template_jobs/:id/render/',
    authed((req) => {
      const j = jobs.get(req.params.id ?? '');
      if (!j || j.product !== 'template') return notFound;
      if (j.renderStartedAt !== undefined) return { status: 400, json: { detail: 'This job has already been rendered.' } };
      const v = view(j);
      if (v.status !== 'done' || !v.preview) return { status: 400, json: { detail: 'The preview is not ready yet.' } };
      const bad = noCredits();
      if (bad) return bad;
      j.renderStartedAt = server.now();
      return { status: 200, json: view(j) };
    }),
  );
  server.route('GET', '/api/custom_template_jobs/', optionalList('template', () => fake.templateList));
  server.route('GET', '/api/custom_template_jobs/:id/', getOne('template'));
  server.route(
    'GET',
    '/api/custom_templates/',
    authed(() => ({ json: fake.templates.map((t) => ({ id: t.id, name: t.name, variables: t.variables, created_at: '2026-05-01T10:00:00Z' })) })),
  );

  // --- Pickers and account
  server.route(
    'GET',
    '/api/personas/',
    authed(() => ({
      json: [
        {
          id: '3f0c8a9e-1111-4a2b-9c3d-5e6f7a8b9c0d',
          creator_name: 'Olivia',
          gender: 'f',
          age_range: 'adult',
          style: 'presenter',
          is_active: true,
          preview_image_16_9: 'https://cdn.creatify.ai/personas/olivia_16_9.jpg',
          preview_image_1_1: 'https://cdn.creatify.ai/personas/olivia_1_1.jpg',
          preview_image_9_16: 'https://cdn.creatify.ai/personas/olivia_9_16.jpg',
        },
        { id: '3f0c8a9e-2222-4a2b-9c3d-5e6f7a8b9c0d', creator_name: 'Marcus', gender: 'm', is_active: true, preview_image_1_1: 'https://cdn.creatify.ai/personas/marcus_1_1.jpg' },
        { id: '3f0c8a9e-3333-4a2b-9c3d-5e6f7a8b9c0d', creator_name: 'Retired', gender: 'nb', is_active: false },
      ],
    })),
  );
  server.route(
    'GET',
    '/api/voices/',
    authed(() => ({
      json: [
        {
          name: 'Fatima',
          gender: 'female',
          accents: [
            { id: '7a258b67-e1d3-4025-8904-8429daa3a34d', accent_name: 'American English accent', preview_url: 'https://cdn.creatify.ai/accents/fatima_us.mp3' },
            { id: '7a258b67-e1d3-4025-8904-8429daa3a34e', accent_name: 'British English accent', preview_url: 'https://cdn.creatify.ai/accents/fatima_uk.mp3' },
          ],
        },
        { name: 'Leo', gender: 'male', accents: [{ id: '9b1c2d3e-aaaa-4bbb-8ccc-0d1e2f3a4b5c', accent_name: 'Australian English accent', preview_url: null }] },
      ],
    })),
  );
  server.route(
    'GET',
    '/api/remaining_credits/',
    authed(() => ({ json: { remaining_credits: fake.credits() } })),
  );

  await server.listen(opts.port ?? 0);
  fake.url = server.url;
  return fake;
}
