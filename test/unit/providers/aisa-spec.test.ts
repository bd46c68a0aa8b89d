import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssetInfo } from '../../../shared/model';
import type { ValidationInput } from '../../../shared/provider-spec';
import { AISA_MODELS, AISA_SECONDS, AISA_SIZES, aisaPrompt, aisaSpec } from '../../../shared/providers/aisa';

const image = (over: Partial<AssetInfo> = {}): { asset: AssetInfo } => ({
  asset: { id: 'a'.repeat(64), name: 'face.png', mime: 'image/png', kind: 'image', size: 10_000, width: 512, height: 512, ...over },
});
const input = (over: Partial<ValidationInput> = {}): ValidationInput => ({ title: 't', prompt: 'A calico cat playing a piano on stage', params: {}, ...over });
const fields = (i: ValidationInput) => aisaSpec.validate(i).map((x) => x.field);

describe('aisa spec: identity', () => {
  it('names the base URL, the credential and the retirement notice', () => {
    expect(aisaSpec.id).toBe('aisa');
    expect(aisaSpec.defaultBaseUrl).toBe('https://api.aisa.one/v1');
    expect(aisaSpec.credentialFields).toEqual([{ key: 'apiKey', label: expect.stringContaining('sk-aisa-'), secret: true }]);
    expect(aisaSpec.notice).toMatch(/retired.*2026-09-24/);
    expect(aisaSpec.concurrencyDefault).toBe(3);
    expect(aisaSpec.pollCapSec).toBe(30);
    expect(aisaSpec.typicalRenderSec).toBe(120);
    expect(aisaSpec.costUnit).toBe('USD');
    expect(aisaSpec.capabilities).not.toContain('cancel');
    expect(aisaSpec.capabilities).toContain('list_polling');
  });

  it('keeps to the typed enums of the OpenAPI file', () => {
    expect([...AISA_SECONDS]).toEqual(['4', '8', '12']);
    expect([...AISA_SIZES]).toEqual(['720x1280', '1280x720', '1024x1792', '1792x1024']);
    expect([...AISA_MODELS]).toEqual(['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08']);
  });

  it('applies documented defaults and rejects unknown params', () => {
    expect(aisaSpec.params.parse({})).toEqual({ model: 'sora-2', seconds: '4', size: '720x1280' });
    expect(fields(input({ params: { quality: 'high' } }))).toEqual(['params']);
  });

  it('has a JSON-Schema form with a description on every field', () => {
    const schema = z.toJSONSchema(aisaSpec.params, { io: 'input' }) as { properties: Record<string, { description?: string; default?: unknown; enum?: unknown[] }>; additionalProperties?: boolean };
    expect(Object.keys(schema.properties).sort()).toEqual(['model', 'seconds', 'size']);
    for (const p of Object.values(schema.properties)) expect(p.description).toBeTruthy();
    expect(schema.properties.seconds!.default).toBe('4');
    expect(schema.properties.size!.enum).toEqual([...AISA_SIZES]);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('aisa spec: validate', () => {
  it('accepts a plain prompt with defaults', () => {
    expect(aisaSpec.validate(input())).toEqual([]);
  });

  it('needs a prompt or a script', () => {
    const issues = aisaSpec.validate(input({ prompt: '  ' }));
    expect(issues).toEqual([expect.objectContaining({ field: 'prompt', accepted: expect.stringContaining('script') })]);
    expect(aisaSpec.validate(input({ prompt: undefined, script: 'Hello there.' }))).toEqual([]);
  });

  it('limits the prompt to 32000 characters', () => {
    expect(fields(input({ prompt: 'x'.repeat(32_000) }))).toEqual([]);
    const issues = aisaSpec.validate(input({ prompt: 'x'.repeat(32_001) }));
    expect(issues).toEqual([expect.objectContaining({ field: 'prompt', accepted: 'at most 32,000 characters in all' })]);
    expect(fields(input({ prompt: undefined, script: 'y'.repeat(32_001) }))).toEqual(['script']);
    // Line breaks travel as CRLF in multipart, so they count twice.
    expect(fields(input({ prompt: `${'x'.repeat(31_998)}\ny` }))).toEqual(['prompt']);
  });

  it('reports a size the model cannot render', () => {
    const issues = aisaSpec.validate(input({ params: { model: 'sora-2', size: '1792x1024' } }));
    expect(issues).toEqual([
      expect.objectContaining({ field: 'param.size', message: expect.stringContaining('sora-2 cannot render 1792x1024'), accepted: expect.stringContaining('sora-2-pro') }),
    ]);
    expect(fields(input({ params: { model: 'sora-2-2025-12-08', size: '1024x1792' } }))).toEqual(['param.size']);
    expect(aisaSpec.validate(input({ params: { model: 'sora-2-pro', size: '1792x1024' } }))).toEqual([]);
    expect(aisaSpec.validate(input({ params: { model: 'sora-2-pro-2025-10-06', size: '1024x1792' } }))).toEqual([]);
  });

  it('rejects values outside the enums with what is accepted', () => {
    const issues = aisaSpec.validate(input({ params: { seconds: '16', size: '1920x1080', model: 'sora-3' } }));
    expect(issues.map((i) => i.field).sort()).toEqual(['param.model', 'param.seconds', 'param.size']);
    expect(issues.find((i) => i.field === 'param.seconds')?.accepted).toBe('4, 8, 12');
    expect(fields(input({ params: { seconds: 8 } }))).toEqual(['param.seconds']);
  });

  it('warns when the spoken script is longer than the clip', () => {
    const script = Array.from({ length: 40 }, () => 'word').join(' '); // ~16 s at 150 wpm
    const issues = aisaSpec.validate(input({ script, params: { seconds: '8' } }));
    expect(issues).toEqual([expect.objectContaining({ field: 'script', message: expect.stringContaining('16 s'), accepted: expect.stringContaining('longer clip') })]);
    expect(fields(input({ script: 'Hello there, friends.', params: { seconds: '4' } }))).toEqual([]);
    // A script alone is the prompt, not dialogue: no timing check.
    expect(fields(input({ prompt: undefined, script }))).toEqual([]);
  });

  it('takes one jpg/png/webp reference image of known size', () => {
    expect(aisaSpec.validate(input({ avatar: image() }))).toEqual([]);
    expect(aisaSpec.validate(input({ avatar: image({ name: 'face.webp', mime: 'image/webp' }) }))).toEqual([]);
    expect(aisaSpec.validate(input({ avatar: image({ name: 'face.jpeg', mime: 'image/jpeg' }) }))).toEqual([]);
    expect(fields(input({ avatar: image({ name: 'face.gif', mime: 'image/gif' }) }))).toEqual(['avatar']);
    const unknownSize = aisaSpec.validate(input({ avatar: image({ width: undefined, height: undefined }) }));
    expect(unknownSize).toEqual([expect.objectContaining({ field: 'avatar', message: expect.stringContaining('could not be read') })]);
  });

  it('rejects video avatars, URL avatars, audio and source videos', () => {
    const vid = image({ name: 'me.mp4', mime: 'video/mp4', kind: 'video', width: 320, height: 240 });
    expect(fields(input({ avatar: vid }))).toEqual(['avatar', 'avatar']);
    const url = aisaSpec.validate(input({ avatar: { url: 'https://example.com/face.png' } }));
    expect(url).toEqual([expect.objectContaining({ field: 'avatar', accepted: 'a local .jpg, .png or .webp file' })]);
    expect(fields(input({ video: vid }))).toEqual(['video']);
    expect(fields(input({ audio: { asset: { ...vid.asset, name: 'v.wav', kind: 'audio', mime: 'audio/wav' } } }))).toEqual(['audio']);
  });
});

describe('aisa spec: cost and mode', () => {
  it('prices per second of output', () => {
    expect(aisaSpec.estimateCost(input())).toEqual({ amount: 0.4, unit: 'USD', rule: expect.stringContaining('$0.10 per second × 4 s') });
    expect(aisaSpec.estimateCost(input({ params: { model: 'sora-2-pro', seconds: '12', size: '1792x1024' } })).amount).toBe(3.6);
    expect(aisaSpec.estimateCost(input({ params: { model: 'sora-2-pro-2025-10-06', seconds: '8' } })).amount).toBe(2.4);
    expect(aisaSpec.estimateCost(input({ params: { model: 'sora-2-2025-12-08', seconds: '8' } })).amount).toBe(0.8);
    expect(aisaSpec.estimateCost(input({ params: { seconds: 'x' } }))).toEqual({ amount: null, unit: 'USD', rule: expect.any(String) });
  });

  it('detects the mode from the avatar', () => {
    expect(aisaSpec.modeOf(input())).toBe('text');
    expect(aisaSpec.modeOf(input({ avatar: image() }))).toBe('image');
    expect(aisaSpec.modes.map((m) => m.id)).toEqual(['text', 'image']);
  });

  it('builds the prompt from prompt and script', () => {
    expect(aisaPrompt({ prompt: ' A cat ' })).toBe('A cat');
    expect(aisaPrompt({ script: 'Hello.' })).toBe('Hello.');
    expect(aisaPrompt({ prompt: 'A cat on stage', script: 'Hello.' })).toBe('A cat on stage\n\nDialogue:\nHello.');
    expect(aisaPrompt({})).toBe('');
  });
});
