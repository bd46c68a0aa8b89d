import type { ProviderId } from '../../shared/providers';
import { startAisaFake } from './aisa';
import { Chaos, type ChaosOptions, type FakeOptions } from './base';
import { startCreatifyFake } from './creatify';
import { startOsharaFake } from './oshara';
import { startS3Fake } from './s3';
import { startSyncFake, SYNC_FAKE_KEY } from './sync';
import { startTechforgeFake } from './techforge';

/**
 * Every provider fake at once, with the environment that points Talkbatch at them: used by
 * `talkbatch serve --demo`, the end-to-end tests and the benchmarks.
 */
export type AllFakes = Awaited<ReturnType<typeof startAllFakes>>;

export async function startAllFakes(opts: FakeOptions = {}) {
  const [oshara, techforge, aisa, sync, creatify, s3] = await Promise.all([
    startOsharaFake(opts),
    startTechforgeFake(opts),
    startAisaFake(opts),
    startSyncFake(opts),
    startCreatifyFake(opts),
    startS3Fake(opts),
  ]);
  const baseUrls: Partial<Record<ProviderId, string>> = {
    oshara: oshara.url,
    techforge: techforge.url,
    aisa: aisa.url,
    sync: sync.url,
    creatify: creatify.url,
  };
  /** Env variables a server/CLI process reads (base URLs and demo keys). */
  const env: Record<string, string> = {
    TALKBATCH_OSHARA_BASE_URL: oshara.url,
    TALKBATCH_OSHARA_EMAIL: oshara.account.email,
    TALKBATCH_OSHARA_PASSWORD: oshara.account.password,
    TALKBATCH_TECHFORGE_BASE_URL: techforge.url,
    TALKBATCH_TECHFORGE_API_KEY: techforge.apiKey,
    TALKBATCH_AISA_BASE_URL: aisa.url,
    TALKBATCH_AISA_API_KEY: aisa.apiKey,
    TALKBATCH_SYNC_BASE_URL: sync.url,
    TALKBATCH_SYNC_API_KEY: SYNC_FAKE_KEY,
    TALKBATCH_CREATIFY_BASE_URL: creatify.url,
    TALKBATCH_CREATIFY_API_ID: 'test-api-id',
    TALKBATCH_CREATIFY_API_KEY: 'test-api-key',
    TALKBATCH_ASSET_HOST_ACCESS_KEY_ID: 'demo-access-key',
    TALKBATCH_ASSET_HOST_SECRET_ACCESS_KEY: 'demo-secret-key',
  };
  const assetHost = { endpoint: s3.url, region: 'auto', bucket: s3.bucket, prefix: 'talkbatch/', pathStyle: true };
  let rejections = 0;
  /** A distinct reason per injected rejection, so each failed job can be matched to the provider's words. */
  const reason = (provider: string) => `Chaos rejection #${++rejections} at ${provider}: the face could not be tracked`;
  return {
    oshara,
    techforge,
    aisa,
    sync,
    creatify,
    s3,
    baseUrls,
    env,
    assetHost,
    techforgeProjectId: techforge.projects[0]!.projectId,
    /** Makes the provider's next job fail at the provider (demo mode's TALKBATCH_DEMO_FAIL). */
    failNext(provider: string): void {
      const msg = 'The face could not be tracked in the avatar (demo failure)';
      if (provider === 'oshara') oshara.failNext(msg);
      else if (provider === 'techforge') techforge.failNextJob(msg);
      else if (provider === 'aisa') aisa.failNext('video_generation_failed', msg);
      else if (provider === 'sync') sync.failNext('generation_pipeline_failed', msg);
      else if (provider === 'creatify') creatify.failNext(msg);
    },
    /**
     * Fault-injection mode on every provider fake at once (one seeded Chaos drives them all; the S3 asset
     * host stays reliable: it is the user's own bucket). Returns the Chaos, whose `injected` log tells what
     * happened; `stop()` ends it.
     */
    chaos(options: ChaosOptions): Chaos {
      const chaos = new Chaos(options);
      oshara.server.setChaos({ chaos, creates: [{ method: 'POST', path: /^\/api\/(video-jobs|video-only)\/$/ }], reject: () => oshara.failNext(reason('oshara')) });
      techforge.server.setChaos({ chaos, creates: [{ method: 'POST', path: /^\/jobs\/v2$/ }], reject: () => techforge.failNextJob(reason('techforge')) });
      aisa.server.setChaos({ chaos, creates: [{ method: 'POST', path: /^\/v1\/videos$/ }], reject: () => aisa.failNext('moderation_blocked', reason('aisa')) });
      sync.server.setChaos({ chaos, creates: [{ method: 'POST', path: /^\/v2\/generate$/ }], reject: () => sync.rejectNext('generation_unsupported_media', reason('sync')) });
      creatify.server.setChaos({
        chaos,
        creates: [{ method: 'POST', path: /^\/api\/(aurora|lipsyncs|custom_template_jobs\/preview)\/$/ }],
        reject: () => creatify.rejectNext(reason('creatify')),
      });
      return chaos;
    },
    close: async () => {
      await Promise.all([oshara.close(), techforge.close(), aisa.close(), sync.close(), creatify.close(), s3.close()]);
    },
  };
}
