import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isTerminal } from '../../../shared/lifecycle';
import type { Core } from '../../../electron/core/app-core';
import type { JobInternal } from '../../../electron/core/db/jobs';
import { sampleMp4 } from '../../fakes/base';
import type { AllFakes } from '../../fakes/index';
import { CLOUD_PROVIDERS, type CloudProvider } from '../../helpers/engine-harness';

/**
 * The invariants every reliability test checks after its run: what "nothing lost, nothing paid twice,
 * nothing leaked" means, as code. Each returns a list of problems (empty = fine), so a failure names
 * every broken job at once instead of the first.
 */

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
export const SAMPLE_SHA = (): string => sha256(sampleMp4());

/** Every file under `dir` (relative), dot-folders included. */
export function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const rec = (d: string) => {
    for (const f of readdirSync(d)) {
      const abs = path.join(d, f);
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) rec(abs);
      else out.push(path.relative(dir, abs));
    }
  };
  rec(dir);
  return out.sort();
}

/** Temp files a crashed or interrupted run could leave: partial downloads, half-written files. */
export function tempFiles(dataDir: string, extraDirs: readonly string[] = []): string[] {
  const temp = /(\.part|\.tmp|\.part\.mp4|\.part\.jpg|\.thumb|\.upload-[^/]*|\.tmp-[^/]*)$/;
  return [dataDir, ...extraDirs].flatMap((d) => walk(d).filter((f) => temp.test(f) || f.split(path.sep).some((s) => s.startsWith('.tmp-') || s.startsWith('.upload-'))).map((f) => path.join(d, f)));
}

