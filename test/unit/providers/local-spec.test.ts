import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssetInfo } from '../../../shared/model';
import type { ResolvedRef, ValidationInput } from '../../../shared/provider-spec';
import { localDimensions, localDurationSec, localParamsOf, localSpec } from '../../../shared/providers/local';

function asset(name: string, kind: AssetInfo['kind'], extra: Partial<AssetInfo> = {}): ResolvedRef {
  return { asset: { id: `id-${name}`, name, mime: 'application/octet-stream', kind, size: 1000, ...extra } };
}

const avatar = asset('avatar.png', 'image', { width: 512, height: 512 });
const voice = asset('voice.wav', 'audio', { durationSec: 3 });

function input(over: Partial<ValidationInput> = {}): ValidationInput {
  return { title: 'Draft', params: {}, ...over };
}

function fields(over: Partial<ValidationInput>): string[] {
  return localSpec.validate(input(over)).map((i) => i.field);
}

describe('localSpec.validate', () => {
  it('accepts an image with audio, an image with a script, and a video avatar with both', () => {
    expect(localSpec.validate(input({ avatar, audio: voice }))).toEqual([]);
    expect(localSpec.validate(input({ avatar, script: 'Hello there, this is a draft.' }))).toEqual([]);
    const clip = asset('clip.mov', 'video', { durationSec: 2 });
    expect(localSpec.validate(input({ avatar: clip, audio: asset('v.m4a', 'audio'), script: 'Hi.', params: { aspect_ratio: '1:1', height: 1080, captions: 'soft' } }))).toEqual([]);
    for (const ext of ['jpg', 'jpeg', 'webp']) expect(localSpec.validate(input({ avatar: asset(`a.${ext}`, 'image'), script: 'Hi' }))).toEqual([]);
    for (const ext of ['mp3', 'aac', 'ogg', 'flac']) expect(localSpec.validate(input({ avatar, audio: asset(`a.${ext}`, 'audio') }))).toEqual([]);
  });

  it('requires an avatar and says what is accepted', () => {
    const issues = localSpec.validate(input({ script: 'Hello' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'avatar', message: 'an avatar image or video is required' });
    expect(issues[0]?.accepted).toContain('.png');
    expect(issues[0]?.accepted).toContain('.webm');
  });

  it('requires a script or an audio file (a blank script does not count)', () => {
    expect(localSpec.validate(input({ avatar }))).toEqual([expect.objectContaining({ field: 'script', message: 'give a script, an audio file, or both' })]);
    expect(fields({ avatar, script: '   \n ' })).toEqual(['script']);
  });

  it('rejects URL inputs with a clear offline message', () => {
    const issues = localSpec.validate(input({ avatar: { url: 'https://example.com/a.png' }, audio: { url: 'https://example.com/v.wav' } }));
    expect(issues.map((i) => i.field)).toEqual(['avatar', 'audio']);
    expect(issues[0]?.message).toContain('works offline');
    expect(issues[0]?.message).toContain('https://example.com/a.png');
    expect(issues[1]?.accepted).toContain('on this computer');
  });

  it('checks formats and kinds of the avatar and the audio', () => {
    const gif = localSpec.validate(input({ avatar: asset('a.gif', 'image'), script: 'Hi' }));
    expect(gif).toEqual([expect.objectContaining({ field: 'avatar', message: 'a.gif: .gif files are not accepted', accepted: '.png, .jpg, .jpeg, .webp' })]);
    const avi = localSpec.validate(input({ avatar: asset('a.avi', 'video'), script: 'Hi' }));
    expect(avi).toEqual([expect.objectContaining({ field: 'avatar', accepted: '.mp4, .mov, .webm' })]);
    expect(fields({ avatar: asset('a.mp3', 'audio'), script: 'Hi' })).toContain('avatar');
    const wma = localSpec.validate(input({ avatar, audio: asset('v.wma', 'audio') }));
    expect(wma).toEqual([expect.objectContaining({ field: 'audio', accepted: '.wav, .mp3, .m4a, .aac, .ogg, .flac' })]);
    expect(fields({ avatar, audio: asset('v.png', 'image') })).toEqual(['audio', 'audio']);
  });

  it('limits the script to 5000 characters and the audio to 10 minutes', () => {
    const long = localSpec.validate(input({ avatar, script: 'a'.repeat(5001) }));
    expect(long).toEqual([{ field: 'script', message: 'the script has 5001 characters', accepted: 'at most 5000 characters' }]);
    expect(localSpec.validate(input({ avatar, script: 'a'.repeat(5000) }))).toEqual([]);
    expect(localSpec.validate(input({ avatar, audio: asset('v.wav', 'audio', { durationSec: 601 }) }))).toEqual([
      expect.objectContaining({ field: 'audio', accepted: 'at most 600 s' }),
    ]);
  });

  it('says a separate video input is not lip-synced', () => {
    expect(localSpec.validate(input({ avatar, script: 'Hi', video: asset('c.mp4', 'video') }))).toEqual([
      expect.objectContaining({ field: 'video', accepted: 'put a video avatar in the avatar column instead' }),
    ]);
  });

  it('reports bad and unknown params by name with what is accepted', () => {
    const issues = localSpec.validate(input({ avatar, script: 'Hi', params: { aspect_ratio: '4:3', height: 500, captions: 'yes', fps: 30 } }));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'param.aspect_ratio', accepted: '9:16, 16:9, 1:1' }),
        expect.objectContaining({ field: 'param.height', accepted: '480, 720, 1080' }),
        expect.objectContaining({ field: 'param.captions', accepted: 'auto, burn, soft, off' }),
        expect.objectContaining({ field: 'params', message: expect.stringContaining('fps') }),
      ]),
    );
    expect(issues).toHaveLength(4);
  });
});

