import type { JobInput } from '../../../../shared/model';
import type { ProviderId } from '../../../../shared/providers';
import { localSpec } from '../../../../shared/providers/local';
import { aisaAdapter } from '../../../../electron/core/providers/aisa';
import { creatifyAdapter } from '../../../../electron/core/providers/creatify';
import { localAdapter } from '../../../../electron/core/providers/local';
import { osharaAdapter } from '../../../../electron/core/providers/oshara';
import { syncAdapter } from '../../../../electron/core/providers/sync';
import { techforgeAdapter } from '../../../../electron/core/providers/techforge';
import type { ProviderAdapter } from '../../../../electron/core/providers/types';
import { startAisaFake } from '../../../fakes/aisa';
import type { FakeServer } from '../../../fakes/base';
import { startCreatifyFake } from '../../../fakes/creatify';
import { startOsharaFake } from '../../../fakes/oshara';
import { startSyncFake, SYNC_FAKE_KEY } from '../../../fakes/sync';
import { startTechforgeFake } from '../../../fakes/techforge';
import { testContext, type TestAssets, type TestContext } from '../../../helpers/context';

/**
 * What the conformance suite needs to know of each adapter, and nothing more: how to start its fake,
 * a job it renders, how to make its provider refuse a job, and what the provider documents (how a lost
 * create is found again, whether a render can be stopped). Every "no" says why.
 */
export type Rig = Readonly<{
  ctx: TestContext;
  /** A job the provider renders. */
  input(): JobInput;
  /** Arranges for the provider to refuse the next job as invalid (a 4xx from the provider; local: its own checks) and returns that job. */
  invalid(): JobInput;
  /** Cloud providers: the fake (faults are injected there), a context with a key it refuses, the renders that exist there. */
  remote?: Readonly<{
    server: FakeServer;
    createPath: RegExp;
    wrongKey: Readonly<{ ctx: TestContext; secret: string }>;
    /** Renders that exist at the provider: what money was spent on. */
    created(): number;
  }>;
  close(): Promise<void>;
}>;

/** How a create whose answer was lost is settled. */
export type Lookup =
  /** The provider's list is searched: found when there, absent when proven not there. */
  | Readonly<{ kind: 'list'; how: string }>
  /** The same request is sent again under the same idempotency key: exactly one render either way. */
  | Readonly<{ kind: 'idempotency-key'; how: string }>
  /** Nothing can be looked up: a person decides, shown the evidence. */
  | Readonly<{ kind: 'person'; why: string }>
  /** A lost render costs nothing: it is simply made again. */
  | Readonly<{ kind: 'free'; why: string }>;

export type Profile = Readonly<{
  id: ProviderId;
  adapter: ProviderAdapter;
  /** `slow`: renders long enough to be stopped half-way (for the providers that can cancel). */
  start(assets: TestAssets, o?: Readonly<{ slow?: boolean }>): Promise<Rig>;
  lookup: Lookup;
  cancel: Readonly<{ supported: true }> | Readonly<{ supported: false; why: string }>;
  /** Where there is no account, request limit or server to fail, why. */
  noRemote?: string;
}>;

const WRONG = 'sk-wrong-conformance-secret-0001';

