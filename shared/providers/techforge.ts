import { z } from 'zod';
import { checkFileRef, paramIssues, type CostEstimate, type ProviderSpec, type ResolvedRef, type ValidationInput } from '../provider-spec';
import type { Issue } from '../result';

/**
 * TechForge Innovate (TFI), the pure half. Follows the TFI Mintlify docs as summarised in PROVIDERS.md §2
 * (overview, api/jobs-v2, api/jobs-get, api/generate-signed-path, api/auth-credits,
 * api/provider-projects-active, api/provider-project-mapping-fields) and the jobs-v2 seed page.
 * Known gaps: the openapi.json behind the docs was not available; what output_size, crop, dynamic_scale,
 * iteration_count, expand_ratio and versions 4/5/6 actually do is undocumented; no input format or size
 * limits, no prices (credit based), no upload, list or cancel endpoint.
 */

export const TECHFORGE_JOB_TYPES = ['ai_talking_video', 'video', 'tts', 'image', 'photo_qc', 'pdf', 'ai_image_generation'] as const;

const publicUrl = z.string().regex(/^https?:\/\//i, { error: 'must be a public http(s) URL' });

// Template values are plain strings or asset objects ({image_url} / {audio_url, effects}); the list of
// asset keys is open-ended in the docs ("asset objects such as …"), hence a loose object.
const templateValue = z.union([
  z.string(),
  z.looseObject({
    image_url: publicUrl.optional().describe('Public URL of an image for this field'),
    audio_url: publicUrl.optional().describe('Public URL of an audio file for this field'),
    effects: z.array(z.unknown()).optional().describe('Audio effects, passed to TechForge as given'),
  }),
]);

const projectUuid = z.guid({ error: 'must be a TechForge project ID (a UUID such as 468ea7a0-66e1-4357-a760-236e54167f3e)' });

export const techforgeParams = z.strictObject({
  project_id: projectUuid
    .optional()
    .describe('TechForge project the job belongs to. Required for talking videos; for templates it can stand in for the template'),
  job_type: z
    .enum(TECHFORGE_JOB_TYPES)
    .default('ai_talking_video')
    .describe('Kind of job: ai_talking_video (default), or for templates video, tts, image, photo_qc, pdf, ai_image_generation'),
  template_id: projectUuid.optional().describe('Template (a project ID) to fill in. Setting it makes this a template job'),
  session_id: z.string().min(1).optional().describe('Studio session the template job belongs to (optional)'),
  version: z
    .literal([2, 4, 5, 6])
    .optional()
    .describe('Renderer version: 4, 5 or 6 for talking videos (default 6); templates use 2 (the default for templates)'),
  language: z.string().min(2).max(16).default('en').describe('Language code for lip-syncing, e.g. en'),
  is_clone_required: z.boolean().optional().describe('Run a clone pass before rendering'),
  output_size: z.int().min(1).optional().describe('Output size in pixels along the edge, e.g. 400'),
  crop: z.boolean().optional().describe('Crop the image before rendering'),
  dynamic_scale: z.number().positive().optional().describe('Scaling factor used while rendering, e.g. 1'),
  iteration_count: z.int().min(1).optional().describe('Number of refinement passes, e.g. 10'),
  expand_ratio: z.number().min(0).optional().describe('How much to expand the canvas around the face, e.g. 0.5'),
  values: z
    .union([z.array(z.string()), z.record(z.string(), templateValue)])
    .optional()
    .describe('Talking videos: extra tuning values (a list of text). Templates: the template fields by key (text, or {image_url}/{audio_url})'),
  avatar_field: z.string().min(1).optional().describe("Templates: the field that receives this row's image"),
  audio_field: z.string().min(1).optional().describe("Templates: the field that receives this row's audio"),
  script_field: z.string().min(1).optional().describe("Templates: the field that receives this row's script"),
});

export type TechforgeParams = z.output<typeof techforgeParams>;

/** A job is a template job when it names a template, fills template fields, or asks for another job type. */
export function techforgeIsTemplate(params: Readonly<Record<string, unknown>>): boolean {
  const values = params.values;
  return (
    (typeof params.template_id === 'string' && params.template_id !== '') ||
    (values !== null && typeof values === 'object' && !Array.isArray(values)) ||
    (typeof params.job_type === 'string' && params.job_type !== 'ai_talking_video') ||
    params.avatar_field !== undefined ||
    params.audio_field !== undefined ||
    params.script_field !== undefined
  );
}

const PROJECT_ACCEPTED = 'the UUID of one of your TechForge projects (pick one from the project list)';

/** zod reports a bad `values` union only as "Invalid input"; this names the entry and what it accepts. */
function valuesIssues(values: unknown): Issue[] {
  const issues: Issue[] = [];
  const where = 'param.values';
  if (values === undefined) return issues;
  if (Array.isArray(values)) {
    values.forEach((v, i) => {
      if (typeof v !== 'string') issues.push({ field: `${where}.${i}`, message: 'Tuning values must be text', accepted: 'a list of text values' });
    });
    return issues;
  }
  if (values === null || typeof values !== 'object') {
    return [{ field: where, message: 'Not a list or an object', accepted: 'a list of text (talking videos) or an object of template fields (templates)' }];
  }
  for (const [key, v] of Object.entries(values as Record<string, unknown>)) {
    if (typeof v === 'string') continue;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      issues.push({ field: `${where}.${key}`, message: 'A template field value must be text or an asset', accepted: 'text, {"image_url": "https://…"} or {"audio_url": "https://…"}' });
      continue;
    }
    for (const k of ['image_url', 'audio_url'] as const) {
      const u = (v as Record<string, unknown>)[k];
      if (u !== undefined && !(typeof u === 'string' && /^https?:\/\//i.test(u))) {
        issues.push({ field: `${where}.${key}.${k}`, message: `${JSON.stringify(u)} is not a public URL`, accepted: 'an http:// or https:// URL TechForge can fetch' });
      }
    }
    const effects = (v as Record<string, unknown>).effects;
    if (effects !== undefined && !Array.isArray(effects)) issues.push({ field: `${where}.${key}.effects`, message: 'Effects must be a list', accepted: 'a list, passed to TechForge as given' });
  }
  return issues;
}

function validateTalkingVideo(input: ValidationInput, params: Readonly<Record<string, unknown>>): Issue[] {
  const issues: Issue[] = [];
  if (!input.avatar) issues.push({ field: 'avatar', message: 'A talking video needs an image of the speaker', accepted: 'an image file or a public http(s) image URL' });
  if (!input.audio) {
    issues.push({
      field: 'audio',
      message: 'A TechForge talking video is driven by your audio; it does not speak a script by itself',
      accepted: 'an audio file or a public http(s) audio URL',
    });
  }
  if (params.project_id === undefined) issues.push({ field: 'param.project_id', message: 'A talking video needs a project', accepted: PROJECT_ACCEPTED });
  if (params.version === 2) issues.push({ field: 'param.version', message: 'Version 2 is for template jobs', accepted: '4, 5 or 6 (default 6)' });
  return issues;
}

function validateTemplate(input: ValidationInput, params: Readonly<Record<string, unknown>>): Issue[] {
  const issues: Issue[] = [];
  if (params.template_id === undefined && params.project_id === undefined) {
    issues.push({ field: 'param.template_id', message: 'A template job needs a template or a project', accepted: PROJECT_ACCEPTED });
  }
  if (Array.isArray(params.values)) {
    issues.push({ field: 'param.values', message: 'Template fields must be given by key, not as a list', accepted: 'an object such as {"headline": "Hello", "photo": {"image_url": "https://…"}}' });
  }
  const slots = [
    ['avatar', 'avatar_field', input.avatar, 'image'],
    ['audio', 'audio_field', input.audio, 'audio'],
    ['script', 'script_field', input.script, 'text'],
  ] as const;
  for (const [field, param, given, what] of slots) {
    const named = params[param];
    if (given !== undefined && given !== '' && named === undefined) {
      issues.push({ field, message: `A template job only uses the ${field} if you say which template field receives it`, accepted: `param ${param} set to a ${what} field of the template` });
    }
    if (named !== undefined && (given === undefined || given === '')) {
      issues.push({ field, message: `${param} is "${String(named)}" but this row has no ${field}`, accepted: `a ${field} for every row, or no ${param}` });
    }
  }
  return issues;
}

function checkAssetKind(field: 'avatar' | 'audio', ref: ResolvedRef | undefined, kind: 'image' | 'audio'): Issue[] {
  // TFI documents no formats or sizes for its inputs, so only the kind of file is checked.
  return checkFileRef(field, ref, { kinds: [kind] });
}

export const techforgeSpec: ProviderSpec = {
  id: 'techforge',
  displayName: 'TechForge Innovate',
  docsVersion:
    'TFI Mintlify docs (overview, jobs-v2, jobs-get, generate-signed-path, auth-credits, provider projects) as read for PROVIDERS.md §2. Gaps: no openapi.json, renderer parameters and versions unexplained, no input limits, no price list, no upload/list/cancel endpoint.',
  defaultBaseUrl: 'https://api.techforgeinnovate.com',
  capabilities: ['audio_driven', 'image_input', 'templates'],
  modes: [
    {
      id: 'talking_video',
      label: 'Talking video from your audio',
      description: 'An image of the speaker lip-synced to your audio (job type ai_talking_video). Both files are sent as public URLs.',
      inputs: { script: 'unused', prompt: 'unused', avatar: 'required', audio: 'required', video: 'unused' },
    },
    {
      id: 'template',
      label: 'Template job',
      description: "Fills a TechForge template's fields (text, images, audio) and renders it. Name the fields that receive this row's image, audio and script.",
      inputs: { script: 'optional', prompt: 'unused', avatar: 'optional', audio: 'optional', video: 'unused' },
    },
  ],
  params: techforgeParams,
  limits: {},
  concurrencyDefault: 2,
  costUnit: 'credits',
  costRule: 'Credit based: TechForge publishes no price list. The credits a job used are shown once it is done.',
  typicalRenderSec: 120,
  pollCapSec: 60,
  // No upload endpoint: every input file is fetched from a public link.
  needsAssetHost: true,
  credentialFields: [{ key: 'apiKey', label: 'API key (TFI Studio → API access)', secret: true }],
  retryLostJobs: false,

  validate(input: ValidationInput): Issue[] {
    const params = input.params;
    const detailed = valuesIssues(params.values);
    const issues: Issue[] = paramIssues(techforgeParams, params).filter((i) => !(detailed.length > 0 && i.field.startsWith('param.values')));
    issues.push(...detailed);
    const template = techforgeIsTemplate(params);
    issues.push(...(template ? validateTemplate(input, params) : validateTalkingVideo(input, params)));
    issues.push(...checkAssetKind('avatar', input.avatar, 'image'), ...checkAssetKind('audio', input.audio, 'audio'));
    if (input.video) issues.push({ field: 'video', message: 'TechForge takes an image and an audio, not a video', accepted: 'an image (avatar) and an audio file' });
    return issues;
  },

  estimateCost(_input: ValidationInput): CostEstimate {
    return { amount: null, unit: 'credits', rule: 'unknown: TechForge is credit based and publishes no price list; the credits used are known after rendering' };
  },

  modeOf(input: ValidationInput): string {
    return techforgeIsTemplate(input.params) ? 'template' : 'talking_video';
  },
};
