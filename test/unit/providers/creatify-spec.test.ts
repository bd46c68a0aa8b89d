import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssetInfo } from '../../../shared/model';
import type { ResolvedRef, ValidationInput } from '../../../shared/provider-spec';
import { auroraAudioMaxSec, creatifyParams, creatifySpec } from '../../../shared/providers/creatify';

const image = (over: Partial<AssetInfo> = {}): ResolvedRef => ({
  asset: { id: 'img', name: 'face.png', mime: 'image/png', kind: 'image', size: 10_000, width: 512, height: 512, ...over },
});
const audio = (durationSec: number | undefined, over: Partial<AssetInfo> = {}): ResolvedRef => ({
  asset: { id: 'aud', name: 'voice.mp3', mime: 'audio/mpeg', kind: 'audio', size: 50_000, ...(durationSec !== undefined ? { durationSec } : {}), ...over },
});
const input = (over: Partial<ValidationInput> = {}): ValidationInput => ({ title: 'Row', params: {}, ...over });
const fields = (i: ValidationInput) => creatifySpec.validate(i).map((x) => x.field);
const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ');

describe('creatifySpec basics', () => {
  it('describes the provider', () => {
    expect(creatifySpec.id).toBe('creatify');
    expect(creatifySpec.defaultBaseUrl).toBe('https://api.creatify.ai');
    expect(creatifySpec.credentialFields).toEqual([
      { key: 'apiId', label: 'API ID', secret: false },
      { key: 'apiKey', label: 'API key', secret: true },
    ]);
    expect(creatifySpec.concurrencyDefault).toBe(3);
    expect(creatifySpec.typicalRenderSec).toBe(180);
    expect(creatifySpec.pollCapSec).toBe(60);
    expect(creatifySpec.costUnit).toBe('credits');
    expect(creatifySpec.capabilities).toContain('preview_approval');
    expect(creatifySpec.capabilities).not.toContain('cancel');
    expect(creatifySpec.modes.map((m) => m.id)).toEqual(['aurora', 'lipsync', 'template']);
  });

  it('has a JSON-Schema-representable params schema where every field is described', () => {
    const schema = z.toJSONSchema(creatifySpec.params) as { properties: Record<string, { description?: string }>; additionalProperties?: boolean };
    expect(schema.additionalProperties).toBe(false);
    for (const [name, prop] of Object.entries(schema.properties)) expect(prop.description, name).toBeTruthy();
    expect(Object.keys(schema.properties)).toContain('aspect_ratio');
  });

  it('defaults product to aurora and rejects unknown params', () => {
    expect(creatifyParams.parse({}).product).toBe('aurora');
    expect(creatifySpec.validate(input({ avatar: image(), audio: audio(3), params: { colour: 'red' } })).map((i) => i.field)).toEqual(['params']);
  });

  it('chooses the mode from params.product', () => {
    expect(creatifySpec.modeOf(input())).toBe('aurora');
    expect(creatifySpec.modeOf(input({ params: { product: 'lipsync' } }))).toBe('lipsync');
    expect(creatifySpec.modeOf(input({ params: { product: 'template' } }))).toBe('template');
  });
});

