import { z } from 'zod';
import { checkFileRef, estimateSpokenSeconds, paramIssues, type CostEstimate, type ProviderSpec, type ValidationInput } from '../provider-spec';
import type { Issue } from '../result';

/**
 * aisa.one: an OpenAI-compatible proxy of the OpenAI Videos API (Sora 2). Pure half (DESIGN.md rule 1).
 *
 * Follows: aisa's "OpenAI video" reference (only `POST /v1/videos` is documented there) and the official
 * OpenAI OpenAPI, Videos subset v2.3.0 (openai/openai-openapi f85dbe2, 2026-08-21, in
 * /work/shared/specs/openai-videos.openapi.yaml). Request enums are kept to that file's typed enums:
 * the 16/20 s clips and 1080p sizes the March 2026 changelog mentions are not in it (PROVIDERS.md §3.2
 * [CONFLICT]), and a request using them would not validate against the spec.
 */

export const AISA_RETIRED_ON = '2026-09-24';

/** The typed enum of VideoModel (the schema also allows any string; we offer only the documented ones). */
export const AISA_MODELS = ['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08'] as const;
export type AisaModel = (typeof AISA_MODELS)[number];
export const AISA_SECONDS = ['4', '8', '12'] as const;
export const AISA_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;
export type AisaSize = (typeof AISA_SIZES)[number];

/** sora-2 (and its snapshots) render only 720p: OpenAI skill reference + guide, PROVIDERS.md §3.2 "Constraints". */
export const SORA_2_SIZES: readonly AisaSize[] = ['1280x720', '720x1280'];

/** OpenAI model page, per second of output at 720p; aisa's markup is unknown (PROVIDERS.md §3.2 "Pricing"). */
export const AISA_USD_PER_SECOND = { 'sora-2': 0.1, 'sora-2-pro': 0.3 } as const;

export const AISA_PROMPT_MAX = 32_000;
export const AISA_IMAGE_FORMATS = ['jpg', 'jpeg', 'png', 'webp'] as const;

export const aisaParams = z.strictObject({
  model: z
    .enum(AISA_MODELS)
    .default('sora-2')
    .describe('Sora model: sora-2 (faster, 720p only) or sora-2-pro (higher quality, also 1024x1792 and 1792x1024); dated names pin a snapshot'),
  seconds: z.enum(AISA_SECONDS).default('4').describe('Clip length in seconds: 4, 8 or 12'),
  size: z
    .enum(AISA_SIZES)
    .default('720x1280')
    .describe('Video size, width x height: 720x1280 (portrait) or 1280x720 (landscape); 1024x1792 and 1792x1024 need sora-2-pro'),
});
export type AisaParams = z.output<typeof aisaParams>;

export function isProModel(model: string): boolean {
  return model === 'sora-2-pro' || model.startsWith('sora-2-pro-');
}

export function modelFamily(model: string): keyof typeof AISA_USD_PER_SECOND {
  return isProModel(model) ? 'sora-2-pro' : 'sora-2';
}

export function parseSize(size: string): { width: number; height: number } {
  const [w, h] = size.split('x').map(Number);
  return { width: w ?? 0, height: h ?? 0 };
}

/** Params with documented defaults applied, or undefined when they do not parse (validate reports why). */
export function aisaParamsOf(params: Readonly<Record<string, unknown>>): AisaParams | undefined {
  const res = aisaParams.safeParse(params);
  return res.success ? res.data : undefined;
}

/**
 * The prompt sent to Sora. Decision: the job's `prompt` describes the video; when the job also has a
 * `script`, it is appended as a "Dialogue:" block, the layout OpenAI's Sora 2 prompting guide uses for
 * spoken lines (Sora 2 renders speech with the picture). A job with only a script sends the script as
 * the prompt, unchanged. reconcile rebuilds the same text to find a job whose answer was lost.
 */
export function aisaPrompt(input: Readonly<{ prompt?: string; script?: string }>): string {
  const prompt = input.prompt?.trim() ?? '';
  const script = input.script?.trim() ?? '';
  if (prompt && script) return `${prompt}\n\nDialogue:\n${script}`;
  return prompt || script;
}

