import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssetInfo } from '../../../shared/model';
import type { ResolvedRef, ValidationInput } from '../../../shared/provider-spec';
import { techforgeParams, techforgeSpec } from '../../../shared/providers/techforge';

const PROJECT = '468ea7a0-66e1-4357-a760-236e54167f3e';

function asset(name: string, kind: AssetInfo['kind'], extra: Partial<AssetInfo> = {}): ResolvedRef {
  return { asset: { id: `id-${name}`, name, mime: 'x/y', kind, size: 1000, ...extra } };
}
const image = asset('face.png', 'image');
const audio = asset('voice.mp3', 'audio', { durationSec: 12 });

function input(over: Partial<ValidationInput> = {}): ValidationInput {
  return { title: 'Row 1', avatar: image, audio, params: { project_id: PROJECT }, ...over };
}

function fields(input: ValidationInput): string[] {
  return techforgeSpec.validate(input).map((i) => i.field);
}

describe('techforge spec: identity and settings', () => {
  it('names the documented base URL, credential, pricing and timing', () => {
    expect(techforgeSpec.id).toBe('techforge');
    expect(techforgeSpec.defaultBaseUrl).toBe('https://api.techforgeinnovate.com');
    expect(techforgeSpec.credentialFields).toEqual([expect.objectContaining({ key: 'apiKey', secret: true })]);
    expect(techforgeSpec.concurrencyDefault).toBe(2);
    expect(techforgeSpec.typicalRenderSec).toBe(120);
    expect(techforgeSpec.pollCapSec).toBe(60);
    expect(techforgeSpec.costUnit).toBe('credits');
    expect(techforgeSpec.capabilities).not.toContain('cancel');
    expect(techforgeSpec.capabilities).not.toContain('list_polling');
    expect(techforgeSpec.retryLostJobs).toBe(false);
  });

  it('estimates no amount, and the rule says why', () => {
    const est = techforgeSpec.estimateCost(input());
    expect(est.amount).toBeNull();
    expect(est.unit).toBe('credits');
    expect(est.rule).toMatch(/no price list/);
    expect(techforgeSpec.costRule).toMatch(/no price list/);
  });
});

describe('techforge spec: params schema', () => {
  it('applies the documented defaults and keeps version to the studio choice', () => {
    const p = techforgeParams.parse({ project_id: PROJECT });
    expect(p).toEqual({ project_id: PROJECT, job_type: 'ai_talking_video', language: 'en' });
    expect(p.version).toBeUndefined();
  });

  it('accepts every documented field of both shapes', () => {
    expect(
      techforgeParams.safeParse({
        project_id: PROJECT,
        job_type: 'ai_talking_video',
        is_clone_required: false,
        language: 'en',
        version: 6,
        output_size: 400,
        crop: true,
        dynamic_scale: 1,
        iteration_count: 10,
        expand_ratio: 0.5,
        values: [],
      }).success,
    ).toBe(true);
    expect(
      techforgeParams.safeParse({
        job_type: 'video',
        template_id: PROJECT,
        version: 2,
        session_id: 'sess-1',
        values: { headline: 'Hi', photo: { image_url: 'https://cdn.example.com/a.png' }, voice: { audio_url: 'https://cdn.example.com/a.mp3', effects: [{ type: 'echo' }] } },
        avatar_field: 'photo',
      }).success,
    ).toBe(true);
  });

  it('describes every field and renders as JSON Schema', () => {
    for (const [key, field] of Object.entries(techforgeParams.shape)) {
      expect(field.description, key).toBeTruthy();
    }
    const schema = z.toJSONSchema(techforgeParams) as { properties: Record<string, { enum?: unknown[] }>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.version?.enum).toEqual([2, 4, 5, 6]);
    expect(schema.properties.job_type?.enum).toEqual(['ai_talking_video', 'video', 'tts', 'image', 'photo_qc', 'pdf', 'ai_image_generation']);
  });
});