describe('validate: aurora', () => {
  it('accepts a photo and short audio', () => {
    expect(creatifySpec.validate(input({ avatar: image(), audio: audio(3) }))).toEqual([]);
    expect(creatifySpec.validate(input({ avatar: { url: 'https://cdn.example.com/p.webp' }, audio: { url: 'https://cdn.example.com/a.wav' } }))).toEqual([]);
  });

  it('needs both the photo and the audio and refuses a script', () => {
    const issues = creatifySpec.validate(input({ script: 'Hello there' }));
    expect(issues.map((i) => i.field).sort()).toEqual(['audio', 'avatar', 'script']);
    expect(issues.find((i) => i.field === 'audio')?.accepted).toMatch(/mp3|wav/);
  });

  it('checks formats of files and links', () => {
    const issues = creatifySpec.validate(input({ avatar: image({ name: 'face.gif', mime: 'image/gif' }), audio: { url: 'https://x.test/a.ogg' } }));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'avatar', accepted: '.png, .jpg, .jpeg, .webp' }),
        expect.objectContaining({ field: 'audio', accepted: '.mp3, .wav' }),
      ]),
    );
    expect(fields(input({ avatar: { url: 'ftp://x/p.png' }, audio: audio(3) }))).toEqual(['avatar']);
  });

  it('enforces the per-model audio length', () => {
    expect(fields(input({ avatar: image(), audio: audio(300) }))).toEqual([]);
    expect(fields(input({ avatar: image(), audio: audio(301) }))).toEqual(['audio']);
    expect(fields(input({ avatar: image(), audio: audio(59.7), params: { model_version: 'aurora_v2' } }))).toEqual([]);
    const v2 = creatifySpec.validate(input({ avatar: image(), audio: audio(60), params: { model_version: 'aurora_v2' } }));
    expect(v2).toEqual([expect.objectContaining({ field: 'audio', accepted: 'at most 59.7 s' })]);
    expect(fields(input({ avatar: image(), audio: audio(15), params: { model_version: 'aurora_v2', resolution: '2k' } }))).toEqual(['audio']);
    expect(fields(input({ avatar: image(), audio: audio(14), params: { model_version: 'aurora_v2', resolution: '2k' } }))).toEqual([]);
    expect(auroraAudioMaxSec('aurora_v1_fast', undefined)).toBe(300);
  });

  it('refuses resolution without aurora_v2, the standard model and AI avatar params', () => {
    const issues = creatifySpec.validate(input({ avatar: image(), audio: audio(3), params: { resolution: '1080p', aspect_ratio: '9x16' } }));
    expect(issues.map((i) => i.field).sort()).toEqual(['param.aspect_ratio', 'param.resolution']);
    expect(fields(input({ avatar: image(), audio: audio(3), params: { model_version: 'standard' } }))).toEqual(['param.model_version']);
  });
});

describe('validate: AI avatar (lipsync)', () => {
  const ok = { product: 'lipsync', aspect_ratio: '9x16' };

  it('accepts a script or audio', () => {
    expect(creatifySpec.validate(input({ script: 'Hi', params: ok }))).toEqual([]);
    expect(creatifySpec.validate(input({ audio: audio(10), params: { ...ok, creator: 'p1', accent: 'a1', caption_offset_x: 0.5 } }))).toEqual([]);
  });

  it('requires an aspect ratio in the enum form, never 1:1', () => {
    expect(fields(input({ script: 'Hi', params: { product: 'lipsync' } }))).toEqual(['param.aspect_ratio']);
    const issues = creatifySpec.validate(input({ script: 'Hi', params: { product: 'lipsync', aspect_ratio: '1:1' } }));
    expect(issues).toEqual([expect.objectContaining({ field: 'param.aspect_ratio', accepted: '16x9, 1x1, 9x16' })]);
  });

  it('needs a script or audio, takes no image, prompt, aurora_v2 or template params', () => {
    expect(fields(input({ params: ok }))).toEqual(['script']);
    const issues = creatifySpec.validate(input({ script: 'Hi', prompt: 'smile', avatar: image(), params: { ...ok, model_version: 'aurora_v2', template_id: 't' } }));
    expect(issues.map((i) => i.field).sort()).toEqual(['avatar', 'param.model_version', 'param.template_id', 'prompt']);
  });

  it('range-checks caption offsets', () => {
    expect(fields(input({ script: 'Hi', params: { ...ok, caption_offset_y: 0.6 } }))).toEqual(['param.caption_offset_y']);
  });
});