export const profiles: readonly Profile[] = [
  {
    id: 'local',
    adapter: localAdapter,
    async start(assets, o) {
      const ctx = testContext({ baseUrl: localSpec.defaultBaseUrl, credentials: {}, assets });
      const script = o?.slow ? 'This draft is long enough to be stopped half-way. '.repeat(40) : 'Hello.';
      return {
        ctx,
        input: () => ({ title: 'Conformance', script, avatar: assets.add('avatar.png').ref, params: { height: o?.slow ? 1080 : 480, aspect_ratio: '1:1', captions: 'none' } }),
        // No picture: the local renderer has nothing to animate.
        invalid: () => ({ title: 'Conformance', script: 'Hello.', params: {} }),
        close: async () => undefined,
      };
    },
    lookup: { kind: 'free', why: 'a local render costs nothing and leaves no trace at a provider, so it is simply rendered again' },
    cancel: { supported: true },
    noRemote: 'the local renderer has no account, no request limit and no server: ffmpeg runs on this computer',
  },
  {
    id: 'oshara',
    adapter: osharaAdapter,
    async start(assets) {
      const fake = await startOsharaFake({ renderSec: 20 });
      const input = (): JobInput => ({ title: 'Conformance', script: 'Welcome to the conformance suite.', avatar: assets.add('avatar.png').ref, audio: assets.add('voice.wav').ref, params: {} });
      return {
        ctx: testContext({ baseUrl: fake.url, credentials: { email: fake.account.email, password: fake.account.password }, assets }),
        input,
        invalid: () => {
          fake.rejectNext(400, { title: ['This field may not be blank.'] });
          return input();
        },
        remote: {
          server: fake.server,
          createPath: /^\/api\/video-jobs\/$/,
          wrongKey: { ctx: testContext({ baseUrl: fake.url, credentials: { apiKey: WRONG }, assets }), secret: WRONG },
          created: () => fake.jobs.size,
        },
        close: () => fake.close(),
      };
    },
    lookup: { kind: 'list', how: 'GET /video-jobs/, matched by title, script and creation time' },
    cancel: { supported: false, why: 'Oshara documents no cancel (nor delete) endpoint' },
  },
  {
    id: 'techforge',
    adapter: techforgeAdapter,
    async start(assets) {
      const fake = await startTechforgeFake({ timeScale: 0.001 });
      const project = fake.projects[0]!.projectId;
      const input = (): JobInput => ({ title: 'Conformance', avatar: assets.add('avatar.png').ref, audio: assets.add('voice.mp3').ref, params: { project_id: project } });
      return {
        ctx: testContext({ baseUrl: fake.url, credentials: { apiKey: fake.apiKey }, assets }),
        input,
        // A template value the project has no field for: the TFI controller answers 400.
        invalid: () => ({ ...input(), params: { project_id: project, values: { headline: 'Hi', mood: 'happy' } } }),
        remote: {
          server: fake.server,
          createPath: /^\/jobs\/v2$/,
          wrongKey: { ctx: testContext({ baseUrl: fake.url, credentials: { apiKey: WRONG }, assets }), secret: WRONG },
          created: () => fake.jobs.size,
        },
        close: () => fake.close(),
      };
    },
    lookup: { kind: 'person', why: 'TechForge has no job list and no idempotency key: a lost create cannot be looked up' },
    cancel: { supported: false, why: 'TechForge has no cancel: the internal PUT /jobs/:id overwrites the status and deducts credits' },
  },
  {
    id: 'aisa',
    adapter: aisaAdapter,
    async start(assets) {
      const fake = await startAisaFake({ timeScale: 0.002 });
      let n = 0;
      const input = (): JobInput => ({ title: 'Conformance', prompt: `A lighthouse at dawn, take ${++n} ${Date.now()}`, params: {} });
      return {
        ctx: testContext({ baseUrl: fake.url, credentials: { apiKey: fake.apiKey }, assets }),
        input,
        invalid: () => {
          fake.rejectNext({ status: 400, code: 'invalid_value', message: 'Invalid size for this model', param: 'size' });
          return input();
        },
        remote: {
          server: fake.server,
          createPath: /^\/v1\/videos$/,
          wrongKey: { ctx: testContext({ baseUrl: fake.url, credentials: { apiKey: WRONG }, assets }), secret: WRONG },
          created: () => fake.videos.size,
        },
        close: () => fake.close(),
      };
    },
    lookup: { kind: 'list', how: 'GET /videos (newest first), matched by prompt, model, size, seconds and creation time' },
    cancel: { supported: false, why: 'the OpenAI Videos API cannot stop a queued or running video' },
  },
  {
    id: 'sync',
    adapter: syncAdapter,
    async start(assets, o) {
      const fake = await startSyncFake({ timeScale: 0.001, ...(o?.slow ? { renderSec: 100_000 } : {}) });
      const input = (): JobInput => ({ title: 'Conformance', video: assets.add('sample.mp4').ref, audio: { url: 'https://cdn.example.com/voice.mp3' }, params: {} });
      return {
        ctx: testContext({ baseUrl: fake.url, credentials: { apiKey: SYNC_FAKE_KEY }, assets }),
        input,
        invalid: () => {
          fake.errorNext(400, 'generation_input_validation_failed', 'input.0: the video has no frames');
          return input();
        },
        remote: {
          server: fake.server,
          createPath: /^\/v2\/generate$/,
          wrongKey: { ctx: testContext({ baseUrl: fake.url, credentials: { apiKey: WRONG }, assets }), secret: WRONG },
          created: () => fake.jobs.size,
        },
        close: () => fake.close(),
      };
    },
    lookup: { kind: 'idempotency-key', how: 'POST /v2/generate again with the same Idempotency-Key and body' },
    cancel: { supported: true },
  },
  {
    id: 'creatify',
    adapter: creatifyAdapter,
    async start(assets) {
      const fake = await startCreatifyFake({ timeScale: 0.002 });
      const input = (): JobInput => ({ title: 'Conformance', script: 'Welcome to the spring sale.', params: { product: 'lipsync', aspect_ratio: '9x16' } });
      return {
        ctx: testContext({ baseUrl: fake.url, credentials: { apiId: 'test-api-id', apiKey: 'test-api-key' }, assets }),
        input,
        // A link Creatify cannot use (a GIF): the create answers 400 naming the field.
        invalid: () => ({ title: 'Conformance', avatar: { url: 'https://cdn.example.com/face.gif' }, audio: assets.add('voice.mp3').ref, params: {} }),
        remote: {
          server: fake.server,
          createPath: /^\/api\/lipsyncs\/$/,
          wrongKey: { ctx: testContext({ baseUrl: fake.url, credentials: { apiId: 'test-api-id', apiKey: WRONG }, assets }), secret: WRONG },
          created: () => fake.jobs.size,
        },
        close: () => fake.close(),
      };
    },
    lookup: { kind: 'list', how: 'GET /api/lipsyncs/ (the documented list), matched by the job name marker' },
    cancel: { supported: false, why: 'Creatify documents no cancel endpoint' },
  },
];
