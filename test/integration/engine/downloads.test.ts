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
    const oshara = h.fakes.oshara;
    // The output disappears from storage: every download attempt gets 404 until it is back.
    let removedKey: string | undefined;
    oshara.server.intercept((req) => {
      const m = /^\/_files\/([^?]+)/.exec(req.url ?? '');
      if (m && !removedKey) {
        removedKey = decodeURIComponent(m[1]!);
        oshara.server.files.delete(removedKey);
      }
      return false;
    });
    const { jobIds } = await h.admit([h.row('oshara', 'Lost output')]);
    const id = jobIds[0]!;
    const [failed] = await h.waitForStatus(jobIds, ['failed', 'completed']);
    expect(failed!.status).toBe('failed');
    expect(failed!.error?.code).toBe('download_failed');
    expect(failed!.providerJobId).not.toBeNull();
    const downloadsBefore = oshara.server.requests('GET', /^\/_files\//).length;
    expect(downloadsBefore).toBeGreaterThan(1);
    expect(h.creates('oshara')).toHaveLength(1);

    oshara.server.addFile(removedKey!, { bytes: sampleMp4(), mime: 'video/mp4' });
    expect(await h.core.engine.act([id], 'retry')).toEqual({ changed: 1, skipped: [] });
    expect(h.job(id).status).toBe('downloading');
    const [done] = await h.waitForStatus([id], ['completed', 'failed']);
    expect(done!.status).toBe('completed');
    expect(done!.attempt).toBe(1);
    expect(done!.providerJobId).toBe(failed!.providerJobId);
    expect(done!.idempotencyKey).toBe(failed!.idempotencyKey);
    expect(oshara.server.requests('GET', /^\/_files\//).length).toBe(downloadsBefore + 1);
    const out = h.core.outputs.get(done!.outputId!)!;
    expect(readFileSync(path.join(h.core.library.dir, out.file)).equals(sampleMp4())).toBe(true);
    expect(h.creates('oshara')).toHaveLength(1);
    expect(rendersAt(h.fakes, 'oshara')).toBe(1);
  });
});
