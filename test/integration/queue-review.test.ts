import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Handlers } from '../../shared/contract';
import type { Money } from '../../shared/model';
import type { ProviderId } from '../../shared/providers';
import { openCore, type Core } from '../../electron/core/app-core';
import { createHandlers, dispatch } from '../../electron/core/handlers';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';

/**
 * Issue 14 over the real core and SQLite: reordering (up, down, before), the render history behind the
 * time-left estimates, review states (keep / reject / redo) with their filter, sort and manifest column.
 */
let root: string;
let core: Core;
let h: Handlers;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'tb-review-'));
  core = openCore({ dataDir: path.join(root, 'data'), mode: 'server', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: true });
  h = createHandlers(core, { version: 'test', mode: 'server' });
});
afterEach(async () => {
  await core.close();
  rmSync(root, { recursive: true, force: true });
});

function batch(name: string, n: number, provider: ProviderId = 'local', params: Record<string, unknown> = {}) {
  return core.jobs.createBatch(
    { name, source: 'test', budget: null, estimate: [] as Money[] },
    Array.from({ length: n }, (_, i) => ({ row: i + 1, provider, input: { title: `${name} ${i + 1}`, script: 'Hello there.', params }, costEstimate: null, status: 'queued' as const })),
  );
}

const line = (batchId: string) =>
  core.jobs
    .list({ batchId })
    .sort((a, b) => a.priority - b.priority || a.row - b.row)
    .map((j) => j.input.title.split(' ').pop());

describe('jobs:reorder', () => {
  it('moves one job or a selection up and down within its batch', async () => {
    const { batch: b, jobIds } = batch('A', 5);
    await h['jobs:reorder']({ ids: [jobIds[2]!], position: 'up' });
    expect(line(b.id)).toEqual(['1', '3', '2', '4', '5']);
    await h['jobs:reorder']({ ids: [jobIds[0]!, jobIds[3]!], position: 'down' });
    expect(line(b.id)).toEqual(['3', '1', '2', '5', '4']);
    await h['jobs:reorder']({ ids: [jobIds[3]!], position: 'top' });
    expect(line(b.id)[0]).toBe('4');
    await h['jobs:reorder']({ ids: [jobIds[3]!], position: 'bottom' });
    expect(line(b.id).at(-1)).toBe('4');
  });

  it('drops jobs before another job (drag and drop), and keeps the batch’s place among batches', async () => {
    const a = batch('A', 4);
    const other = batch('B', 2);
    const otherBefore = core.jobs.list({ batchId: other.batch.id }).map((j) => j.priority);
    await h['jobs:reorder']({ ids: [a.jobIds[3]!], position: 'before', before: a.jobIds[1]! });
    expect(line(a.batch.id)).toEqual(['1', '4', '2', '3']);
    // The first waiting job of the batch keeps its priority: other batches are not overtaken.
    expect(Math.min(...core.jobs.list({ batchId: a.batch.id }).map((j) => j.priority))).toBe(1);
    expect(core.jobs.list({ batchId: other.batch.id }).map((j) => j.priority)).toEqual(otherBefore);
  });

  it('refuses "before" without the job to drop before', async () => {
    const { jobIds } = batch('A', 2);
    const res = await dispatch(h, 'jobs:reorder', { ids: [jobIds[0]], position: 'before' });
    expect(res).toMatchObject({ ok: false, error: { message: expect.stringContaining('needs that job') } });
  });
});

describe('queue:insights', () => {
  it('returns how long finished jobs took, per provider and model, with their video length', async () => {
    const { jobIds } = batch('Done', 3, 'sync', { model: 'lipsync-2' });
    const { jobIds: waiting } = batch('Waiting', 1, 'sync');
    jobIds.forEach((id, i) => {
      core.db.prepare("UPDATE jobs SET status = 'completed', submitted_at = ?, finished_at = ? WHERE id = ?").run(1000, 1000 + (i + 1) * 60_000, id);
    });
    core.outputs.insert({ id: 'o1', jobId: jobIds[0]!, file: 'a.mp4', thumbnail: null, sidecar: 'a.json', sha256: 'x', size: 1, durationSec: 12.5, createdAt: 5 });
    core.db.prepare('UPDATE jobs SET output_id = ? WHERE id = ?').run('o1', jobIds[0]!);
    const { history } = await h['queue:insights']({});
    expect(history).toHaveLength(3);
    expect(history).toEqual(expect.arrayContaining([{ provider: 'sync', model: 'lipsync-2', lengthSec: 12.5, renderSec: 60 }, { provider: 'sync', model: 'lipsync-2', lengthSec: null, renderSec: 180 }]));
    expect(waiting).toHaveLength(1);
  });
});

describe('library review', () => {
  function outputs() {
    const { batch: b, jobIds } = batch('Takes', 3, 'sync');
    const titles = ['Charlie', 'alpha', 'Bravo'];
    jobIds.forEach((id, i) => {
      core.db.prepare('UPDATE jobs SET input = json_set(input, ?, ?) WHERE id = ?').run('$.title', titles[i], id);
      core.outputs.insert({ id: `o${i}`, jobId: id, file: `${i}.mp4`, thumbnail: null, sidecar: `${i}.json`, sha256: 'x', size: 1, durationSec: [5, null, 9][i]!, createdAt: 100 + i });
      core.db.prepare('UPDATE jobs SET output_id = ?, status = ? WHERE id = ?').run(`o${i}`, 'completed', id);
    });
    return b.id;
  }

  it('stores keep / reject / redo, filters by each, and sorts', async () => {
    const batchId = outputs();
    await h['library:review']({ id: 'o0', review: 'redo' });
    await h['library:review']({ id: 'o1', review: 'approved' });
    expect((await h['library:list']({ review: 'redo' })).items.map((o) => o.id)).toEqual(['o0']);
    expect((await h['library:list']({ review: 'unreviewed' })).items.map((o) => o.id)).toEqual(['o2']);
    const titles = async (sort: 'title' | 'date' | 'duration' | 'review') => (await h['library:list']({ sort })).items.map((o) => o.title);
    expect(await titles('title')).toEqual(['alpha', 'Bravo', 'Charlie']);
    expect(await titles('date')).toEqual(['Bravo', 'alpha', 'Charlie']);
    expect(await titles('duration')).toEqual(['Bravo', 'Charlie', 'alpha']);
    expect(await titles('review')).toEqual(['Bravo', 'Charlie', 'alpha']);
    const { csv } = await h['batches:manifest']({ batchId });
    const lines = csv.split('\r\n');
    expect(lines[0]).toContain('review');
    expect(lines.find((l) => l.includes('Charlie'))).toContain(',redo');
    expect(lines.find((l) => l.includes('alpha'))).toContain(',keep');
  });

  it('rejects an unknown review word and an unknown sort', async () => {
    outputs();
    expect(await dispatch(h, 'library:review', { id: 'o0', review: 'maybe' })).toMatchObject({ ok: false });
    expect(await dispatch(h, 'library:list', { sort: 'size' })).toMatchObject({ ok: false });
  });
});
