import { z } from 'zod';
import { checkFileRef, estimateSpokenSeconds, paramIssues, refDurationSec, refExtension } from '../provider-spec';
import type { CostEstimate, ProviderMode, ProviderSpec, ResolvedRef, ValidationInput } from '../provider-spec';
import type { Issue } from '../result';

/**
 * Creatify, the pure half. Follows docs.creatify.ai (Mintlify, OpenAPI 3.0.3 fragments) as summarised in
 * PROVIDERS.md §5, plus the May 2026 changelog (per-second Aurora billing).
 * Known gaps: the Aurora v2 resolution field name, the custom-template `variables` value shape and the
 * template/aurora list endpoints are [UNCONFIRMED]; v2 multi-scene lipsyncs (/api/lipsyncs_v2/) are not offered.
 */

export const CREATIFY_PRODUCTS = ['aurora', 'lipsync', 'template'] as const;
export type CreatifyProduct = (typeof CREATIFY_PRODUCTS)[number];

const AURORA_MODELS = ['aurora_v1', 'aurora_v1_fast', 'aurora_v2'] as const;
// lipsyncs and custom_template_jobs document only these three (no aurora_v2 there).
const AVATAR_MODELS = ['standard', 'aurora_v1', 'aurora_v1_fast'] as const;
const RESOLUTIONS = ['480p', '720p', '1080p', '2k'] as const;
type Resolution = (typeof RESOLUTIONS)[number];

const IMAGE_FORMATS = ['png', 'jpg', 'jpeg', 'webp'] as const;
const AUDIO_FORMATS = ['mp3', 'wav'] as const;

/** Aurora model pages: v1 and v1_fast take up to 5 min of audio. */
const AURORA_V1_MAX_AUDIO_SEC = 300;
/**
 * Aurora v2 model page: 59.7 s, and only 14.375 s at 2k. [CONFLICT] the older field text says "audio 60 seconds
 * max"; the stricter model-page numbers are enforced so a row never fails after upload.
 */
const AURORA_V2_MAX_AUDIO_SEC = 59.7;
const AURORA_V2_2K_MAX_AUDIO_SEC = 14.375;

/** Credits per second of audio (Aurora model pages; May 2026 changelog for v1/v1_fast). */
const AURORA_RATE: Readonly<Record<'aurora_v1' | 'aurora_v1_fast', number>> = { aurora_v1: 1, aurora_v1_fast: 0.5 };
const AURORA_V2_RATE: Readonly<Record<Resolution, number>> = { '480p': 0.4, '720p': 0.7, '1080p': 1.4, '2k': 2.8 };

const optionalText = (describe: string) => z.string().trim().min(1).describe(describe).optional();

