import { z } from 'zod';
import type { AssetKind } from '../model';
import {
  checkFileRef,
  estimateSpokenSeconds,
  paramIssues,
  refDurationSec,
  refExtension,
  type CostEstimate,
  type ProviderMode,
  type ProviderSpec,
  type ResolvedRef,
  type ValidationInput,
} from '../provider-spec';
import type { Issue } from '../result';

/**
 * Sync.so (sync. labs) lip-sync: the pure half (params, limits, validation, cost, modes).
 * Follows PROVIDERS.md §4: sync.so/docs api-reference snapshots (create/get/assets/segments/idempotency/
 * billing/media-formats/generation-times pages), npm @sync.so/sdk 0.2.3 (2025-08-21) and the docs-v2 OpenAPI.
 * Gaps: react-1 option names and prices, the image formats for sync-3 photos, and the 300 s audio cap are
 * [UNCONFIRMED]; see each constant below.
 */

export const SYNC_MODELS = ['sync-3', 'lipsync-2', 'lipsync-2-pro', 'lipsync-1.9.0-beta', 'react-1'] as const;
export type SyncModel = (typeof SYNC_MODELS)[number];

export const SYNC_SYNC_MODES = ['loop', 'bounce', 'cut_off', 'silence', 'remap'] as const;
/** react-1 only. Names from the Replicate/fal/WaveSpeed mirrors and sync.so/docs/models/react.md [UNCONFIRMED natively]. */
export const SYNC_REACT_MODES = ['lips', 'face', 'head'] as const;
export const SYNC_EMOTIONS = ['happy', 'sad', 'angry', 'disgusted', 'surprised', 'neutral'] as const;

/**
 * Generations allowed in PENDING or PROCESSING at once, per plan (sync.so rate-limits guide). Beyond it the
 * create answers 429 `concurrency_limit_reached`. Enterprise plans are custom. The default (3) is Creator.
 */
export const SYNC_PLAN_CONCURRENCY = { hobbyist: 1, creator: 3, growth: 6, scale: 15 } as const;

/** Output is billed per frame at 25 fps (billing page); the prices are per second at 25 fps. */
export const SYNC_BILLING_FPS = 25;

/**
 * USD per second of output, the upper end of each published range (billing page: lipsync-2 $0.04–0.05,
 * lipsync-2-pro $0.067–0.083, sync-3 $0.107–0.133). react-1 and lipsync-1.9.0-beta have no published price:
 * lipsync-2's rate is assumed.
 */
export const SYNC_RATES: Readonly<Record<SyncModel, Readonly<{ usdPerSec: number; assumed: boolean }>>> = {
  'sync-3': { usdPerSec: 0.133, assumed: false },
  'lipsync-2': { usdPerSec: 0.05, assumed: false },
  'lipsync-2-pro': { usdPerSec: 0.083, assumed: false },
  'lipsync-1.9.0-beta': { usdPerSec: 0.05, assumed: true },
  'react-1': { usdPerSec: 0.05, assumed: true },
};

/** Typical render time of a 30 s video (generation-times page), for the model picker. */
const MODEL_INFO: Readonly<Record<SyncModel, string>> = {
  'sync-3': 'Most capable; also animates a photo. About 10–15 min for 30 s.',
  'lipsync-2': 'Fast, natural lip-sync. About 1–3 min for 30 s.',
  'lipsync-2-pro': 'Higher detail (teeth, beards). About 2–5 min for 30 s.',
  'lipsync-1.9.0-beta': 'Older, fastest model. About 30–60 s for 30 s.',
  'react-1': 'Re-animates face and head with an emotion; inputs up to 15 s. About 1–2 min for 30 s.',
};

export const SYNC_MODEL_OPTIONS: readonly Readonly<{ value: SyncModel; label: string; detail: string }>[] = SYNC_MODELS.map((m) => ({
  value: m,
  label: m,
  detail: `${MODEL_INFO[m]} $${SYNC_RATES[m].usdPerSec}/s${SYNC_RATES[m].assumed ? ' (assumed)' : ''}.`,
}));

