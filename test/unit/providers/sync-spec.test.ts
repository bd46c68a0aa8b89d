import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssetInfo } from '../../../shared/model';
import type { ResolvedRef, ValidationInput } from '../../../shared/provider-spec';
import {
  SYNC_MODELS,
  SYNC_PLAN_CONCURRENCY,
  SYNC_RATES,
  syncCostFor,
  syncOutputFileName,
  syncSpec,
} from '../../../shared/providers/sync';

const MIME: Record<string, [string, AssetInfo['kind']]> = {
  mp4: ['video/mp4', 'video'],
  mov: ['video/quicktime', 'video'],
  mkv: ['video/x-matroska', 'video'],
  wav: ['audio/wav', 'audio'],
  mp3: ['audio/mpeg', 'audio'],
  wma: ['audio/x-ms-wma', 'audio'],
  mid: ['audio/midi', 'audio'],
  png: ['image/png', 'image'],
  gif: ['image/gif', 'image'],
};

function asset(name: string, extra: Partial<AssetInfo> = {}): ResolvedRef {
  const ext = name.split('.').pop() ?? '';
  const [mime, kind] = MIME[ext] ?? ['application/octet-stream', 'image'];
  return { asset: { id: `sha-${name}`, name, mime, kind, size: 1000, ...extra } };
}

const video = asset('talk.mp4', { durationSec: 12 });
const audio = asset('voice.wav', { durationSec: 3 });

function input(over: Partial<ValidationInput> = {}): ValidationInput {
  return { title: 'Row', params: {}, video, audio, ...over };
}

const fields = (i: ValidationInput): string[] => syncSpec.validate(i).map((x) => x.field);