export const creatifyParams = z.strictObject({
  product: z
    .enum(CREATIFY_PRODUCTS)
    .default('aurora')
    .describe('Which Creatify product renders the video: Aurora (animate a photo with your audio), AI avatar (a stock or custom avatar speaks your script or audio) or custom template (preview first, render after you approve)'),
  model_version: z
    .enum(['standard', ...AURORA_MODELS])
    .describe('Model. Aurora: aurora_v1 (default), aurora_v1_fast (cheaper, lower resolution) or aurora_v2. AI avatar and templates: standard (default), aurora_v1 or aurora_v1_fast')
    .optional(),
  resolution: z
    .enum(RESOLUTIONS)
    // [UNCONFIRMED] the docs list the resolutions but not the request field's name; `resolution` is the likely one.
    .describe('Aurora v2 only: output resolution (default 720p). 2k accepts at most 14.4 s of audio')
    .optional(),
  prompt_guidance_scale: z.number().min(0).describe('Aurora only: how strongly the prompt steers the motion').optional(),
  ttl_days: z.number().int().min(1).describe('Aurora only: how many days Creatify keeps the video (at least 7 by default)').optional(),
  aspect_ratio: z
    .enum(['16x9', '1x1', '9x16'])
    .describe('AI avatar only, required: video shape, 16x9 (landscape), 1x1 (square) or 9x16 (portrait). Write 1x1, not 1:1')
    .optional(),
  creator: optionalText('AI avatar only: the avatar (persona) who speaks; pick one from the Creatify avatar list'),
  accent: optionalText('AI avatar only: the voice and accent that reads the script; pick one from the Creatify voice list'),
  green_screen: z.boolean().describe('AI avatar only: render the avatar on a green background').optional(),
  transparent_background: z.boolean().describe('AI avatar only: render the avatar on a transparent background').optional(),
  no_caption: z.boolean().describe('AI avatar only: leave out the burned-in captions').optional(),
  no_music: z.boolean().describe('AI avatar only: leave out the background music').optional(),
  caption_style: optionalText('AI avatar only: caption style, e.g. normal-black'),
  caption_offset_x: z.number().min(-0.5).max(0.5).describe('AI avatar only: caption position left/right of centre, -0.5 to 0.5').optional(),
  caption_offset_y: z.number().min(-0.5).max(0.5).describe('AI avatar only: caption position above/below centre, -0.5 to 0.5').optional(),
  background_asset_image_url: z.url().max(1024).describe('AI avatar only: link to a background image').optional(),
  template_id: optionalText('Custom template only, required: the template to fill; pick one from your Creatify templates'),
  variables: z
    .record(z.string(), z.unknown())
    .describe('Custom template only: values for the template variables, by variable name')
    .optional(),
  script_variable: optionalText('Custom template only: name of the template variable that receives the row script'),
  avatar_variable: optionalText('Custom template only: name of the template variable that receives the row image (as a link)'),
  audio_variable: optionalText('Custom template only: name of the template variable that receives the row audio (as a link)'),
  video_variable: optionalText('Custom template only: name of the template variable that receives the row video (as a link)'),
  is_hidden: z.boolean().describe('Custom template only: hide the job from your Creatify projects page').optional(),
  webhook_url: z.url().max(200).describe('Optional: a link Creatify calls when the video is done or failed (at most 200 characters)').optional(),
});
export type CreatifyParams = z.output<typeof creatifyParams>;

type ParamName = keyof z.input<typeof creatifyParams>;
/** The parameters each product takes (validation flags the others; the adapter sends these). */
export const PARAMS_OF: Readonly<Record<CreatifyProduct, readonly ParamName[]>> = {
  aurora: ['resolution', 'prompt_guidance_scale', 'ttl_days'],
  lipsync: [
    'aspect_ratio',
    'creator',
    'accent',
    'green_screen',
    'transparent_background',
    'no_caption',
    'no_music',
    'caption_style',
    'caption_offset_x',
    'caption_offset_y',
    'background_asset_image_url',
  ],
  template: ['template_id', 'variables', 'script_variable', 'avatar_variable', 'audio_variable', 'video_variable', 'is_hidden'],
};
const PRODUCT_LABEL: Readonly<Record<CreatifyProduct, string>> = { aurora: 'Aurora', lipsync: 'AI avatar', template: 'custom template' };

const MODES: readonly ProviderMode[] = [
  {
    id: 'aurora',
    label: 'Aurora: photo + audio',
    description: 'Animates your photo so it speaks your audio (mp3 or wav). An optional prompt guides the motion.',
    inputs: { script: 'unused', prompt: 'optional', avatar: 'required', audio: 'required', video: 'unused' },
  },
  {
    id: 'lipsync',
    label: 'AI avatar: script or audio',
    description: 'A Creatify avatar (persona) speaks your script with the chosen voice, or lip-syncs your audio. Audio wins when both are given.',
    inputs: { script: 'optional', prompt: 'unused', avatar: 'unused', audio: 'optional', video: 'unused' },
  },
  {
    id: 'template',
    label: 'Custom template (preview, then render)',
    description: 'Fills one of your Creatify templates. You see a preview first; the full video is rendered only after you approve it.',
    inputs: { script: 'optional', prompt: 'unused', avatar: 'optional', audio: 'optional', video: 'optional' },
  },
];