describe('validate: custom template', () => {
  it('needs a template id', () => {
    expect(fields(input({ params: { product: 'template' } }))).toEqual(['param.template_id']);
    expect(creatifySpec.validate(input({ params: { product: 'template', template_id: 'tpl', variables: { headline: 'Sale' } } }))).toEqual([]);
  });

  it('asks where row inputs go in the template', () => {
    const issues = creatifySpec.validate(input({ script: 'Hi', avatar: image(), params: { product: 'template', template_id: 'tpl', audio_variable: 'vo' } }));
    expect(issues.map((i) => i.field).sort()).toEqual(['avatar', 'param.audio_variable', 'script']);
    expect(issues.find((i) => i.field === 'script')?.accepted).toMatch(/script_variable/);
    expect(creatifySpec.validate(input({ script: 'Hi', params: { product: 'template', template_id: 'tpl', script_variable: 'script' } }))).toEqual([]);
  });
});

describe('estimateCost', () => {
  const cost = (i: ValidationInput) => creatifySpec.estimateCost(i);

  it('aurora: per second of audio, rounded up', () => {
    expect(cost(input({ avatar: image(), audio: audio(3) }))).toMatchObject({ amount: 3, unit: 'credits' });
    expect(cost(input({ avatar: image(), audio: audio(3.2) })).amount).toBe(4);
    expect(cost(input({ avatar: image(), audio: audio(3.2), params: { model_version: 'aurora_v1_fast' } })).amount).toBe(2);
    const v2 = (resolution: string | undefined) =>
      cost(input({ avatar: image(), audio: audio(10), params: { model_version: 'aurora_v2', ...(resolution ? { resolution } : {}) } })).amount;
    expect([v2('480p'), v2(undefined), v2('720p'), v2('1080p'), v2('2k')]).toEqual([4, 7, 7, 14, 28]);
    expect(cost(input({ avatar: image(), audio: audio(10), params: { model_version: 'aurora_v2' } })).rule).toMatch(/aurora_v2 720p: 0\.7 credits per second × 10 s/);
  });

  it('aurora: unknown when the audio length is unknown', () => {
    const c = cost(input({ avatar: image(), audio: { url: 'https://x.test/a.mp3' } }));
    expect(c.amount).toBeNull();
    expect(c.unit).toBe('credits');
  });

  it('AI avatar standard: 5 credits per started 30 s, from audio or the spoken script', () => {
    expect(cost(input({ audio: audio(30), params: { product: 'lipsync', aspect_ratio: '1x1' } })).amount).toBe(5);
    expect(cost(input({ audio: audio(31), params: { product: 'lipsync', aspect_ratio: '1x1' } })).amount).toBe(10);
    // 150 words ≈ 60 s of speech → 2 blocks.
    const c = cost(input({ script: words(150), params: { product: 'lipsync', aspect_ratio: '1x1' } }));
    expect(c.amount).toBe(10);
    expect(c.rule).toMatch(/script/);
    // Audio wins over the script for the length too.
    expect(cost(input({ script: words(150), audio: audio(12), params: { product: 'lipsync', aspect_ratio: '1x1' } })).amount).toBe(5);
  });

  it('AI avatar with an Aurora model: per second (May 2026 changelog)', () => {
    expect(cost(input({ audio: audio(12.5), params: { product: 'lipsync', aspect_ratio: '1x1', model_version: 'aurora_v1' } })).amount).toBe(13);
    expect(cost(input({ audio: audio(12.5), params: { product: 'lipsync', aspect_ratio: '1x1', model_version: 'aurora_v1_fast' } })).amount).toBe(6.5);
  });

  it('templates: preview 1 + render 4 credits per started 30 s (standard)', () => {
    expect(cost(input({ audio: audio(45), params: { product: 'template', template_id: 't', audio_variable: 'vo' } })).amount).toBe(10);
    const aurora = cost(input({ audio: audio(45), params: { product: 'template', template_id: 't', audio_variable: 'vo', model_version: 'aurora_v1' } }));
    expect(aurora.amount).toBe(2 + 45);
    expect(cost(input({ params: { product: 'template', template_id: 't' } })).amount).toBeNull();
  });
});