/** react-1 inputs are at most 15 s (generation-times page; fal mirror). */
export const SYNC_REACT_MAX_SEC = 15;
/** Old error docs: `generation_audio_length_exceeded` above 300 s. Current limit [UNCONFIRMED]. */
export const SYNC_AUDIO_MAX_SEC = 300;
/** Multipart parser limit per file (create-with-files); plans may allow less (422 file_size_exceeds_plan_limit). */
export const SYNC_MAX_FILE_BYTES = 5 * 1024 ** 3;

const VIDEO_FORMATS = ['mp4', 'mov', 'qt', 'webm', 'avi'] as const;
// media-formats-support page: wav/mp3/ogg/flac/alac/mp4-audio full, wma/m4a/m3a/aac limited.
const AUDIO_FORMATS = ['wav', 'mp3', 'ogg', 'flac', 'm4a', 'aac', 'alac', 'wma', 'm3a'] as const;
// sync-3 photo inputs: no format list is published [UNCONFIRMED]; the common web image types.
const IMAGE_FORMATS = ['jpg', 'jpeg', 'png', 'webp'] as const;

const segmentSchema = z.strictObject({
  startTime: z.number().min(0).describe('Where this part starts in the video, in seconds'),
  endTime: z.number().min(0).describe('Where this part ends in the video, in seconds'),
  audio: z.string().min(1).describe('Web address (http/https) of the audio to lip-sync in this part'),
  audioStartTime: z.number().min(0).optional().describe('Use the audio from this second (give the end too)'),
  audioEndTime: z.number().min(0).optional().describe('Use the audio up to this second (give the start too)'),
});

/** Typed here (ProviderSpec.params is the generic ZodObject) so the adapter reads parsed params without casts. */
export const syncParamsSchema = z.strictObject({
  model: z.enum(SYNC_MODELS).default('sync-3').describe('Sync.so model: sync-3 is the best (and the only one that animates a photo); lipsync-2 is faster and cheaper'),
  voice_id: z.string().min(1).optional().describe('ElevenLabs voice id that reads the script (needed when the row has a script instead of audio)'),
  sync_mode: z
    .enum(SYNC_SYNC_MODES)
    .optional()
    .describe('When audio and video lengths differ: loop or bounce the video, cut off the audio, pad with silence, or remap the video speed (Sync.so default: loop)'),
  temperature: z.number().min(0).max(1).default(0.5).describe('How expressive the mouth movement is, 0 (calm) to 1 (lively)'),
  active_speaker_detection: z.boolean().optional().describe('Find the person who is speaking automatically (videos with several faces)'),
  occlusion_detection_enabled: z.boolean().optional().describe('Handle hands or objects in front of the face (slower)'),
  model_mode: z.enum(SYNC_REACT_MODES).optional().describe('react-1 only: animate just the lips, the whole face, or face and head'),
  emotion: z.enum(SYNC_EMOTIONS).optional().describe('react-1 only: the emotion the face shows'),
  segments: z
    .array(segmentSchema)
    .optional()
    .describe('Lip-sync different audio clips onto parts of the video (each part with its own audio web address)'),
  upload_mode: z
    .enum(['multipart', 'assets'])
    .default('multipart')
    .describe('How local files reach Sync.so: sent with each job, or uploaded once to your Sync.so assets and reused across rows'),
});

export type SyncParams = z.output<typeof syncParamsSchema>;