/** Reads the product even from params that fail the schema (for validation messages and cost). */
export function creatifyProductOf(params: Readonly<Record<string, unknown>>): CreatifyProduct {
  const p = params.product;
  return typeof p === 'string' && (CREATIFY_PRODUCTS as readonly string[]).includes(p) ? (p as CreatifyProduct) : 'aurora';
}

/** The model a job uses once the product's documented default is applied. */
export function creatifyModelOf(product: CreatifyProduct, params: Readonly<Record<string, unknown>>): string {
  const m = params.model_version;
  if (typeof m === 'string' && m) return m;
  return product === 'aurora' ? 'aurora_v1' : 'standard';
}

function resolutionOf(params: Readonly<Record<string, unknown>>): Resolution {
  const r = params.resolution;
  return typeof r === 'string' && (RESOLUTIONS as readonly string[]).includes(r) ? (r as Resolution) : '720p';
}

/** Longest audio Creatify accepts for an Aurora model (and resolution). */
export function auroraAudioMaxSec(model: string, resolution: string | undefined): number {
  if (model === 'aurora_v2') return resolution === '2k' ? AURORA_V2_2K_MAX_AUDIO_SEC : AURORA_V2_MAX_AUDIO_SEC;
  return AURORA_V1_MAX_AUDIO_SEC;
}

function urlFormatIssue(field: 'avatar' | 'audio', ref: ResolvedRef | undefined, formats: readonly string[]): Issue[] {
  // Links without an extension (signed URLs, CDNs) are let through; a link naming another format is not.
  if (!ref || !('url' in ref)) return [];
  const ext = refExtension(ref);
  if (!ext || formats.includes(ext)) return [];
  return [{ field, message: `${ref.url} is a .${ext} file`, accepted: formats.map((f) => `.${f}`).join(', ') }];
}

