import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleMp4 } from '../../fakes/base';
import { openHarness, rendersAt, type Harness } from '../../helpers/engine-harness';

/** A finished render is downloaded again, never rendered again: resumed after a cut, retried by the user. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('downloads', () => {
  it('a download cut at ~50% resumes with a Range request and ends byte-identical', async () => {
    h = await openHarness();
    const size = sampleMp4().length;
    h.fakes.sync.server.cutDownload({ key: /\.mp4$/, fraction: 0.5 });
    const { jobIds } = await h.admit([h.row('sync', 'Cut download')]);
    const [j] = await h.waitForStatus(jobIds, ['completed', 'failed']);
    expect(j!.status).toBe('completed');

    const gets = h.fakes.sync.server.requests('GET', /^\/_files\/.*\.mp4$/);
    expect(gets).toHaveLength(2);
    const cutAt = gets[0]!.cutAtBytes!;
    expect(cutAt).toBe(Math.floor(size / 2));
    expect(gets[0]!.headers.range).toBeUndefined();
    expect(gets[1]!.headers.range).toBe(`bytes=${cutAt}-`);
    expect(gets[1]!.status).toBe(206);

    const out = h.core.outputs.get(j!.outputId!)!;
    expect(readFileSync(path.join(h.core.library.dir, out.file)).equals(sampleMp4())).toBe(true);
    expect(out.size).toBe(size);
    expect(h.core.jobs.events(j!.id).map((e) => e.errorCode)).toContain('download_cut');
    expect(h.creates('sync')).toHaveLength(1);
    expect(rendersAt(h.fakes, 'sync')).toBe(1);
    expect(h.libraryFiles().filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it("a download that failed for good is downloaded again by the user's retry, with no new render", async () => {
    h = await openHarness();
    const tf = h.fakes.techforge;
    // The output disappears from storage when it is first asked for: TFI answers 404 "File not found".
    let removedKey: string | undefined;
    tf.server.intercept((req) => {
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('path');
      if ((req.url ?? '').startsWith('/storage/generate-signed-path') && key && !removedKey) {
        removedKey = key;
        tf.server.files.delete(key);
      }
      return false;
    });
    const { jobIds } = await h.admit([h.row('techforge', 'Lost output')]);
    const id = jobIds[0]!;
    const [failed] = await h.waitForStatus(jobIds, ['failed', 'completed']);
    expect(failed!.status).toBe('failed');
    expect(failed!.error?.code).toBe('download_failed');
    expect(failed!.error?.message).toMatch(/^The video was rendered but could not be downloaded: TechForge could not find the video file/);
    expect(failed!.providerJobId).not.toBeNull();
    const asked = () => tf.server.requests('GET', '/storage/generate-signed-path').length;
    const askedBefore = asked();
    expect(askedBefore).toBe(3);
    expect(h.creates('techforge')).toHaveLength(1);

    tf.server.addFile(removedKey!, { bytes: sampleMp4(), mime: 'video/mp4' });
    expect(await h.core.engine.act([id], 'retry')).toEqual({ changed: 1, skipped: [] });
    expect(h.job(id).status).toBe('downloading');
    const [done] = await h.waitForStatus([id], ['completed', 'failed']);
    expect(done!.status).toBe('completed');
    expect(done!.attempt).toBe(1);
    expect(done!.providerJobId).toBe(failed!.providerJobId);
    expect(done!.idempotencyKey).toBe(failed!.idempotencyKey);
    expect(asked()).toBe(askedBefore + 1);
    expect(tf.server.requests('GET', /^\/_files\//)).toHaveLength(1);
    const out = h.core.outputs.get(done!.outputId!)!;
    expect(readFileSync(path.join(h.core.library.dir, out.file)).equals(sampleMp4())).toBe(true);
    expect(h.creates('techforge')).toHaveLength(1);
    expect(rendersAt(h.fakes, 'techforge')).toBe(1);
  });
});