const MODES: readonly ProviderMode[] = [
  {
    id: 'video_audio',
    label: 'Video + your audio',
    description: 'Re-syncs the lips of a video (video column, or a video in the avatar column) to your audio file.',
    inputs: { script: 'unused', prompt: 'unused', avatar: 'unused', audio: 'required', video: 'required' },
  },
  {
    id: 'video_script',
    label: 'Video + script (ElevenLabs voice)',
    description: 'Sync.so reads the script with an ElevenLabs voice (param voice_id) and re-syncs the video to it.',
    inputs: { script: 'required', prompt: 'unused', avatar: 'unused', audio: 'unused', video: 'required' },
  },
  {
    id: 'image_audio',
    label: 'Photo + your audio (sync-3)',
    description: 'Animates a photo (avatar column) to speak your audio file. sync-3 only.',
    inputs: { script: 'unused', prompt: 'unused', avatar: 'required', audio: 'required', video: 'unused' },
  },
  {
    id: 'image_script',
    label: 'Photo + script (sync-3)',
    description: 'Animates a photo (avatar column) to speak the script in an ElevenLabs voice. sync-3 only.',
    inputs: { script: 'required', prompt: 'unused', avatar: 'required', audio: 'unused', video: 'unused' },
  },
];

function refKind(ref: ResolvedRef): AssetKind | undefined {
  if ('asset' in ref) return ref.asset.kind;
  const ext = refExtension(ref);
  if ((IMAGE_FORMATS as readonly string[]).includes(ext)) return 'image';
  if ((VIDEO_FORMATS as readonly string[]).includes(ext)) return 'video';
  if ((AUDIO_FORMATS as readonly string[]).includes(ext)) return 'audio';
  return undefined;
}

/** The visual input Sync gets: the job's video, else the avatar (a video, or a photo for sync-3). */
export function syncVisualKind(input: Pick<ValidationInput, 'video' | 'avatar'>): 'video' | 'image' | undefined {
  if (input.video) return 'video';
  if (!input.avatar) return undefined;
  // An avatar URL without a known extension is sent as a video: Sync's usual input.
  return refKind(input.avatar) === 'image' ? 'image' : 'video';
}

function modelOf(p: Readonly<Record<string, unknown>>): SyncModel {
  const m = p.model;
  return typeof m === 'string' && (SYNC_MODELS as readonly string[]).includes(m) ? (m as SyncModel) : 'sync-3';
}

const isHttpUrl = (s: unknown): boolean => typeof s === 'string' && /^https?:\/\/\S+$/i.test(s);

/**
 * `outputFileName`: no extension, letters/digits/`_`/`-` only, at most 255 characters (create doc).
 * Accents are folded to ASCII so "Café" stays readable.
 */
export function syncOutputFileName(title: string): string {
  const folded = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const clean = folded
    .replace(/\.mp4$/i, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[_]+|[_]+$/g, '')
    .slice(0, 255)
    .replace(/_+$/, '');
  return clean || 'talkbatch';
}

/** Seconds of output the job is expected to produce, and where that number came from. */
export function syncDurationOf(input: ValidationInput): Readonly<{ sec: number; source: string }> | undefined {
  const p = input.params;
  const audioSec = refDurationSec(input.audio);
  const videoSec = refDurationSec(input.video ?? input.avatar);
  let base: { sec: number; source: string } | undefined;
  if (audioSec !== undefined) base = { sec: audioSec, source: 'audio length' };
  else if (input.script?.trim()) base = { sec: estimateSpokenSeconds(input.script), source: 'estimated spoken length of the script' };
  else if (Array.isArray(p.segments) && videoSec !== undefined) base = { sec: videoSec, source: 'video length' };
  if (!base) return undefined;
  // cut_off trims the audio to the video, so the output is never longer than the video.
  if (p.sync_mode === 'cut_off' && videoSec !== undefined && videoSec < base.sec) return { sec: videoSec, source: 'video length (cut_off)' };
  return base;
}

/** USD for `sec` seconds of output: frames at 25 fps × the per-second rate. */
export function syncCostFor(model: SyncModel, sec: number): number {
  const frames = Math.ceil(sec * SYNC_BILLING_FPS - 1e-9);
  return Math.round((frames / SYNC_BILLING_FPS) * SYNC_RATES[model].usdPerSec * 10_000) / 10_000;
}

