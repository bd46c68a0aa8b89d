import { z } from 'zod';
import type { AssetInfo } from '../model';
import { checkFileRef, estimateSpokenSeconds, paramIssues, refDurationSec, type ProviderSpec, type ResolvedRef, type ValidationInput } from '../provider-spec';
import { PROVIDER_NAMES } from '../providers';
import type { Issue } from '../result';

/**
 * The built-in local draft renderer: ffmpeg on this computer, no account, no network, no cost.
 * It makes a draft to check timing and scripts before paying for cloud renders: the avatar moves gently
 * (slow zoom and pan on an image, a looped video), the audio plays, the script appears as timed captions.
 * There is no lip-sync. The process half lives in electron/core/providers/local.ts.
 */

const IMAGE_FORMATS = ['png', 'jpg', 'jpeg', 'webp'] as const;
const VIDEO_FORMATS = ['mp4', 'mov', 'webm'] as const;
const AUDIO_FORMATS = ['wav', 'mp3', 'm4a', 'aac', 'ogg', 'flac'] as const;

export const LOCAL_ASPECT_RATIOS = ['9:16', '16:9', '1:1'] as const;
export type LocalAspectRatio = (typeof LOCAL_ASPECT_RATIOS)[number];
export const LOCAL_HEIGHTS = [480, 720, 1080] as const;
export type LocalHeight = (typeof LOCAL_HEIGHTS)[number];
/** `auto` burns captions into the picture when this computer's ffmpeg can, and adds a subtitle track otherwise. */
export const LOCAL_CAPTION_MODES = ['auto', 'burn', 'soft', 'off'] as const;
export type LocalCaptionMode = (typeof LOCAL_CAPTION_MODES)[number];

const SCRIPT_MAX_CHARS = 5000;
/** Drafts are for checking timing: ten minutes of audio is far more than any talking-head clip needs. */
const AUDIO_MAX_SEC = 600;

export const localParams = z.strictObject({
  aspect_ratio: z
    .enum(LOCAL_ASPECT_RATIOS)
    .default('9:16')
    .describe('Shape of the video: 9:16 vertical (Shorts, Reels, TikTok), 16:9 landscape (YouTube), 1:1 square'),
  height: z
    .literal(LOCAL_HEIGHTS)
    .default(720)
    .describe('Height of the video in pixels; the width follows from the shape. Lower renders faster'),
  captions: z
    .enum(LOCAL_CAPTION_MODES)
    .default('auto')
    .describe('Script captions: burned into the picture, as a subtitle track players can switch off, automatic (burned in when possible), or none'),
});
export type LocalParams = z.output<typeof localParams>;

/** Parsed params with their defaults; invalid params fall back to defaults (validate reports them). */
export function localParamsOf(params: Readonly<Record<string, unknown>>): LocalParams {
  const res = localParams.safeParse(params);
  return res.success ? res.data : localParams.parse({});
}

/** Output size in pixels: the requested height, the width from the aspect ratio, both even (H.264 yuv420p needs even sizes). */
export function localDimensions(aspect: LocalAspectRatio, height: number): Readonly<{ width: number; height: number }> {
  const [w, h] = aspect.split(':').map(Number) as [number, number];
  const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);
  return { width: even((height * w) / h), height: even(height) };
}

const mediaAccepted = `an image (${IMAGE_FORMATS.map((f) => `.${f}`).join(', ')}) or a video (${VIDEO_FORMATS.map((f) => `.${f}`).join(', ')}) on this computer`;
const audioAccepted = `an audio file on this computer (${AUDIO_FORMATS.map((f) => `.${f}`).join(', ')})`;

function offlineOnly(field: 'avatar' | 'audio', ref: ResolvedRef | undefined, accepted: string): Issue[] {
  if (!ref || !('url' in ref)) return [];
  return [{ field, message: `the local renderer works offline and cannot fetch ${ref.url}; download the file first`, accepted }];
}