describe('localSpec', () => {
  it('is free', () => {
    expect(localSpec.estimateCost(input({ avatar, audio: voice }))).toEqual({ amount: 0, unit: 'USD', rule: 'free: rendered on this computer' });
    expect(localSpec.costRule).toBe('free: rendered on this computer');
  });

  it('picks the mode from the inputs', () => {
    expect(localSpec.modeOf(input({ avatar, audio: voice, script: 'Hi' }))).toBe('audio');
    expect(localSpec.modeOf(input({ avatar, script: 'Hi' }))).toBe('script');
    expect(localSpec.modes.map((m) => m.id)).toEqual(['audio', 'script']);
  });

  it('declares an offline provider that needs no key and may be rendered again when lost', () => {
    expect(localSpec.id).toBe('local');
    expect(localSpec.capabilities).toContain('offline');
    expect(localSpec.defaultBaseUrl).toBe('local:');
    expect(localSpec.credentialFields).toEqual([]);
    expect(localSpec.retryLostJobs).toBe(true);
    expect(localSpec.typicalRenderSec).toBe(10);
    expect(localSpec.pollCapSec).toBe(2);
    expect(localSpec.limits.scriptMaxChars).toBe(5000);
  });

  it('has a JSON-Schema form with defaults and help text for every param', () => {
    const schema = z.toJSONSchema(localSpec.params) as { properties: Record<string, { description?: string; default?: unknown; enum?: unknown[] }>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(['aspect_ratio', 'height', 'captions']);
    for (const p of Object.values(schema.properties)) expect(p.description?.length).toBeGreaterThan(10);
    expect(schema.properties.aspect_ratio).toMatchObject({ default: '9:16', enum: ['9:16', '16:9', '1:1'] });
    expect(schema.properties.height).toMatchObject({ default: 720, enum: [480, 720, 1080] });
    expect(localParamsOf({})).toEqual({ aspect_ratio: '9:16', height: 720, captions: 'auto' });
    expect(localParamsOf({ height: 480, aspect_ratio: '16:9' })).toEqual({ aspect_ratio: '16:9', height: 480, captions: 'auto' });
  });

  it('stays pure (no Node built-ins in shared/)', () => {
    const src = readFileSync(path.resolve(__dirname, '../../../shared/providers/local.ts'), 'utf8');
    expect(src).not.toMatch(/from ['"](node:|os['"]|fs['"]|path['"]|child_process)/);
  });
});

describe('localDimensions', () => {
  it('keeps the requested height and derives an even width', () => {
    expect(localDimensions('9:16', 480)).toEqual({ width: 270, height: 480 });
    expect(localDimensions('9:16', 720)).toEqual({ width: 406, height: 720 });
    expect(localDimensions('9:16', 1080)).toEqual({ width: 608, height: 1080 });
    expect(localDimensions('16:9', 480)).toEqual({ width: 854, height: 480 });
    expect(localDimensions('16:9', 720)).toEqual({ width: 1280, height: 720 });
    expect(localDimensions('16:9', 1080)).toEqual({ width: 1920, height: 1080 });
    expect(localDimensions('1:1', 720)).toEqual({ width: 720, height: 720 });
  });
});

describe('localDurationSec', () => {
  it('is the audio length, else the spoken length of the script', () => {
    expect(localDurationSec(input({ avatar, audio: voice, script: 'one two three' }))).toBe(3);
    expect(localDurationSec(input({ avatar, audio: asset('v.wav', 'audio') }))).toBeNull();
    expect(localDurationSec(input({ avatar, script: Array(150).fill('word').join(' ') }))).toBe(60);
    expect(localDurationSec(input({ avatar, script: ' ' }))).toBeNull();
  });
});