/** PRAGMA integrity_check on a read-only connection of its own. */
export function integrity(dbFile: string): string {
  const db = new Database(dbFile, { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

/** A render at a fake: what the provider would bill, and the reason it gave when it failed it. */
export type FakeRender = Readonly<{ id: string; createdAt: number; failure: string | null }>;

/** The renders a fake holds, by provider job id. */
export function fakeRenders(fakes: AllFakes, p: CloudProvider): Map<string, FakeRender> {
  const out = new Map<string, FakeRender>();
  const add = (id: string, createdAt: number, failure: string | undefined) => out.set(id, { id, createdAt, failure: failure ?? null });
  if (p === 'aisa') for (const v of fakes.aisa.videos.values()) add(v.id, v.createdAt, v.failWith?.message);
  else if (p === 'oshara') for (const [id, j] of fakes.oshara.jobs) add(String(id), j.createdAt, j.failWith?.message);
  else if (p === 'creatify') for (const j of fakes.creatify.jobs.values()) add(j.id, j.createdAt, j.failWith?.reason);
  else for (const j of fakes[p].jobs.values()) add(j.id, j.createdAt, j.failWith?.message);
  return out;
}

/** Why a job waits for a person (a decision, a failed check), or null. */
export function waitsForDecision(core: Core, j: JobInternal): string | null {
  if (j.status !== 'submit_unknown' || j.nextActionAt !== null) return null;
  const last = core.jobs.events(j.id).at(-1);
  return last?.errorCode === 'reconcile_unknown' || last?.errorCode === 'reconcile_failed' ? last.errorCode : null;
}

export type Decision = Readonly<{ jobId: string; provider: CloudProvider; action: 'mark_failed' | 'resubmit'; renderId: string | null; evidence: string }>;

/**
 * What a person does with a job that needs a decision, given what the provider's dashboard shows (the
 * fake's renders): a render that no other job owns and that was created after this job was sent means
 * the provider got it — mark it failed rather than pay twice (the video is in the provider's dashboard);
 * no such render means the request never arrived — send it again.
 */
export function decide(core: Core, fakes: AllFakes, jobs: readonly JobInternal[]): Decision[] {
  const claimed = new Set(core.jobs.list().map((j) => j.providerJobId).filter((x): x is string => !!x));
  const taken = new Set<string>();
  const out: Decision[] = [];
  for (const j of jobs) {
    const p = j.provider as CloudProvider;
    const evidence = core.jobs.events(j.id).at(-1)?.message ?? '';
    const orphan = [...fakeRenders(fakes, p).values()]
      .filter((r) => !claimed.has(r.id) && !taken.has(r.id) && r.createdAt >= (j.submittedAt ?? 0) - 2_000)
      .sort((a, b) => a.createdAt - b.createdAt)[0];
    if (orphan) taken.add(orphan.id);
    out.push({ jobId: j.id, provider: p, action: orphan ? 'mark_failed' : 'resubmit', renderId: orphan?.id ?? null, evidence });
  }
  return out;
}

export type LedgerOptions = Readonly<{
  /** Renders a person saw at the provider and marked failed instead of paying twice. */
  decided?: readonly Decision[];
  /** Providers to check (default: every cloud provider). */
  providers?: readonly CloudProvider[];
}>;

/**
 * Nothing paid twice: at every provider, each render belongs to exactly one job (its provider id), or to a
 * job a person marked failed after seeing it there; no job has two. Sync is counted by generations, not
 * requests (its reconcile re-sends under the same Idempotency-Key).
 */
export function ledgerProblems(core: Core, fakes: AllFakes, o: LedgerOptions = {}): string[] {
  const problems: string[] = [];
  const jobs = core.jobs.list();
  for (const p of o.providers ?? CLOUD_PROVIDERS) {
    const renders = fakeRenders(fakes, p);
    const mine = jobs.filter((j) => j.provider === p);
    const owners = new Map<string, string[]>();
    for (const j of mine) if (j.providerJobId) owners.set(j.providerJobId, [...(owners.get(j.providerJobId) ?? []), `row ${j.row}`]);
    for (const [id, rows] of owners) {
      if (rows.length > 1) problems.push(`${p}: render ${id} is claimed by ${rows.join(', ')}`);
      if (!renders.has(id)) problems.push(`${p}: ${rows.join(', ')} point(s) at render ${id}, which ${p} does not have`);
    }
    const decided = new Set((o.decided ?? []).filter((d) => d.provider === p && d.renderId).map((d) => d.renderId!));
    for (const id of renders.keys()) {
      if (!owners.has(id) && !decided.has(id)) problems.push(`${p}: render ${id} belongs to no job (paid for nothing, or paid twice)`);
    }
  }
  return problems;
}

/**
 * Nothing lost: every completed job has one library entry whose file is byte-identical to what the
 * provider served (sha256 of the file = the recorded sha256 = the sidecar's = the fake's sample.mp4 for
 * cloud renders), and the library holds no video that no job owns.
 */
export function libraryProblems(core: Core): string[] {
  const problems: string[] = [];
  const lib = core.library.dir;
  const jobs = core.jobs.list();
  const owned = new Set<string>();
  const expected = SAMPLE_SHA();
  for (const j of jobs.filter((x) => x.status === 'completed')) {
    const rows = core.db.prepare('SELECT id, file, sidecar, sha256 FROM outputs WHERE job_id = ?').all(j.id) as { id: string; file: string; sidecar: string; sha256: string }[];
    if (rows.length !== 1) problems.push(`row ${j.row} ${j.provider}: ${rows.length} library entries`);
    const o = rows.find((r) => r.id === j.outputId);
    if (!o) {
      problems.push(`row ${j.row} ${j.provider}: completed without its library entry`);
      continue;
    }
    owned.add(path.normalize(o.file));
    const file = path.join(lib, o.file);
    if (!existsSync(file)) {
      problems.push(`row ${j.row} ${j.provider}: ${o.file} is missing`);
      continue;
    }
    const got = sha256(readFileSync(file));
    if (got !== o.sha256) problems.push(`row ${j.row} ${j.provider}: ${o.file} has sha256 ${got}, the library recorded ${o.sha256}`);
    if (j.provider !== 'local' && got !== expected) problems.push(`row ${j.row} ${j.provider}: ${o.file} is not the provider's bytes (sha256 ${got})`);
    try {
      const side = JSON.parse(readFileSync(path.join(lib, o.sidecar), 'utf8')) as { sha256?: string; jobId?: string };
      if (side.sha256 !== got || side.jobId !== j.id) problems.push(`row ${j.row} ${j.provider}: sidecar ${o.sidecar} says ${side.jobId}/${side.sha256}`);
    } catch (e) {
      problems.push(`row ${j.row} ${j.provider}: sidecar ${o.sidecar} unreadable (${(e as Error).message})`);
    }
  }
  for (const f of walk(lib).filter((x) => /\.(mp4|mov|webm)$/.test(x) && !x.startsWith(`.partial${path.sep}`))) {
    if (!owned.has(path.normalize(f))) problems.push(`library file ${f} belongs to no completed job`);
  }
  return problems;
}

/** Jobs that are not terminal, with why. */
export function openJobs(core: Core): string[] {
  return core.jobs
    .list()
    .filter((j) => !isTerminal(j.status))
    .map((j) => `row ${j.row} ${j.provider} ${j.status}${waitsForDecision(core, j) ? ` (waits: ${waitsForDecision(core, j)})` : ''}: ${core.jobs.events(j.id).at(-1)?.message ?? ''}`);
}