describe('syncSpec basics', () => {
  it('declares the documented base URL, credential, limits and timings', () => {
    expect(syncSpec.id).toBe('sync');
    expect(syncSpec.defaultBaseUrl).toBe('https://api.sync.so');
    expect(syncSpec.credentialFields).toEqual([{ key: 'apiKey', label: 'API key', secret: true }]);
    expect(syncSpec.concurrencyDefault).toBe(3);
    expect(SYNC_PLAN_CONCURRENCY).toEqual({ hobbyist: 1, creator: 3, growth: 6, scale: 15 });
    expect(syncSpec.typicalRenderSec).toBe(150);
    expect(syncSpec.pollCapSec).toBe(30);
    expect(syncSpec.costUnit).toBe('USD');
    expect(syncSpec.retryLostJobs).toBe(false);
    expect(syncSpec.limits.audioMaxSec).toBe(300);
    expect(syncSpec.limits.videoFormats).toEqual(expect.arrayContaining(['mp4', 'mov', 'webm', 'avi']));
    expect(syncSpec.limits.audioFormats).toEqual(expect.arrayContaining(['wav', 'mp3', 'ogg', 'flac', 'm4a', 'aac', 'alac', 'wma', 'm3a']));
    expect(syncSpec.capabilities).toEqual(expect.arrayContaining(['lipsync', 'tts', 'idempotency', 'cancel', 'list_polling', 'image_input', 'video_input']));
  });

  it('has a JSON-Schema-representable, strict params schema where every field is described', () => {
    const schema = z.toJSONSchema(syncSpec.params) as { properties: Record<string, { description?: string; items?: { properties: Record<string, { description?: string }> } }>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    for (const [name, prop] of Object.entries(schema.properties)) expect(prop.description, name).toBeTruthy();
    for (const [name, prop] of Object.entries(schema.properties.segments!.items!.properties)) expect(prop.description, `segments.${name}`).toBeTruthy();
  });

  it('applies the documented defaults', () => {
    expect(syncSpec.params.parse({})).toEqual({ model: 'sync-3', temperature: 0.5, upload_mode: 'multipart' });
  });

  it('stays pure: no Node built-ins in the spec file', () => {
    const text = readFileSync(path.resolve(__dirname, '../../../shared/providers/sync.ts'), 'utf8');
    expect(text).not.toMatch(/from ['"](node:|fs|path|crypto)/);
  });
});

describe('syncSpec.validate', () => {
  it('accepts a video with audio', () => {
    expect(syncSpec.validate(input())).toEqual([]);
  });

  it('accepts URL inputs and a script with a voice', () => {
    expect(syncSpec.validate(input({ video: { url: 'https://cdn.example.com/a.mp4' }, audio: { url: 'https://cdn.example.com/a.mp3' } }))).toEqual([]);
    expect(syncSpec.validate(input({ audio: undefined, script: 'Hello there', params: { voice_id: 'voice-1' } }))).toEqual([]);
  });

  it('rejects unknown params and bad values, naming the param and what is accepted', () => {
    const issues = syncSpec.validate(input({ params: { speed: 2, sync_mode: 'stretch', temperature: 2, model: 'lipsync-9' } }));
    expect(issues.map((i) => i.field)).toEqual(expect.arrayContaining(['params', 'param.sync_mode', 'param.temperature', 'param.model']));
    expect(issues.find((i) => i.field === 'param.sync_mode')?.accepted).toBe('loop, bounce, cut_off, silence, remap');
    expect(issues.find((i) => i.field === 'param.model')?.accepted).toBe(SYNC_MODELS.join(', '));
  });

  it('needs exactly one visual input', () => {
    expect(fields(input({ video: undefined }))).toEqual(['video']);
    expect(fields(input({ avatar: asset('face.png') }))).toContain('avatar');
  });

  it('animates a photo only with sync-3', () => {
    const photo = { video: undefined, avatar: asset('face.png') };
    expect(syncSpec.validate(input(photo))).toEqual([]);
    const issues = syncSpec.validate(input({ ...photo, params: { model: 'lipsync-2' } }));
    expect(issues).toEqual([expect.objectContaining({ field: 'avatar', message: expect.stringContaining('sync-3') })]);
    // An avatar video is a normal video input for every model.
    expect(syncSpec.validate(input({ video: undefined, avatar: asset('presenter.mov'), params: { model: 'lipsync-2' } }))).toEqual([]);
    // A photo URL is recognised by its extension.
    expect(fields(input({ video: undefined, avatar: { url: 'https://x.test/face.png' }, params: { model: 'lipsync-2-pro' } }))).toEqual(['avatar']);
  });

  it('needs audio, a script, or segments — and only one of audio or script', () => {
    expect(fields(input({ audio: undefined }))).toEqual(['audio']);
    expect(fields(input({ script: 'Hi', params: { voice_id: 'v' } }))).toEqual(['script']);
    expect(
      syncSpec.validate(input({ audio: undefined, params: { segments: [{ startTime: 0, endTime: 2, audio: 'https://x.test/a.mp3' }] } })),
    ).toEqual([]);
  });

  it('needs an ElevenLabs voice for a script', () => {
    const issues = syncSpec.validate(input({ audio: undefined, script: 'Hello there' }));
    expect(issues).toEqual([expect.objectContaining({ field: 'param.voice_id', accepted: expect.stringContaining('ElevenLabs') })]);
  });

  it('checks formats, kinds, sizes and URLs', () => {
    expect(fields(input({ audio: asset('voice.mid') }))).toEqual(['audio']);
    expect(fields(input({ video: asset('talk.mkv') }))).toEqual(['video']);
    expect(fields(input({ audio: asset('face.png') }))).toContain('audio');
    expect(fields(input({ video: asset('talk.mp4', { size: 6 * 1024 ** 3 }) }))).toEqual(['video']);
    expect(fields(input({ video: { url: 'ftp://x.test/a.mp4' } }))).toEqual(['video']);
    expect(syncSpec.validate(input({ audio: asset('voice.wma') }))).toEqual([]);
    expect(fields(input({ video: undefined, avatar: asset('face.gif') }))).toEqual(['avatar']);
  });

  it('caps audio at 300 s, and react-1 inputs at 15 s', () => {
    expect(fields(input({ audio: asset('voice.wav', { durationSec: 301 }) }))).toEqual(['audio']);
    expect(syncSpec.validate(input({ audio: asset('voice.wav', { durationSec: 299 }) }))).toEqual([]);
    const react = { params: { model: 'react-1' } };
    expect(fields(input({ ...react, audio: asset('voice.wav', { durationSec: 16 }) }))).toEqual(['audio']);
    expect(fields(input({ ...react, video: asset('talk.mp4', { durationSec: 20 }), audio: asset('voice.wav', { durationSec: 16 }) }))).toEqual(['video', 'audio']);
    expect(syncSpec.validate(input({ ...react, video: asset('talk.mp4', { durationSec: 10 }), audio: asset('voice.wav', { durationSec: 10 }) }))).toEqual([]);
  });

  it('allows model_mode and emotion only with react-1', () => {
    const short = { video: asset('talk.mp4', { durationSec: 5 }) };
    expect(syncSpec.validate(input({ ...short, params: { model: 'react-1', model_mode: 'head', emotion: 'happy' } }))).toEqual([]);
    expect(fields(input({ params: { model: 'lipsync-2', model_mode: 'face', emotion: 'sad' } }))).toEqual(['param.model_mode', 'param.emotion']);
    expect(fields(input({ ...short, params: { model: 'react-1', emotion: 'bored' } }))).toEqual(['param.emotion']);
  });

  it('checks segments field by field', () => {
    const issues = syncSpec.validate(
      input({
        params: {
          segments: [
            { startTime: 5, endTime: 2, audio: 'https://x.test/a.mp3' },
            { startTime: 0, endTime: 2, audio: 'a.mp3', audioStartTime: 1 },
            { startTime: 2, endTime: 4, audio: 'https://x.test/b.mp3', audioStartTime: 3, audioEndTime: 1 },
          ],
        },
      }),
    );
    expect(issues.map((i) => i.field)).toEqual(['param.segments.0.endTime', 'param.segments.1.audio', 'param.segments.1.audioEndTime', 'param.segments.2.audioEndTime']);
    expect(fields(input({ params: { segments: [{ startTime: 0, endTime: 1 }] } }))).toEqual(['param.segments.0.audio']);
  });

  it('flags a prompt, which Sync.so does not use', () => {
    expect(syncSpec.validate(input({ prompt: 'smile' }))).toEqual([expect.objectContaining({ field: 'prompt' })]);
  });
});

describe('syncSpec.estimateCost', () => {
  it('bills the audio length at the upper published rate', () => {
    const c = syncSpec.estimateCost(input());
    expect(c).toEqual({ amount: 0.399, unit: 'USD', rule: expect.stringContaining('sync-3: $0.133 per second') });
    expect(c.rule).toContain('3.0 s (audio length)');
    expect(syncSpec.estimateCost(input({ params: { model: 'lipsync-2-pro' }, audio: asset('v.wav', { durationSec: 10 }) })).amount).toBe(0.83);
    expect(syncSpec.estimateCost(input({ params: { model: 'lipsync-2' }, audio: asset('v.wav', { durationSec: 10 }) })).amount).toBe(0.5);
  });

  it('assumes lipsync-2 rates for react-1 and lipsync-1.9.0-beta, and says so', () => {
    for (const model of ['react-1', 'lipsync-1.9.0-beta'] as const) {
      const c = syncSpec.estimateCost(input({ params: { model }, audio: asset('v.wav', { durationSec: 10 }) }));
      expect(c.amount).toBe(0.5);
      expect(c.rule).toContain('assumed');
      expect(SYNC_RATES[model].assumed).toBe(true);
    }
    expect(syncSpec.costRule).toContain('assumed');
  });

  it('rounds up to whole frames at 25 fps', () => {
    expect(syncCostFor('lipsync-2', 1.01)).toBe(0.052);
    expect(syncCostFor('lipsync-2', 1)).toBe(0.05);
  });

  it('uses the spoken length of a script when there is no audio', () => {
    const script = Array.from({ length: 150 }, () => 'word').join(' ');
    const c = syncSpec.estimateCost(input({ audio: undefined, script, params: { model: 'lipsync-2', voice_id: 'v' } }));
    expect(c.amount).toBe(3);
    expect(c.rule).toContain('60.0 s (estimated spoken length of the script)');
  });

  it('is capped by the video length with cut_off', () => {
    const c = syncSpec.estimateCost(input({ video: asset('t.mp4', { durationSec: 2 }), audio: asset('v.wav', { durationSec: 10 }), params: { model: 'lipsync-2', sync_mode: 'cut_off' } }));
    expect(c.amount).toBe(0.1);
    expect(c.rule).toContain('cut_off');
  });

  it('says unknown (not free) when no length is known', () => {
    const c = syncSpec.estimateCost(input({ audio: { url: 'https://x.test/a.mp3' } }));
    expect(c.amount).toBeNull();
    expect(c.rule).toContain('unknown');
  });
});

describe('syncSpec.modeOf', () => {
  it('tells video/photo and audio/script apart', () => {
    expect(syncSpec.modeOf(input())).toBe('video_audio');
    expect(syncSpec.modeOf(input({ audio: undefined, script: 'Hi', params: { voice_id: 'v' } }))).toBe('video_script');
    expect(syncSpec.modeOf(input({ video: undefined, avatar: asset('face.png') }))).toBe('image_audio');
    expect(syncSpec.modeOf(input({ video: undefined, avatar: asset('face.png'), audio: undefined, script: 'Hi' }))).toBe('image_script');
    expect(syncSpec.modeOf(input({ video: undefined, avatar: asset('presenter.mov') }))).toBe('video_audio');
    const ids = syncSpec.modes.map((m) => m.id);
    expect(ids).toEqual(['video_audio', 'video_script', 'image_audio', 'image_script']);
  });
});

describe('syncOutputFileName', () => {
  it('keeps letters, digits, _ and -, at most 255 characters, never empty', () => {
    expect(syncOutputFileName('My video: take #1')).toBe('My_video_take_1');
    expect(syncOutputFileName('Café déjà-vu')).toBe('Cafe_deja-vu');
    expect(syncOutputFileName('promo.mp4')).toBe('promo');
    expect(syncOutputFileName('')).toBe('talkbatch');
    expect(syncOutputFileName('***')).toBe('talkbatch');
    expect(syncOutputFileName('日本語')).toBe('talkbatch');
    const long = syncOutputFileName('a b'.repeat(200));
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
  });
});