function avatarIssues(ref: ResolvedRef | undefined): Issue[] {
  if (!ref) return [{ field: 'avatar', message: 'an avatar image or video is required', accepted: mediaAccepted }];
  if ('url' in ref) return offlineOnly('avatar', ref, mediaAccepted);
  const kind: AssetInfo['kind'] = ref.asset.kind;
  const formats = kind === 'video' ? VIDEO_FORMATS : IMAGE_FORMATS;
  return checkFileRef('avatar', ref, { formats, kinds: ['image', 'video'], maxBytes: kind === 'video' ? 2 * 1024 ** 3 : 50 * 1024 ** 2 });
}

function hasScript(input: ValidationInput): boolean {
  return (input.script ?? '').trim() !== '';
}

export const localSpec: ProviderSpec = {
  id: 'local',
  displayName: PROVIDER_NAMES.local,
  docsVersion:
    'No provider API: ffmpeg on this computer (built against @ffmpeg-installer/ffmpeg 1.1.0, ffmpeg N-47683 of 2018-12, and @ffprobe-installer/ffprobe 2.1.2). Gaps: no lip-sync; caption burn-in needs libass and fonts (falls back to a subtitle track).',
  defaultBaseUrl: 'local:',
  notice: 'Drafts only: no lip-sync. The avatar moves gently, your audio plays (or silence as long as the script would take to say), and the script appears as captions.',
  capabilities: ['offline', 'audio_driven', 'image_input', 'video_input', 'cancel'],
  modes: [
    {
      id: 'audio',
      label: 'Avatar + your audio',
      description: 'Your audio over the avatar; the script, if given, appears as captions timed over the audio.',
      inputs: { script: 'optional', prompt: 'unused', avatar: 'required', audio: 'required', video: 'unused' },
    },
    {
      id: 'script',
      label: 'Avatar + script (silent draft)',
      description: 'A silent draft as long as the script takes to say (about 150 words a minute), with the script as captions.',
      inputs: { script: 'required', prompt: 'unused', avatar: 'required', audio: 'unused', video: 'unused' },
    },
  ],
  params: localParams,
  limits: {
    scriptMaxChars: SCRIPT_MAX_CHARS,
    audioMaxSec: AUDIO_MAX_SEC,
    imageFormats: IMAGE_FORMATS,
    audioFormats: AUDIO_FORMATS,
    videoFormats: VIDEO_FORMATS,
  },
  // The adapter's describe() replaces this with the number of cores minus one (shared/ cannot read the CPU count).
  concurrencyDefault: 1,
  costUnit: 'USD',
  costRule: 'free: rendered on this computer',
  typicalRenderSec: 10,
  pollCapSec: 2,
  credentialFields: [],
  retryLostJobs: true,

  validate(input) {
    const issues: Issue[] = [...paramIssues(localParams, input.params)];
    issues.push(...avatarIssues(input.avatar));
    if (input.audio) {
      issues.push(...('url' in input.audio ? offlineOnly('audio', input.audio, audioAccepted) : checkFileRef('audio', input.audio, { formats: AUDIO_FORMATS, kinds: ['audio'], maxSec: AUDIO_MAX_SEC })));
    }
    if (!input.audio && !hasScript(input)) {
      issues.push({ field: 'script', message: 'give a script, an audio file, or both', accepted: `a script of up to ${SCRIPT_MAX_CHARS} characters and/or ${audioAccepted}` });
    }
    if (input.script !== undefined && input.script.length > SCRIPT_MAX_CHARS) {
      issues.push({ field: 'script', message: `the script has ${input.script.length} characters`, accepted: `at most ${SCRIPT_MAX_CHARS} characters` });
    }
    if (input.video) {
      issues.push({ field: 'video', message: 'the local renderer does not lip-sync a video', accepted: 'put a video avatar in the avatar column instead' });
    }
    return issues;
  },

  estimateCost() {
    return { amount: 0, unit: 'USD', rule: 'free: rendered on this computer' };
  },

  modeOf(input) {
    return input.audio ? 'audio' : 'script';
  },
};

/** Length of the draft: the audio's length, or how long the script takes to say. Null when not known yet (audio not probed). */
export function localDurationSec(input: ValidationInput): number | null {
  if (input.audio) return refDurationSec(input.audio) ?? null;
  const s = estimateSpokenSeconds(input.script ?? '');
  return s > 0 ? s : null;
}
