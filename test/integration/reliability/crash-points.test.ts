import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRepo } from '../../../electron/core/db/jobs';
import { integrity, libraryProblems, tempFiles, walk } from '../../reliability/lib/checks';
import { openRig, type Rig } from '../../reliability/lib/rig';

/**
 * Crash points too narrow for a random SIGKILL to hit reliably, made exact: the process dies (its core
 * is closed and opened again, as a restart does) right after the finished video and its sidecar were
 * moved into the library, before the job's completion was written. The next run saves it again under
 * the same name: one file, one library entry, nothing half-written.
 */

let rig: Rig | undefined;
let dir: string | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a crash while a finished video is being saved', () => {
  it('after the files are in place, before the completion is written: saved again under the same name, one library entry', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tb-crash-point-'));
    rig = await openRig(path.join(dir, 'data'));
    const jobs = rig.core.jobs as JobRepo & { transition: JobRepo['transition'] };
    const transition = jobs.transition.bind(jobs);
    let died = false;
    jobs.transition = (id, to, patch, event) => {
      if (to === 'completed' && !died) {
        died = true;
        // The process is gone: whatever this write belonged to never happens.
        throw new Error('simulated crash');
      }
      return transition(id, to, patch, event);
    };
    const [id] = await rig.admit([rig.row('sync', 'Crash while saving')]);
    await rig.waitFor(() => died, 'the crash point');
    expect(walk(rig.core.library.dir).filter((f) => f.endsWith('.mp4') && !f.startsWith('.partial'))).toHaveLength(1);

    await rig.restart();
    await rig.settled([id!]);
    const job = rig.core.jobs.mustGet(id!);
    expect(job.status).toBe('completed');
    expect(rig.core.db.prepare('SELECT count(*) AS n FROM outputs WHERE job_id = ?').get(id) as { n: number }).toEqual({ n: 1 });
    expect(walk(rig.core.library.dir).filter((f) => !f.startsWith('.partial'))).toEqual([
      path.join('Rig batch', '001-Crash while saving-sync.jpg'),
      path.join('Rig batch', '001-Crash while saving-sync.json'),
      path.join('Rig batch', '001-Crash while saving-sync.mp4'),
    ]);
    expect(libraryProblems(rig.core)).toEqual([]);
    expect(tempFiles(rig.dataDir)).toEqual([]);
    expect(integrity(rig.core.paths.db)).toBe('ok');
  });
});
