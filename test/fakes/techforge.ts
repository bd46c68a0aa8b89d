import { FakeServer, sampleMp4, uuidLike, type FakeOptions, type FakeReply, type FakeRequest, type Handler, type SimJob } from './base';

/**
 * A local TechForge Innovate (TFI) API, built from PROVIDERS.md §2 and the jobs-v2 seed page:
 * POST /jobs/v2 (both body shapes, both [CONFLICT] answer shapes), GET /jobs/:id (raw row, and the
 * HTTP 200 {"message":"Job not found"} for missing or foreign jobs), GET /storage/generate-signed-path
 * (expiring signed URLs), GET /auth/credits (decremented by credit_used), the provider project lists,
 * x-api-key auth and request validation with {message} or {error} bodies.
 */

export const TFI_JOB_TYPES = ['ai_talking_video', 'video', 'tts', 'image', 'photo_qc', 'pdf', 'ai_image_generation'];

/**
 * overview: 202 {jobId, status:"queued", message}; reference: {message, job:{uuid, job_status, job_type, template_id}};
 * row: the stored row ({uuid, job_status, …}); no-id: a 2xx answer that names no job.
 */
export type TechforgeCreateShape = 'overview' | 'reference' | 'row' | 'no-id';
/** upper: QUEUED/STARTED/IN_PROGRESS/SUCCESS/FAILED (jobs-get); lower: queued/processing/done/failed (overview page). */
export type TechforgeStatusWords = 'upper' | 'lower';

export type TechforgeProject = {
  projectId: string;
  projectName: string;
  projectType: string;
  startDate: string;
  endDate: string;
  fields: Record<string, { label: string; instructionType: string }>;
};

export type TechforgeFakeOptions = FakeOptions & {
  apiKey?: string;
  credits?: number;
  createShape?: TechforgeCreateShape;
  statusWords?: TechforgeStatusWords;
  /** credit_used written on a finished job (a string, as TFI does). Default "12.5". */
  creditsPerJob?: string;
  projects?: TechforgeProject[];
};

export type TechforgeJobData = {
  owner: string;
  input: Record<string, unknown>;
  outputKey: string;
  creditUsed: string;
  settled: boolean;
  noOutput: boolean;
  /** A status word the row reports instead of the simulated one (tests of every word). */
  forced?: string;
  forcedOutput?: boolean;
};

export type TechforgeFake = {
  server: FakeServer;
  url: string;
  close(): Promise<void>;
  apiKey: string;
  createShape: TechforgeCreateShape;
  statusWords: TechforgeStatusWords;
  /** Shape of 400 bodies: {message} or {error} (the docs allow both). */
  errorShape: 'message' | 'error';
  /** Lifetime of the signed output URLs, in real ms. */
  signedUrlTtlMs: number;
  /** The overview page shows an expiresAt beside signedUrl; the reference says there is none [CONFLICT]. */
  includeExpiresAt: boolean;
  readonly credits: number;
  setCredits(n: number): void;
  readonly jobs: ReadonlyMap<string, SimJob & { data: TechforgeJobData }>;
  projects: TechforgeProject[];
  /** The next created job ends FAILED with this reason. */
  failNextJob(message?: string): void;
  /** The next created job ends SUCCESS with no output key. */
  nextJobWithoutOutput(): void;
  /** Makes a job report this raw status word (undefined: back to the simulation). */
  forceStatus(uuid: string, word: string | undefined, opts?: { withOutput?: boolean }): void;
  /** The row of a job as GET /jobs/:id returns it. */
  rowOf(uuid: string): Record<string, unknown> | undefined;
};

