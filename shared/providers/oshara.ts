import { z } from 'zod';
import { checkFileRef, paramIssues } from '../provider-spec';
import type { CostEstimate, ProviderMode, ProviderSpec, ResolvedRef, ValidationInput } from '../provider-spec';
import type { Issue } from '../result';

/**
 * Oshara, the pure half. Follows the Oshara docs as copied 2025-06 (blog.oshara.ai/docs/video-rendering/jobs
 * and /overview, docs.oshara.ai/docs/api-reference/authentication and /api-keys; PROVIDERS.md §1, seed 000).
 * Known gaps: no published prices, limits, voices endpoint, error format or list pagination shape.
 */

export const OSHARA_IMAGE_FORMATS = ['jpg', 'jpeg', 'png'] as const;
// The jobs page names WAV and MP3 for reference_audio; video-only's example uploads an .mp3. Other audio
// formats are [UNCONFIRMED], so only these two are offered for both modes.
export const OSHARA_AUDIO_FORMATS = ['wav', 'mp3'] as const;

export type OsharaMode = 'tts' | 'video_only';

/**
 * Mode rule (kept unambiguous on purpose): a script means TTS (`POST /video-jobs/`), and the audio input, if
 * any, is then the voice sample to clone; audio without a script means video-only (`POST /video-only/`).
 * Works on a JobInput as well as on a ValidationInput: it looks only at whether the inputs are present.
 */
export function osharaModeOf(input: Readonly<{ script?: string | undefined; audio?: unknown }>): OsharaMode {
  if (input.script !== undefined && input.script.trim() !== '') return 'tts';
  return input.audio !== undefined ? 'video_only' : 'tts';
}

export const osharaParams = z.strictObject({
  reference_voice: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Saved Oshara voice to speak the script (its id). Use this or a voice sample in the audio column, not both.'),
  processing_params: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Advanced renderer settings, passed to Oshara unchanged (script jobs only). Leave empty unless Oshara support told you what to put here.'),
});

const modes: readonly ProviderMode[] = [
  {
    id: 'tts',
    label: 'Script to video',
    description:
      'Oshara speaks your script with a cloned or saved voice and animates the portrait. Give a voice sample (WAV or MP3, 10–30 s of clean speech) as audio, or a saved voice id.',
    inputs: { script: 'required', prompt: 'unused', avatar: 'required', audio: 'optional', video: 'unused' },
  },
  {
    id: 'video_only',
    label: 'Video from your own audio',
    description: 'Oshara lip-syncs the portrait to your narration file. No script, no text-to-speech.',
    inputs: { script: 'unused', prompt: 'unused', avatar: 'required', audio: 'required', video: 'unused' },
  },
];

function localFileOnly(field: 'avatar' | 'audio', ref: ResolvedRef | undefined, accepted: string): Issue[] {
  if (!ref || !('url' in ref)) return [];
  return [{ field, message: `Oshara takes uploaded files only, not links (${ref.url})`, accepted: `a local file: ${accepted}` }];
}

function validate(input: ValidationInput): Issue[] {
  const issues: Issue[] = [...paramIssues(osharaParams, input.params)];
  const parsed = osharaParams.safeParse(input.params);
  const p = parsed.success ? parsed.data : {};
  const mode = osharaModeOf(input);
  const imageWords = 'a JPG or PNG portrait with a clear face';
  const audioWords = 'a WAV or MP3 file';

  if (input.title.trim() === '') issues.push({ field: 'title', message: 'Oshara needs a title for every job', accepted: 'any non-empty text' });

  if (!input.avatar) issues.push({ field: 'avatar', message: 'Oshara needs a portrait to animate', accepted: imageWords });
  else if ('url' in input.avatar) issues.push(...localFileOnly('avatar', input.avatar, imageWords));
  else issues.push(...checkFileRef('avatar', input.avatar, { formats: OSHARA_IMAGE_FORMATS, kinds: ['image'] }));

  if (input.audio && 'url' in input.audio) issues.push(...localFileOnly('audio', input.audio, audioWords));
  else issues.push(...checkFileRef('audio', input.audio, { formats: OSHARA_AUDIO_FORMATS, kinds: ['audio'] }));

  if (input.video) issues.push({ field: 'video', message: 'Oshara animates a still portrait; it does not take a video input', accepted: 'no video (use avatar)' });
  if (input.prompt !== undefined && input.prompt.trim() !== '') {
    issues.push({ field: 'prompt', message: 'Oshara does not use a prompt', accepted: 'a script (spoken text) instead' });
  }

  if (mode === 'tts') {
    if (input.script === undefined || input.script.trim() === '') {
      issues.push({ field: 'script', message: 'Oshara needs a script to speak, or an audio file to lip-sync to', accepted: 'the text to speak, or audio without a script' });
    }
    const hasSample = input.audio !== undefined;
    const hasSaved = p.reference_voice !== undefined;
    if (hasSample && hasSaved) {
      issues.push({
        field: 'param.reference_voice',
        message: 'Both a voice sample (audio) and a saved voice are given; Oshara takes one voice',
        accepted: 'either a voice sample as audio or a saved voice id, not both',
      });
    } else if (!hasSample && !hasSaved) {
      issues.push({
        field: 'audio',
        message: 'No voice for the script',
        accepted: 'a voice sample as audio (WAV or MP3, 10–30 s of clean speech) or a saved voice id in reference_voice',
      });
    }
  } else {
    if (p.reference_voice !== undefined) {
      issues.push({
        field: 'param.reference_voice',
        message: 'A saved voice is only used to speak a script; this row lip-syncs to its audio file',
        accepted: 'no reference_voice, or add a script (the audio file then becomes the voice sample)',
      });
    }
    if (p.processing_params !== undefined) {
      // The video-only example in the seed doc sends only title, avatar and audio.
      issues.push({
        field: 'param.processing_params',
        message: 'Oshara documents processing_params for script jobs only',
        accepted: 'no processing_params when lip-syncing to your own audio',
      });
    }
  }
  return issues;
}

function estimateCost(_input: ValidationInput): CostEstimate {
  return { amount: null, unit: 'USD', rule: 'Oshara publishes no prices; the cost depends on your Oshara plan' };
}

export const osharaSpec: ProviderSpec = {
  id: 'oshara',
  displayName: 'Oshara',
  docsVersion:
    'Oshara docs copied 2025-06 (video-rendering jobs + overview, API reference authentication + api-keys). Gaps: no prices, limits, voices endpoint, error format or list pagination shape published; the job-fields table was cut off.',
  defaultBaseUrl: 'https://api.oshara.ai/api',
  capabilities: ['tts', 'voice_clone', 'audio_driven', 'lipsync', 'image_input', 'list_polling'],
  modes,
  params: osharaParams,
  limits: {
    imageFormats: OSHARA_IMAGE_FORMATS,
    audioFormats: OSHARA_AUDIO_FORMATS,
  },
  // "Concurrent job limits depend on your plan" (overview); no numbers are published.
  concurrencyDefault: 2,
  costUnit: 'USD',
  costRule: 'Oshara publishes no prices: cost unknown (depends on your plan)',
  typicalRenderSec: 180,
  pollCapSec: 60,
  credentialFields: [
    { key: 'apiKey', label: 'API key (sk_…)', secret: true, optional: true },
    { key: 'token', label: 'Access token (JWT, lasts 10 days)', secret: true, optional: true },
    { key: 'email', label: 'Account email (to sign in)', secret: false, optional: true },
    { key: 'password', label: 'Account password (to sign in)', secret: true, optional: true },
  ],
  validate,
  estimateCost,
  modeOf: (input) => osharaModeOf(input),
};

