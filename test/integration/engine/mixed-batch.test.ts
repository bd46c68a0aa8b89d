import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../../../shared/providers';
import { sampleMp4 } from '../../fakes/base';
import { CLOUD_PROVIDERS, openHarness, rendersAt, type Harness } from '../../helpers/engine-harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a mixed batch through the real scheduler', () => {
  it('completes one job per provider, with real files, sidecars, thumbnails, one create each and a full manifest', async () => {
    h = await openHarness();
    const rows = PROVIDER_IDS.map((p, i) => h!.row(p, `Mixed ${i + 1} ${p}`));
    const { batchId, jobIds } = await h.admit(rows, { name: 'Mixed batch' });
    expect(jobIds).toHaveLength(6);

    const done = await h.waitForStatus(jobIds, ['completed', 'failed', 'canceled'], 20_000);
    for (const j of done) expect({ provider: j.provider, status: j.status, error: j.error }).toEqual({ provider: j.provider, status: 'completed', error: null });

    const lib = h.core.library.dir;
    for (const j of done) {
      const out = h.core.outputs.get(j.outputId!)!;
      expect(out.jobId).toBe(j.id);
      const video = path.join(lib, out.file);
      const bytes = readFileSync(video);
      expect(bytes.length).toBe(out.size);
      if (j.provider !== 'local') expect(bytes.equals(sampleMp4()), `${j.provider} output is the fake's sample.mp4`).toBe(true);
      else expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      expect(out.thumbnail, `${j.provider} has a thumbnail`).not.toBeNull();
      expect(existsSync(path.join(lib, out.thumbnail!))).toBe(true);
      const sidecar = JSON.parse(readFileSync(path.join(lib, out.sidecar), 'utf8')) as { jobId: string; provider: string; sha256: string; providerJobId: string | null };
      expect(sidecar).toMatchObject({ jobId: j.id, provider: j.provider, sha256: out.sha256, providerJobId: j.providerJobId });
      expect(path.dirname(out.sidecar)).toBe(path.dirname(out.file));
      expect(path.dirname(out.thumbnail!)).toBe(path.dirname(out.file));
    }
    expect(h.libraryFiles().filter((f) => f.endsWith('.part') || f.includes('.partial/'))).toEqual([]);

    for (const p of CLOUD_PROVIDERS) {
      expect(h.creates(p), `create requests at ${p}`).toHaveLength(1);
      expect(rendersAt(h.fakes, p), `renders at ${p}`).toBe(1);
    }

    const manifest = await h.core.library.manifest(batchId);
    const parsed = Papa.parse<Record<string, string>>(manifest.csv.trim(), { header: true });
    expect(parsed.data).toHaveLength(6);
    expect(parsed.data.map((r) => r.row).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
    for (const r of parsed.data) {
      const j = done.find((x) => String(x.row) === r.row)!;
      expect(r).toMatchObject({ provider: j.provider, status: 'completed', output_file: h.core.outputs.get(j.outputId!)!.file, provider_job_id: j.providerJobId ?? '' });
    }
    expect(readFileSync(manifest.path, 'utf8')).toBe(manifest.csv);

    // The finished batch is announced once.
    await h.waitForNotice(/Batch "Mixed batch" finished: 6 done/);
  });
});