const DEFAULT_PROJECT: TechforgeProject = {
  projectId: '468ea7a0-66e1-4357-a760-236e54167f3e',
  projectName: 'Spring campaign',
  projectType: 'ai_talking_video',
  startDate: '2026-03-01T00:00:00.000Z',
  endDate: '2026-12-31T00:00:00.000Z',
  fields: {
    headline: { label: 'Headline', instructionType: 'text' },
    photo: { label: 'Presenter photo', instructionType: 'image' },
    voice: { label: 'Voice-over', instructionType: 'audio' },
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isHttp = (v: unknown): boolean => typeof v === 'string' && /^https?:\/\/[^\s/]+/i.test(v);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Simulated TFI render time in provider seconds (PROVIDERS.md gives none; ~2 minutes). */
const TYPICAL_SEC = 120;

export async function startTechforgeFake(opts: TechforgeFakeOptions = {}): Promise<TechforgeFake> {
  const server = new FakeServer('techforge', opts);
  const jobs = new Map<string, SimJob & { data: TechforgeJobData }>();
  let credits = opts.credits ?? 1250;
  let nextFail: string | undefined;
  let nextNoOutput = false;

  const fake: TechforgeFake = {
    server,
    url: '',
    close: () => server.close(),
    apiKey: opts.apiKey ?? 'tfi-test-key',
    createShape: opts.createShape ?? 'overview',
    statusWords: opts.statusWords ?? 'upper',
    errorShape: 'message',
    signedUrlTtlMs: opts.urlTtlMs ?? 3_600_000,
    includeExpiresAt: false,
    get credits() {
      return credits;
    },
    setCredits(n) {
      credits = n;
    },
    jobs,
    projects: opts.projects ?? [DEFAULT_PROJECT],
    failNextJob(message = 'Face not detected in the source image') {
      nextFail = message;
    },
    nextJobWithoutOutput() {
      nextNoOutput = true;
    },
    forceStatus(uuid, word, o = {}) {
      const job = jobs.get(uuid);
      if (!job) throw new Error(`no job ${uuid}`);
      job.data.forced = word;
      job.data.forcedOutput = o.withOutput ?? false;
      if (word !== undefined && o.withOutput) server.addFile(job.data.outputKey, { bytes: sampleMp4(), mime: 'video/mp4' });
    },
    rowOf(uuid) {
      const job = jobs.get(uuid);
      return job ? row(job) : undefined;
    },
  };

  const badRequest = (message: string): FakeReply => ({ status: 400, json: fake.errorShape === 'error' ? { error: message } : { message } });

  /** Every TFI endpoint needs x-api-key; a missing or wrong one is 401. */
  const authed =
    (handler: Handler): Handler =>
    (req) => {
      const key = req.headers['x-api-key'];
      if (key !== fake.apiKey) return { status: 401, json: { message: key ? 'Invalid API key' : 'API key is required' } };
      return handler(req);
    };

  type Phase = 'queued' | 'started' | 'in_progress' | 'success' | 'failed';
  const phaseOf = (job: SimJob): Phase => {
    const p = server.progressOf(job);
    if (p >= 1) return job.failWith ? 'failed' : 'success';
    if (p < 0.15) return 'queued';
    return p < 0.5 ? 'started' : 'in_progress';
  };
  const WORDS: Record<TechforgeStatusWords, Record<Phase, string>> = {
    upper: { queued: 'QUEUED', started: 'STARTED', in_progress: 'IN_PROGRESS', success: 'SUCCESS', failed: 'FAILED' },
    lower: { queued: 'queued', started: 'processing', in_progress: 'processing', success: 'done', failed: 'failed' },
  };

  /** A finished job is charged once (as the internal PUT would) and its file appears in storage. */
  const settle = (job: SimJob & { data: TechforgeJobData }): void => {
    if (job.data.settled || phaseOf(job) !== 'success') return;
    job.data.settled = true;
    credits -= Number(job.data.creditUsed);
    if (!job.data.noOutput) server.addFile(job.data.outputKey, { bytes: sampleMp4(), mime: 'video/mp4' });
  };

  const row = (job: SimJob & { data: TechforgeJobData }): Record<string, unknown> => {
    settle(job);
    const d = job.data;
    const phase = phaseOf(job);
    const word = d.forced ?? WORDS[fake.statusWords][phase];
    const done = d.forced === undefined ? phase === 'success' : d.forcedOutput === true;
    const output = done && !d.noOutput ? { output: d.outputKey } : phase === 'failed' && d.forced === undefined ? { error: job.failWith?.message } : null;
    return {
      uuid: job.id,
      user_id: 'user-1',
      template_id: d.input.template_id ?? d.input.project_id ?? null,
      input: d.input,
      output,
      values: d.input.values ?? null,
      job_status: word,
      job_type: d.input.job_type,
      credit_used: done ? d.creditUsed : null,
      created_at: new Date(job.createdAt).toISOString(),
      updated_at: new Date(server.now()).toISOString(),
    };
  };

  /** What the real controller would refuse, as far as the docs tell. */
  const problemsOf = (b: Record<string, unknown>): { status: number; message: string } | undefined => {
    const problems: string[] = [];
    if (typeof b.job_type !== 'string' || b.job_type === '') problems.push('job_type is required');
    else if (!TFI_JOB_TYPES.includes(b.job_type)) problems.push(`job_type must be one of ${TFI_JOB_TYPES.join(', ')}`);
    const template = b.template_id !== undefined || isObj(b.values);
    if (template) {
      const ref = b.template_id ?? b.project_id;
      if (ref === undefined) problems.push('template_id or project_id is required');
      else if (typeof ref !== 'string' || !UUID.test(ref)) problems.push('template_id must be a UUID');
      if (b.values !== undefined && !isObj(b.values)) problems.push('values must be an object');
      const project = fake.projects.find((p) => p.projectId === ref);
      if (typeof ref === 'string' && UUID.test(ref) && !project) return { status: 404, message: 'Project not found' };
      if (project && isObj(b.values)) {
        for (const [key, v] of Object.entries(b.values)) {
          const f = project.fields[key];
          if (!f) problems.push(`values.${key} is not a field of ${project.projectName}`);
          else if (f.instructionType === 'image' && !(isObj(v) && isHttp(v.image_url))) problems.push(`values.${key} must be {image_url} with a public URL`);
          else if (f.instructionType === 'audio' && !(isObj(v) && isHttp(v.audio_url))) problems.push(`values.${key} must be {audio_url} with a public URL`);
          else if (f.instructionType === 'text' && typeof v !== 'string') problems.push(`values.${key} must be text`);
        }
      }
    } else {
      if (b.image_url === undefined) problems.push('image_url is required');
      else if (!isHttp(b.image_url)) problems.push('image_url must be a publicly accessible URL');
      if (b.audio_url === undefined) problems.push('audio_url is required');
      else if (!isHttp(b.audio_url)) problems.push('audio_url must be a publicly accessible URL');
      if (b.project_id === undefined) problems.push('project_id is required');
      else if (typeof b.project_id !== 'string' || !UUID.test(b.project_id)) problems.push('project_id must be a UUID');
      if (b.version !== undefined && ![4, 5, 6].includes(b.version as number)) problems.push('version must be one of 4, 5, 6');
      if (b.values !== undefined && !Array.isArray(b.values)) problems.push('values must be an array');
    }
    return problems.length ? { status: 400, message: problems.join('; ') } : undefined;
  };

  server.route(
    'POST',
    '/jobs/v2',
    authed((req: FakeRequest) => {
      if (!isObj(req.json)) return badRequest('Request body must be a JSON object');
      const body = req.json;
      const problem = problemsOf(body);
      if (problem) return problem.status === 400 ? badRequest(problem.message) : { status: problem.status, json: { message: problem.message } };
      const id = uuidLike();
      const projectId = String(body.project_id ?? body.template_id);
      const job: SimJob & { data: TechforgeJobData } = {
        id,
        createdAt: server.now(),
        renderMs: server.renderMsFor(TYPICAL_SEC),
        ...(nextFail ? { failWith: { status: 'FAILED', code: 'render_failed', message: nextFail } } : {}),
        data: {
          owner: fake.apiKey,
          input: body,
          outputKey: `ai-talking-videos/${projectId}/outputs/${id}.mp4`,
          creditUsed: opts.creditsPerJob ?? '12.5',
          settled: false,
          noOutput: nextNoOutput,
        },
      };
      nextFail = undefined;
      nextNoOutput = false;
      jobs.set(id, job);
      switch (fake.createShape) {
        case 'overview':
          return { status: 202, json: { jobId: id, status: 'queued', message: 'Job accepted and queued for processing' } };
        case 'reference':
          return {
            status: 200,
            json: { message: 'Job update accepted and processing', job: { uuid: id, job_status: 'QUEUED', job_type: body.job_type, template_id: body.template_id ?? body.project_id } },
          };
        case 'row':
          return { status: 201, json: row(job) };
        case 'no-id':
          return { status: 202, json: { message: 'Job accepted' } };
      }
    }),
  );

  server.route(
    'GET',
    '/jobs/:id',
    authed((req) => {
      const job = jobs.get(req.params.id ?? '');
      // TFI answers HTTP 200 for a missing job, and for another account's job (PROVIDERS.md §2.2).
      if (!job || job.data.owner !== req.headers['x-api-key']) return { status: 200, json: { message: 'Job not found' } };
      return { json: row(job) };
    }),
  );

  server.route(
    'GET',
    '/storage/generate-signed-path',
    authed((req) => {
      const key = req.query.get('path');
      if (!key) return { status: 400, json: { error: 'Path query parameter is required' } };
      for (const j of jobs.values()) settle(j);
      if (!server.files.has(key)) return { status: 404, json: { error: 'File not found' } };
      const signedUrl = server.signedUrl(key, fake.signedUrlTtlMs);
      return { json: { signedUrl, ...(fake.includeExpiresAt ? { expiresAt: new Date(server.now() + fake.signedUrlTtlMs).toISOString() } : {}) } };
    }),
  );

  server.route(
    'GET',
    '/auth/credits',
    authed(() => {
      for (const j of jobs.values()) settle(j);
      return { json: { credits } };
    }),
  );

  server.route(
    'GET',
    '/api/provider/projects/active',
    authed(() => ({
      json: { message: 'Success', data: fake.projects.map(({ projectId, projectName, projectType, startDate, endDate }) => ({ projectId, projectName, projectType, startDate, endDate })) },
    })),
  );

  server.route(
    'GET',
    '/api/provider/projects/:projectId/mapping-fields',
    authed((req) => {
      const p = fake.projects.find((x) => x.projectId === req.params.projectId);
      if (!p) return { status: 404, json: { message: 'Project not found' } };
      const { projectId, projectName, projectType, fields } = p;
      return { json: { message: 'Success', data: { projectId, projectName, projectType, fields, fetchedAt: new Date(server.now()).toISOString() } } };
    }),
  );

  // The internal status overwrite exists on the real API; the adapter must never call it (tests check the log).
  server.route(
    'PUT',
    '/jobs/:id',
    authed(() => ({ status: 403, json: { message: 'Internal endpoint' } })),
  );

  await server.listen(opts.port ?? 0);
  fake.url = server.url;
  return fake;
}