function validate(input: ValidationInput): Issue[] {
  const params = input.params;
  const issues: Issue[] = paramIssues(creatifyParams, params);
  const product = creatifyProductOf(params);
  const model = creatifyModelOf(product, params);
  const label = PRODUCT_LABEL[product];

  for (const other of CREATIFY_PRODUCTS) {
    if (other === product) continue;
    for (const name of PARAMS_OF[other]) {
      if (params[name] !== undefined) {
        issues.push({ field: `param.${name}`, message: `${name} belongs to the ${PRODUCT_LABEL[other]} product, not ${label}`, accepted: `leave it out, or set product to ${other}` });
      }
    }
  }

  if (product === 'aurora') {
    if (params.model_version !== undefined && !(AURORA_MODELS as readonly string[]).includes(model)) {
      issues.push({ field: 'param.model_version', message: `Aurora has no "${model}" model`, accepted: AURORA_MODELS.join(', ') });
    }
    if (params.resolution !== undefined && model !== 'aurora_v2') {
      issues.push({ field: 'param.resolution', message: `resolution only applies to aurora_v2 (this row uses ${model})`, accepted: 'leave it out, or set model_version to aurora_v2' });
    }
    if (!input.avatar) issues.push({ field: 'avatar', message: 'Aurora needs a photo to animate', accepted: 'a .png, .jpg, .jpeg or .webp file or link' });
    if (!input.audio) issues.push({ field: 'audio', message: 'Aurora needs the audio the photo speaks', accepted: 'an .mp3 or .wav file or link (Aurora does not read a script aloud)' });
    if (input.script?.trim()) {
      issues.push({ field: 'script', message: 'Aurora does not read a script aloud; it only animates the audio', accepted: 'no script, or product lipsync to have a voice read it' });
    }
    if (input.video) issues.push({ field: 'video', message: 'Aurora does not take a video', accepted: 'a photo and an audio file' });
    const maxSec = auroraAudioMaxSec(model, model === 'aurora_v2' ? resolutionOf(params) : undefined);
    issues.push(...checkFileRef('avatar', input.avatar, { formats: IMAGE_FORMATS, kinds: ['image'] }));
    issues.push(...urlFormatIssue('avatar', input.avatar, IMAGE_FORMATS));
    issues.push(...checkFileRef('audio', input.audio, { formats: AUDIO_FORMATS, maxSec, kinds: ['audio'] }));
    issues.push(...urlFormatIssue('audio', input.audio, AUDIO_FORMATS));
  } else {
    if (params.model_version !== undefined && !(AVATAR_MODELS as readonly string[]).includes(model)) {
      issues.push({ field: 'param.model_version', message: `${label} jobs have no "${model}" model`, accepted: AVATAR_MODELS.join(', ') });
    }
    if (input.prompt?.trim()) issues.push({ field: 'prompt', message: `${label} jobs take no prompt`, accepted: 'no prompt (prompts apply to Aurora only)' });
  }

  if (product === 'lipsync') {
    if (params.aspect_ratio === undefined) {
      issues.push({ field: 'param.aspect_ratio', message: 'AI avatar jobs need an aspect ratio', accepted: '16x9, 1x1, 9x16' });
    }
    if (!input.script?.trim() && !input.audio) {
      issues.push({ field: 'script', message: 'AI avatar jobs need a script to read or an audio file to lip-sync', accepted: 'a script, or an audio file or link' });
    }
    if (input.avatar) issues.push({ field: 'avatar', message: 'AI avatar jobs use a Creatify avatar, not your image', accepted: 'no image; choose the avatar with param.creator (or use product aurora for your own photo)' });
    if (input.video) issues.push({ field: 'video', message: 'AI avatar jobs do not take a video', accepted: 'a script or an audio file' });
    issues.push(...checkFileRef('audio', input.audio, { kinds: ['audio'] }));
  }

  if (product === 'template') {
    if (params.template_id === undefined) {
      issues.push({ field: 'param.template_id', message: 'custom template jobs need a template', accepted: 'a template id from your Creatify templates' });
    }
    const routed: ReadonlyArray<readonly ['script' | 'avatar' | 'audio' | 'video', ParamName, boolean]> = [
      ['script', 'script_variable', Boolean(input.script?.trim())],
      ['avatar', 'avatar_variable', Boolean(input.avatar)],
      ['audio', 'audio_variable', Boolean(input.audio)],
      ['video', 'video_variable', Boolean(input.video)],
    ];
    for (const [field, param, given] of routed) {
      if (given && params[param] === undefined) {
        issues.push({ field, message: `the template does not know where to put the row ${field}`, accepted: `set param.${param} to the template variable that receives it, or leave the ${field} out` });
      }
      if (!given && params[param] !== undefined) {
        issues.push({ field: `param.${param}`, message: `${param} is set but the row has no ${field}`, accepted: `a ${field} in the row, or leave ${param} out` });
      }
    }
    issues.push(...checkFileRef('avatar', input.avatar, { kinds: ['image'] }));
    issues.push(...checkFileRef('audio', input.audio, { kinds: ['audio'] }));
    issues.push(...checkFileRef('video', input.video, { kinds: ['video'] }));
  }
  return issues;
}