function validate(input: ValidationInput): Issue[] {
  const p = input.params;
  const issues: Issue[] = [...paramIssues(syncParamsSchema, p)];
  const model = modelOf(p);
  const isReact = model === 'react-1';

  // Visual input: exactly one of video / avatar.
  if (input.video && input.avatar) {
    issues.push({ field: 'avatar', message: 'Both a video and an avatar were given; Sync.so takes one visual input', accepted: 'either a video or an avatar, not both' });
  }
  const visual = syncVisualKind(input);
  if (!visual) {
    issues.push({ field: 'video', message: 'Sync.so needs the speaker: no video or avatar was given', accepted: 'a video (mp4, mov, webm, avi), or an avatar photo with model sync-3' });
  }
  issues.push(
    ...checkFileRef('video', input.video, { kinds: ['video'], formats: VIDEO_FORMATS, maxBytes: SYNC_MAX_FILE_BYTES, ...(isReact ? { maxSec: SYNC_REACT_MAX_SEC } : {}) }),
  );
  if (input.avatar) {
    const kind = refKind(input.avatar);
    const formats = kind === 'image' ? IMAGE_FORMATS : VIDEO_FORMATS;
    issues.push(
      ...checkFileRef('avatar', input.avatar, {
        kinds: ['video', 'image'],
        ...(kind !== undefined ? { formats } : {}),
        maxBytes: SYNC_MAX_FILE_BYTES,
        ...(isReact ? { maxSec: SYNC_REACT_MAX_SEC } : {}),
      }),
    );
    if (!input.video && visual === 'image' && model !== 'sync-3') {
      issues.push({ field: 'avatar', message: `A photo can only be animated by sync-3, not ${model}`, accepted: 'param model sync-3, or a video of the speaker' });
    }
  }

  // Audio: a file/URL, or a script read by ElevenLabs; segments may bring all the audio instead.
  const segments = Array.isArray(p.segments) ? (p.segments as unknown[]) : [];
  const hasScript = Boolean(input.script?.trim());
  if (input.audio && hasScript) {
    issues.push({ field: 'script', message: 'Both an audio file and a script were given; Sync.so uses one', accepted: 'either audio or a script, not both' });
  }
  if (!input.audio && !hasScript && segments.length === 0) {
    issues.push({ field: 'audio', message: 'Sync.so needs something to lip-sync to: no audio, script or segments', accepted: 'an audio file (wav, mp3, …), or a script with param voice_id' });
  }
  issues.push(...checkFileRef('audio', input.audio, { kinds: ['audio'], formats: AUDIO_FORMATS, maxBytes: SYNC_MAX_FILE_BYTES, maxSec: isReact ? SYNC_REACT_MAX_SEC : SYNC_AUDIO_MAX_SEC }));
  if (hasScript && !input.audio && (typeof p.voice_id !== 'string' || p.voice_id.trim() === '')) {
    issues.push({ field: 'param.voice_id', message: 'A script needs an ElevenLabs voice to read it', accepted: 'an ElevenLabs voice id, e.g. 21m00Tcm4TlvDq8ikWAM' });
  }
  if (input.prompt?.trim()) {
    issues.push({ field: 'prompt', message: 'Sync.so does not use a prompt', accepted: 'no prompt; for react-1 set param emotion instead' });
  }

  if (!isReact) {
    for (const key of ['model_mode', 'emotion'] as const) {
      if (p[key] !== undefined) issues.push({ field: `param.${key}`, message: `${key} only works with react-1, not ${model}`, accepted: 'param model react-1, or leave it empty' });
    }
  }

  segments.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object') return;
    const s = raw as Record<string, unknown>;
    const f = `param.segments.${i}`;
    if (typeof s.startTime === 'number' && typeof s.endTime === 'number' && s.endTime <= s.startTime) {
      issues.push({ field: `${f}.endTime`, message: `Part ${i + 1} ends (${s.endTime} s) before it starts (${s.startTime} s)`, accepted: 'an end time after the start time' });
    }
    if (s.audio !== undefined && !isHttpUrl(s.audio)) {
      issues.push({ field: `${f}.audio`, message: `"${String(s.audio)}" is not a web address`, accepted: 'an http:// or https:// URL of an audio file' });
    }
    // Segments guide: when the audio is cropped, both its start and its end are required.
    const hasStart = s.audioStartTime !== undefined;
    const hasEnd = s.audioEndTime !== undefined;
    if (hasStart !== hasEnd) {
      issues.push({ field: `${f}.${hasStart ? 'audioEndTime' : 'audioStartTime'}`, message: `Part ${i + 1} crops its audio on one side only`, accepted: 'both audioStartTime and audioEndTime, or neither' });
    } else if (typeof s.audioStartTime === 'number' && typeof s.audioEndTime === 'number' && s.audioEndTime <= s.audioStartTime) {
      issues.push({ field: `${f}.audioEndTime`, message: `Part ${i + 1}'s audio ends before it starts`, accepted: 'audioEndTime after audioStartTime' });
    }
  });
  return issues;
}