function validate(input: ValidationInput): Issue[] {
  const issues: Issue[] = [...paramIssues(aisaParams, input.params)];
  const params = aisaParamsOf(input.params);

  const text = aisaPrompt(input);
  // Counted as sent: multipart/form-data turns every line break into CRLF (WHATWG FormData serialization).
  const sentLength = text.replace(/\r?\n/g, '\r\n').length;
  if (!text) {
    issues.push({ field: 'prompt', message: 'aisa (Sora 2) needs a prompt describing the video', accepted: 'a prompt, a script, or both (the script becomes the spoken dialogue)' });
  } else if (sentLength > AISA_PROMPT_MAX) {
    const field = input.prompt?.trim() ? 'prompt' : 'script';
    issues.push({
      field,
      message: `The ${input.prompt?.trim() && input.script?.trim() ? 'prompt plus the script' : field} is ${sentLength.toLocaleString('en-US')} characters`,
      accepted: `at most ${AISA_PROMPT_MAX.toLocaleString('en-US')} characters in all`,
    });
  }

  if (params && !isProModel(params.model) && !SORA_2_SIZES.includes(params.size)) {
    issues.push({
      field: 'param.size',
      message: `${params.model} cannot render ${params.size}; only sora-2-pro offers 1024x1792 and 1792x1024`,
      accepted: `${SORA_2_SIZES.join(' or ')} with ${params.model}, or choose model sora-2-pro`,
    });
  }

  // The script is spoken only when a prompt describes the scene (see aisaPrompt); a line longer than the
  // clip would be cut off mid-sentence, which is money spent on an unusable video.
  if (params && input.prompt?.trim() && input.script?.trim()) {
    const spoken = estimateSpokenSeconds(input.script);
    if (spoken > Number(params.seconds)) {
      issues.push({
        field: 'script',
        message: `The script takes about ${spoken} s to say, longer than the ${params.seconds} s clip`,
        accepted: Number(params.seconds) < 12 ? 'a shorter script, or a longer clip (param seconds 8 or 12)' : 'a script of about 30 words or fewer (12 s is the longest clip)',
      });
    }
  }

  if (input.avatar) {
    issues.push(...checkFileRef('avatar', input.avatar, { formats: AISA_IMAGE_FORMATS, kinds: ['image'] }));
    if ('url' in input.avatar) {
      issues.push({
        field: 'avatar',
        message: 'aisa needs the reference image resized to the exact video size before upload, so the image must be a local file (its size cannot be checked at a URL)',
        accepted: 'a local .jpg, .png or .webp file',
      });
    } else if (input.avatar.asset.kind === 'image' && (!input.avatar.asset.width || !input.avatar.asset.height)) {
      issues.push({
        field: 'avatar',
        message: `The size of ${input.avatar.asset.name} could not be read, so it cannot be fitted to the video size`,
        accepted: 'a readable .jpg, .png or .webp image',
      });
    }
  }
  if (input.video) {
    issues.push({ field: 'video', message: 'aisa (Sora 2) does not take a source video', accepted: 'one reference image as the avatar, or none' });
  }
  if (input.audio) {
    issues.push({ field: 'audio', message: 'aisa (Sora 2) makes its own soundtrack and cannot use an audio file', accepted: 'no audio; put spoken lines in the script' });
  }
  return issues;
}

function estimateCost(input: ValidationInput): CostEstimate {
  const params = aisaParamsOf(input.params);
  if (!params) return { amount: null, unit: 'USD', rule: 'unknown until the parameters are valid' };
  const family = modelFamily(params.model);
  const rate = AISA_USD_PER_SECOND[family];
  const seconds = Number(params.seconds);
  const amount = Math.round(rate * seconds * 100) / 100;
  return {
    amount,
    unit: 'USD',
    rule: `${params.model}: $${rate.toFixed(2)} per second × ${seconds} s (OpenAI list price; aisa's markup is unknown)`,
  };
}

export const aisaSpec: ProviderSpec = {
  id: 'aisa',
  displayName: 'aisa.one (Sora 2)',
  docsVersion:
    'OpenAI Videos API, OpenAPI subset v2.3.0 (openai/openai-openapi f85dbe2, 2026-08-21) + aisa "OpenAI video" reference. Gaps: aisa documents only POST /videos (retrieve, list, content are assumed proxied), no aisa Sora price, 16/20 s and 1080p are not offered (not in the typed enums), no cancel.',
  defaultBaseUrl: 'https://api.aisa.one/v1',
  notice: `OpenAI retired the Sora 2 API and the sora-2 models on ${AISA_RETIRED_ON}. aisa.one only proxies that API, so generation may no longer work.`,
  // Off by default (docs/decisions/0004-aisa-off-by-default.md).
  enabledBy: {
    setting: 'aisaEnabled',
    whenOff: `aisa.one is turned off: OpenAI retired the Sora 2 API on ${AISA_RETIRED_ON}. Turn it on in Settings → Providers if your aisa account still renders videos.`,
  },
  capabilities: ['text_to_video', 'image_input', 'list_polling'],
  modes: [
    {
      id: 'text',
      label: 'Video from a prompt',
      description: 'Sora 2 invents the whole scene from the prompt; a script is added as the spoken dialogue (a script alone is used as the prompt).',
      inputs: { script: 'optional', prompt: 'optional', avatar: 'unused', audio: 'unused', video: 'unused' },
    },
    {
      id: 'image',
      label: 'Video from a prompt and a reference image',
      description: 'The avatar image is the first frame; it is resized and padded to the video size before upload.',
      inputs: { script: 'optional', prompt: 'optional', avatar: 'required', audio: 'unused', video: 'unused' },
    },
  ],
  params: aisaParams,
  limits: {
    promptMaxChars: AISA_PROMPT_MAX,
    scriptMaxChars: AISA_PROMPT_MAX,
    imageFormats: AISA_IMAGE_FORMATS,
  },
  // aisa caps its own video service at 3 concurrent tasks per key; whether /v1/videos shares it is [UNCONFIRMED].
  concurrencyDefault: 3,
  costUnit: 'USD',
  costRule: 'sora-2: $0.10 per second of video; sora-2-pro: $0.30 per second (OpenAI list price; aisa markup unknown)',
  typicalRenderSec: 120,
  // OpenAI's skill docs advise polling every 10–20 s.
  pollCapSec: 30,
  credentialFields: [{ key: 'apiKey', label: 'aisa API key (sk-aisa-…)', secret: true }],
  validate,
  estimateCost,
  modeOf: (input) => (input.avatar ? 'image' : 'text'),
};
