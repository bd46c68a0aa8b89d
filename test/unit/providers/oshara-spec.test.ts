import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssetInfo } from '../../../shared/model';
import type { ResolvedRef, ValidationInput } from '../../../shared/provider-spec';
import { osharaModeOf, osharaSpec } from '../../../shared/providers/oshara';

const asset = (name: string, kind: AssetInfo['kind'], extra: Partial<AssetInfo> = {}): ResolvedRef => ({
  asset: { id: `sha-${name}`, name, mime: 'application/octet-stream', kind, size: 1000, ...extra },
});
const avatar = asset('face.png', 'image');
const voice = asset('voice.wav', 'audio', { durationSec: 15 });

const input = (over: Partial<ValidationInput> = {}): ValidationInput => ({ title: 'Welcome', script: 'Hello there, welcome to Acme.', avatar, audio: voice, params: {}, ...over });
const fields = (i: ValidationInput): string[] => osharaSpec.validate(i).map((x) => x.field);

describe('oshara spec', () => {
  it('has the documented base URL, defaults and no price', () => {
    expect(osharaSpec.id).toBe('oshara');
    expect(osharaSpec.defaultBaseUrl).toBe('https://api.oshara.ai/api');
    expect(osharaSpec.concurrencyDefault).toBe(2);
    expect(osharaSpec.typicalRenderSec).toBe(180);
    expect(osharaSpec.pollCapSec).toBe(60);
    expect(osharaSpec.capabilities).not.toContain('cancel');
    expect(osharaSpec.credentialFields.map((f) => f.key)).toEqual(['apiKey', 'token', 'email', 'password']);
    expect(osharaSpec.credentialFields.every((f) => f.optional)).toBe(true);
    expect(osharaSpec.credentialFields.find((f) => f.key === 'password')?.secret).toBe(true);
    const cost = osharaSpec.estimateCost(input());
    expect(cost.amount).toBeNull();
    expect(cost.rule).toMatch(/no prices/i);
  });

  it('picks the mode from script and audio', () => {
    expect(osharaSpec.modeOf(input())).toBe('tts');
    expect(osharaSpec.modeOf(input({ audio: undefined, params: { reference_voice: 3 } }))).toBe('tts');
    expect(osharaSpec.modeOf(input({ script: undefined }))).toBe('video_only');
    expect(osharaSpec.modeOf(input({ script: '   ' }))).toBe('video_only');
    expect(osharaSpec.modeOf(input({ script: undefined, audio: undefined }))).toBe('tts');
    expect(osharaModeOf({ script: 'x', audio: { asset: 'abc' } })).toBe('tts');
    expect(osharaSpec.modes.map((m) => m.id)).toEqual(['tts', 'video_only']);
  });

  it('accepts a script with a voice sample, and a script with a saved voice', () => {
    expect(osharaSpec.validate(input())).toEqual([]);
    expect(osharaSpec.validate(input({ audio: undefined, params: { reference_voice: 12, processing_params: { fps: 25 } } }))).toEqual([]);
    expect(osharaSpec.validate(input({ script: undefined, audio: asset('narration.mp3', 'audio') }))).toEqual([]);
  });

  it('asks for exactly one voice in TTS mode', () => {
    const neither = osharaSpec.validate(input({ audio: undefined }));
    expect(neither).toHaveLength(1);
    expect(neither[0]).toMatchObject({ field: 'audio', message: 'No voice for the script' });
    expect(neither[0]!.accepted).toMatch(/reference_voice/);
    const both = osharaSpec.validate(input({ params: { reference_voice: 4 } }));
    expect(both).toHaveLength(1);
    expect(both[0]!.field).toBe('param.reference_voice');
    expect(both[0]!.accepted).toMatch(/not both/);
  });

  it('rejects links: Oshara takes uploaded files only', () => {
    const issues = osharaSpec.validate(input({ avatar: { url: 'https://cdn.example.com/face.png' }, audio: { url: 'https://cdn.example.com/v.wav' } }));
    expect(issues.map((i) => i.field)).toEqual(['avatar', 'audio']);
    expect(issues[0]!.message).toMatch(/uploaded files only/);
    expect(issues[0]!.accepted).toMatch(/local file/);
  });

  it('checks formats and kinds of the files', () => {
    const issues = osharaSpec.validate(input({ avatar: asset('face.webp', 'image'), audio: asset('voice.ogg', 'audio') }));
    expect(issues.map((i) => i.field)).toEqual(['avatar', 'audio']);
    expect(issues[0]!.accepted).toBe('.jpg, .jpeg, .png');
    expect(issues[1]!.accepted).toBe('.wav, .mp3');
    expect(fields(input({ avatar: asset('clip.mp4', 'video') }))).toEqual(['avatar', 'avatar']);
    expect(fields(input({ avatar: asset('face.JPG', 'image') }))).toEqual([]);
  });

  it('needs a title, a portrait and a script or audio', () => {
    expect(fields(input({ title: '  ' }))).toEqual(['title']);
    expect(fields(input({ avatar: undefined }))).toEqual(['avatar']);
    const none = osharaSpec.validate(input({ script: undefined, audio: undefined, params: { reference_voice: 2 } }));
    expect(none.map((i) => i.field)).toEqual(['script']);
  });

  it('flags inputs Oshara would ignore', () => {
    expect(fields(input({ video: asset('clip.mp4', 'video') }))).toEqual(['video']);
    expect(fields(input({ prompt: 'a sunny office' }))).toEqual(['prompt']);
    expect(fields(input({ script: undefined, params: { reference_voice: 3 } }))).toEqual(['param.reference_voice']);
    expect(fields(input({ script: undefined, params: { processing_params: { a: 1 } } }))).toEqual(['param.processing_params']);
  });

  it('rejects unknown and mistyped params', () => {
    expect(fields(input({ params: { voice_id: 3 } }))).toEqual(['params']);
    expect(fields(input({ audio: undefined, params: { reference_voice: 'abc' } }))).toContain('param.reference_voice');
    expect(fields(input({ audio: undefined, params: { reference_voice: 1.5 } }))).toContain('param.reference_voice');
    expect(fields(input({ params: { processing_params: '{"a":1}' } }))).toEqual(['param.processing_params']);
  });

  it('describes every param and renders as JSON Schema', () => {
    const schema = z.toJSONSchema(osharaSpec.params) as { properties: Record<string, { description?: string }>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(['reference_voice', 'processing_params']);
    for (const p of Object.values(schema.properties)) expect(p.description).toBeTruthy();
    expect(schema.additionalProperties).toBe(false);
  });
});