describe('techforge spec: talking video validation', () => {
  it('accepts an image, an audio and a project', () => {
    expect(techforgeSpec.validate(input())).toEqual([]);
    expect(techforgeSpec.validate(input({ avatar: { url: 'https://cdn.example.com/a.png' }, audio: { url: 'http://cdn.example.com/a.mp3' } }))).toEqual([]);
    expect(techforgeSpec.modeOf(input())).toBe('talking_video');
  });

  it('names each missing input and the project', () => {
    const issues = techforgeSpec.validate({ title: 'x', params: {} });
    expect(issues.map((i) => i.field).sort()).toEqual(['audio', 'avatar', 'param.project_id']);
    expect(issues.find((i) => i.field === 'param.project_id')?.accepted).toMatch(/UUID/);
    expect(issues.find((i) => i.field === 'audio')?.message).toMatch(/driven by your audio/);
  });

  it('explains the documented enums', () => {
    const issues = techforgeSpec.validate(input({ params: { project_id: PROJECT, version: 3 } }));
    expect(issues).toEqual([expect.objectContaining({ field: 'param.version', accepted: '2, 4, 5, 6' })]);
    const v2 = techforgeSpec.validate(input({ params: { project_id: PROJECT, version: 2 } }));
    expect(v2).toEqual([expect.objectContaining({ field: 'param.version', accepted: '4, 5 or 6 (default 6)' })]);
    const jt = techforgeSpec.validate(input({ params: { project_id: PROJECT, job_type: 'movie' } }));
    expect(jt.find((i) => i.field === 'param.job_type')?.accepted).toBe('ai_talking_video, video, tts, image, photo_qc, pdf, ai_image_generation');
  });

  it('rejects a project id that is not a UUID, unknown params and wrong types', () => {
    expect(fields(input({ params: { project_id: 'my project' } }))).toEqual(['param.project_id']);
    expect(techforgeSpec.validate(input({ params: { project_id: PROJECT, model: 'x' } }))).toEqual([expect.objectContaining({ field: 'params', message: expect.stringMatching(/model/) })]);
    expect(fields(input({ params: { project_id: PROJECT, output_size: 0, crop: 'yes', expand_ratio: -1, iteration_count: 1.5 } })).sort()).toEqual([
      'param.crop',
      'param.expand_ratio',
      'param.iteration_count',
      'param.output_size',
    ]);
  });

  it('checks the kind of each file and that URLs are http(s)', () => {
    expect(fields(input({ avatar: asset('clip.mp4', 'video'), audio: asset('face.jpg', 'image') })).sort()).toEqual(['audio', 'avatar']);
    const issues = techforgeSpec.validate(input({ avatar: { url: 'file:///tmp/a.png' } }));
    expect(issues).toEqual([expect.objectContaining({ field: 'avatar', accepted: expect.stringMatching(/http/) })]);
  });

  it('refuses a video input and names what it takes instead', () => {
    expect(techforgeSpec.validate(input({ video: asset('clip.mp4', 'video') }))).toEqual([expect.objectContaining({ field: 'video', accepted: expect.stringMatching(/image/) })]);
  });

  it('names the entry of bad tuning values', () => {
    expect(techforgeSpec.validate(input({ params: { project_id: PROJECT, values: ['a', 2] } }))).toEqual([expect.objectContaining({ field: 'param.values.1' })]);
  });
});

describe('techforge spec: template validation', () => {
  const tpl = (params: Record<string, unknown>, over: Partial<ValidationInput> = {}): ValidationInput => ({ title: 'T', params: { template_id: PROJECT, ...params }, ...over });

  it('detects template jobs from template_id, values objects, other job types and field mappings', () => {
    expect(techforgeSpec.modeOf(tpl({}))).toBe('template');
    expect(techforgeSpec.modeOf({ title: 'x', params: { project_id: PROJECT, values: { headline: 'Hi' } } })).toBe('template');
    expect(techforgeSpec.modeOf({ title: 'x', params: { project_id: PROJECT, job_type: 'tts' } })).toBe('template');
    expect(techforgeSpec.modeOf({ title: 'x', params: { project_id: PROJECT, script_field: 'headline' } })).toBe('template');
  });

  it('needs neither image nor audio, but a template or project', () => {
    expect(techforgeSpec.validate(tpl({ values: { headline: 'Hello' } }))).toEqual([]);
    expect(techforgeSpec.validate({ title: 'x', params: { job_type: 'video', values: { headline: 'Hi' } } })).toEqual([expect.objectContaining({ field: 'param.template_id' })]);
  });

  it('asks which field receives each row input, and for the input a field names', () => {
    const issues = techforgeSpec.validate(tpl({}, { avatar: image, script: 'Hello there' }));
    expect(issues.map((i) => i.field).sort()).toEqual(['avatar', 'script']);
    expect(issues.find((i) => i.field === 'avatar')?.accepted).toMatch(/avatar_field/);
    expect(fields(tpl({ audio_field: 'voice' }))).toEqual(['audio']);
    expect(techforgeSpec.validate(tpl({ avatar_field: 'photo', audio_field: 'voice', script_field: 'headline' }, { avatar: image, audio, script: 'Hi' }))).toEqual([]);
  });

  it('needs values by key, with public asset URLs', () => {
    expect(fields(tpl({ values: ['a'] }))).toEqual(['param.values']);
    const issues = techforgeSpec.validate(tpl({ values: { photo: { image_url: 'C:\\me.png' }, voice: { audio_url: 'https://x/a.mp3', effects: 'loud' }, n: 3 } }));
    expect(issues.map((i) => i.field).sort()).toEqual(['param.values.n', 'param.values.photo.image_url', 'param.values.voice.effects']);
    expect(issues.find((i) => i.field === 'param.values.photo.image_url')?.accepted).toMatch(/https?/);
  });

  it('allows template version 2 and keeps the job-type enum', () => {
    expect(techforgeSpec.validate(tpl({ version: 2 }))).toEqual([]);
    expect(fields(tpl({ job_type: 'podcast' }))).toEqual(['param.job_type']);
  });
});