/** Length the credits are charged on: the audio when its length is known, else the spoken script. */
function billedSeconds(input: ValidationInput): Readonly<{ sec: number; from: string }> | undefined {
  const audioSec = refDurationSec(input.audio);
  if (audioSec !== undefined && audioSec > 0) return { sec: audioSec, from: 'audio' };
  const script = input.script?.trim();
  if (script) {
    const sec = estimateSpokenSeconds(script);
    if (sec > 0) return { sec, from: 'estimated spoken length of the script' };
  }
  return undefined;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function perSecondRate(model: string, params: Readonly<Record<string, unknown>>): Readonly<{ rate: number; label: string }> | undefined {
  if (model === 'aurora_v2') {
    const res = resolutionOf(params);
    return { rate: AURORA_V2_RATE[res], label: `aurora_v2 ${res}` };
  }
  if (model === 'aurora_v1' || model === 'aurora_v1_fast') return { rate: AURORA_RATE[model], label: model };
  return undefined;
}

function estimateCost(input: ValidationInput): CostEstimate {
  const params = input.params;
  const product = creatifyProductOf(params);
  const model = creatifyModelOf(product, params);
  const d = billedSeconds(input);
  if (!d) {
    const what = product === 'aurora' ? 'the audio length' : 'the script or audio length';
    return { amount: null, unit: 'credits', rule: `unknown until ${what} is known (${PRODUCT_LABEL[product]}, ${model})` };
  }
  const secs = Math.ceil(d.sec);
  const blocks = Math.ceil(d.sec / 30);
  const perSec = perSecondRate(model, params);
  const length = `${secs} s (${d.from}, rounded up)`;

  if (product === 'aurora') {
    // Aurora model pages: billed per second of audio, partial seconds rounded up.
    const r = perSec ?? { rate: AURORA_RATE.aurora_v1, label: 'aurora_v1' };
    return { amount: round2(r.rate * secs), unit: 'credits', rule: `${r.label}: ${r.rate} credits per second × ${length}` };
  }
  if (product === 'lipsync') {
    if (perSec) {
      // [CONFLICT] the field text says 20 credits/15 s (aurora_v1) and 10/15 s (fast); the May 2026 changelog moved
      // Aurora models to per-second billing across products, which is what is estimated here.
      return { amount: round2(perSec.rate * secs), unit: 'credits', rule: `AI avatar, ${perSec.label}: ${perSec.rate} credits per second × ${length} (per-second Aurora billing, May 2026 changelog)` };
    }
    return { amount: 5 * blocks, unit: 'credits', rule: `AI avatar, standard: 5 credits per started 30 s × ${blocks} (${d.sec.toFixed(1)} s, ${d.from})` };
  }
  // Templates: the preview costs 1 credit per 30 s; the render after approval 4 credits per 30 s (standard).
  const preview = blocks;
  if (perSec) {
    return {
      amount: round2(preview + perSec.rate * secs),
      unit: 'credits',
      rule: `custom template, ${perSec.label}: preview 1 credit per started 30 s × ${blocks} + render ${perSec.rate} credits per second × ${length} (per-second Aurora billing, May 2026 changelog)`,
    };
  }
  return {
    amount: preview + 4 * blocks,
    unit: 'credits',
    rule: `custom template, standard: preview 1 + render 4 credits per started 30 s × ${blocks} (${d.sec.toFixed(1)} s, ${d.from})`,
  };
}

export const creatifySpec: ProviderSpec = {
  id: 'creatify',
  displayName: 'Creatify',
  docsVersion:
    'docs.creatify.ai API reference (OpenAPI 3.0.3 fragments) and changelog as of May 2026. Gaps: Aurora v2 resolution field name, custom-template variable value shape, Aurora/template list endpoints and error body format are unconfirmed; no cancel; AI avatar v2 (multi-scene) not offered.',
  defaultBaseUrl: 'https://api.creatify.ai',
  // Not 'list_polling': only AI avatar (lipsync) jobs have a documented list, while the default product
  // (aurora) and templates are read one GET per job. Batching them made one rate-limit slot cover up to
  // 50 requests (measured by bench/: 112–144 GETs/min against a 60/min budget).
  capabilities: ['tts', 'audio_driven', 'image_input', 'video_input', 'templates', 'preview_approval'],
  modes: MODES,
  params: creatifyParams,
  limits: {
    audioMaxSec: AURORA_V1_MAX_AUDIO_SEC,
    imageFormats: IMAGE_FORMATS,
    audioFormats: AUDIO_FORMATS,
  },
  concurrencyDefault: 3,
  costUnit: 'credits',
  costRule:
    'Aurora: per second of audio, rounded up (aurora_v1 1, aurora_v1_fast 0.5, aurora_v2 0.4/0.7/1.4/2.8 by resolution). AI avatar standard: 5 credits per started 30 s. Custom templates standard: preview 1 + render 4 credits per started 30 s. Aurora models in AI avatar and templates: per second like Aurora. The finished job reports the real charge.',
  typicalRenderSec: 180,
  pollCapSec: 60,
  // No upload endpoint: every input file is fetched from a public link.
  needsAssetHost: true,
  credentialFields: [
    { key: 'apiId', label: 'API ID', secret: false },
    { key: 'apiKey', label: 'API key', secret: true },
  ],
  validate,
  estimateCost,
  modeOf: (input) => creatifyProductOf(input.params),
};