function estimateCost(input: ValidationInput): CostEstimate {
  const model = modelOf(input.params);
  const rate = SYNC_RATES[model];
  const priceWords = `${model}: $${rate.usdPerSec} per second${rate.assumed ? " (assumed: lipsync-2's rate, Sync.so publishes none for this model)" : ''}, billed per frame at ${SYNC_BILLING_FPS} fps`;
  const d = syncDurationOf(input);
  if (!d) return { amount: null, unit: 'USD', rule: `${priceWords}; length unknown until the audio is measured` };
  return { amount: syncCostFor(model, d.sec), unit: 'USD', rule: `${priceWords} × ${d.sec.toFixed(1)} s (${d.source})` };
}

function modeOf(input: ValidationInput): string {
  const visual = !input.video && syncVisualKind(input) === 'image' ? 'image' : 'video';
  const audio = !input.audio && input.script?.trim() ? 'script' : 'audio';
  return `${visual}_${audio}`;
}

export const syncSpec: ProviderSpec = {
  id: 'sync',
  displayName: 'Sync.so',
  docsVersion:
    'sync.so/docs api-reference (2025–2026 snapshots), @sync.so/sdk 0.2.3 (2025-08-21), docs-v2 OpenAPI. Unconfirmed: react-1 option names and price, list path/shape, cancel endpoint, audio length cap, output URL lifetime.',
  defaultBaseUrl: 'https://api.sync.so',
  capabilities: ['lipsync', 'tts', 'audio_driven', 'video_input', 'image_input', 'cancel', 'list_polling', 'idempotency'],
  modes: MODES,
  params: syncParamsSchema,
  limits: {
    audioMaxSec: SYNC_AUDIO_MAX_SEC,
    imageMaxBytes: SYNC_MAX_FILE_BYTES,
    audioMaxBytes: SYNC_MAX_FILE_BYTES,
    videoMaxBytes: SYNC_MAX_FILE_BYTES,
    imageFormats: IMAGE_FORMATS,
    audioFormats: AUDIO_FORMATS,
    videoFormats: VIDEO_FORMATS,
  },
  concurrencyDefault: SYNC_PLAN_CONCURRENCY.creator,
  costUnit: 'USD',
  costRule:
    "Per second of output (billed per frame at 25 fps, upper published rate): sync-3 $0.133, lipsync-2-pro $0.083, lipsync-2 $0.05; react-1 and lipsync-1.9.0-beta assumed at lipsync-2's $0.05. Length = audio length, else the script's estimated spoken length.",
  typicalRenderSec: 150,
  pollCapSec: 30,
  credentialFields: [{ key: 'apiKey', label: 'API key', secret: true }],
  retryLostJobs: false,
  validate,
  estimateCost,
  modeOf,
};
