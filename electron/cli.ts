import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseCsv, parseJsonl } from '../shared/batch-format';
import { ACTION_COMMANDS, actionForCommand } from '../shared/actions';
import type { JobAction } from '../shared/contract';
import { isTerminal, STATUS_LABELS } from '../shared/lifecycle';
import { isProviderId, PROVIDER_IDS, PROVIDER_NAMES } from '../shared/providers';
import { AppError, formatIssue, type Issue } from '../shared/result';
import { openCore, type Core } from './core/app-core';
import { ASSET_HOST_FIELDS } from './core/assets/asset-host';
import { DataDirLockedError, defaultDataDir } from './core/data-dir';
import { publicJob } from './core/db/jobs';
import { NewerDatabaseError } from './core/db/migrate';
import { fileKeyCipher } from './core/secrets/cipher';
import { ASSET_HOST, isVaultOwner } from './core/secrets/vault';
import { asStorageError } from './core/storage';
import { VERSION } from './version';

/**
 * The `talkbatch` command. Same core as the app; credentials come from the vault or from
 * TALKBATCH_<PROVIDER>_* environment variables; secrets are read from stdin, never from argv.
 */
const HELP = `Talkbatch ${VERSION} — batch talking-video production

Usage:
  talkbatch run <batch.csv|batch.jsonl> [--wait] [--json] [--name NAME] [--test-first N] [--data-dir DIR]
      Checks every row first (nothing is queued if any row is invalid), then queues the batch.
      --wait runs the queue here until every job is finished, showing progress.
      Exit code: 0 all completed, 1 any failed or canceled, 2 invalid input.
  talkbatch work [--json]                         Run the queue here until nothing is left to do
                                                  (what is left waits for you, e.g. a decision).
  talkbatch jobs [--batch ID] [--json]            List jobs.
  talkbatch batches [--json]                      List batches.
  talkbatch cancel|retry|pause|resume <id|batch-id>...
  talkbatch check-again|send-again|mark-failed <id>...   Decide about a job whose request's answer was lost
  talkbatch keep-waiting|mark-failed <id>...             Decide about a stalled job
  talkbatch approve <id>...  |  talkbatch release <batch-id>   Approve a preview; render held test rows
  talkbatch keys set <provider> [--label NAME]    Save a key (read from stdin; several fields as name=value lines).
  talkbatch keys list | keys remove <key-id>
  talkbatch serve [--port N] [--host 127.0.0.1] [--demo]
      Runs the app in your browser (prints the URL with its access token).
      --demo starts local fakes of every provider (no account, no network).
  talkbatch --help | --version

Batch files: columns title, provider, script, avatar, audio, video, prompt and param.<name>;
paths are relative to the batch file. Providers: ${PROVIDER_IDS.join(', ')}.
Data folder: --data-dir, else TALKBATCH_DATA_DIR, else ${defaultDataDir()}.`;

type Out = { log: (s: string) => void; err: (s: string) => void };
const stdio: Out = { log: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

export async function main(argv: readonly string[], out: Out = stdio, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        wait: { type: 'boolean' },
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
        name: { type: 'string' },
        'test-first': { type: 'string' },
        batch: { type: 'string' },
        label: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        demo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    out.err(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: v, positionals: pos } = parsed;
  if (v.version) {
    out.log(VERSION);
    return 0;
  }
  const cmd = pos[0];
  if (v.help || !cmd) {
    out.log(HELP);
    return cmd || v.help ? 0 : 2;
  }
  const dataDir = v['data-dir'] ? path.resolve(v['data-dir']) : defaultDataDir();
  try {
    switch (cmd) {
      case 'run':
        return await run(pos[1], { dataDir, wait: !!v.wait, json: !!v.json, name: v.name, testFirst: v['test-first'] }, out);
      case 'work':
        return await withCoreAsync(dataDir, false, (core) => waitForBatch(core, null, !!v.json, out));
      case 'jobs':
        return withCore(dataDir, true, (core) => listJobs(core, v.batch, !!v.json, out));
      case 'batches':
        return withCore(dataDir, true, (core) => listBatches(core, !!v.json, out));
      case 'keys':
        return await withCoreAsync(dataDir, true, (core) => keys(core, pos.slice(1), v.label, stdin, out));
      case 'serve': {
        const { serve } = await import('./serve');
        return await serve({ dataDir, port: v.port ? Number(v.port) : 0, host: v.host ?? '127.0.0.1', demo: !!v.demo, out });
      }
      default: {
        // cancel, retry, send-again…: the job actions' own words (shared/actions.ts).
        const action = cmd ? actionForCommand(cmd) : undefined;
        if (action) return await withCoreAsync(dataDir, true, (core) => act(core, action, pos.slice(1), out));
        out.err(`Unknown command "${cmd}".\n\n${HELP}`);
        return 2;
      }
    }
  } catch (e) {
    if (e instanceof DataDirLockedError || e instanceof NewerDatabaseError) {
      out.err(e.message);
      return 3;
    }
    if (e instanceof AppError) {
      out.err(e.message);
      for (const i of e.issues ?? []) out.err(`  ${formatIssue(i)}`);
      return 2;
    }
    // A full disk, a read-only folder: one clear line instead of a stack trace.
    const storage = asStorageError(e, `the data folder ${dataDir}`, dataDir);
    if (storage) {
      out.err(`${storage.message}. Free some space (or fix the folder) and run the command again; what was already queued is kept.`);
      return 70;
    }
    throw e;
  }
}

function openCli(dataDir: string, noLock: boolean): Core {
  // TALKBATCH_ENGINE_TIMESCALE compresses the engine's own waits, to match provider fakes running on
  // compressed time (tests, soak runs, demos). Unset in real use.
  const timeScale = Number(process.env.TALKBATCH_ENGINE_TIMESCALE);
  return openCore({
    dataDir,
    mode: 'cli',
    cipher: (p) => fileKeyCipher(p.root),
    env: process.env,
    credentialsFromEnv: true,
    noLock,
    ...(Number.isFinite(timeScale) && timeScale > 0 ? { engine: { timeScale } } : {}),
  });
}

function withCore(dataDir: string, noLock: boolean, fn: (core: Core) => number): number {
  const core = openCli(dataDir, noLock);
  try {
    return fn(core);
  } finally {
    void core.close();
  }
}

async function withCoreAsync(dataDir: string, noLock: boolean, fn: (core: Core) => Promise<number>): Promise<number> {
  const core = openCli(dataDir, noLock);
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

async function run(
  file: string | undefined,
  o: Readonly<{ dataDir: string; wait: boolean; json: boolean; name: string | undefined; testFirst: string | undefined }>,
  out: Out,
): Promise<number> {
  if (!file) {
    out.err('talkbatch run needs a batch file: talkbatch run batch.csv');
    return 2;
  }
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    out.err(`Cannot read ${abs}: ${(e as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`);
    return 2;
  }
  const format = /\.jsonl?$/i.test(abs) ? 'jsonl' : 'csv';
  const parsed = format === 'csv' ? parseCsv(text) : parseJsonl(text);
  const testFirst = o.testFirst !== undefined ? Number(o.testFirst) : undefined;
  if (testFirst !== undefined && (!Number.isInteger(testFirst) || testFirst < 1)) {
    out.err('--test-first takes a whole number of rows, e.g. --test-first 3');
    return 2;
  }
  // --wait runs the queue in this process, so it must own the data folder; plain `run` only adds jobs.
  const core = openCli(o.dataDir, !o.wait);
  try {
    if (parsed.issues.length) return reportIssues(parsed.issues, abs, o.json, out);
    let admitted;
    try {
      admitted = await core.admission.admit({
        name: o.name ?? path.basename(abs).replace(/\.(csv|jsonl?)$/i, ''),
        rows: parsed.rows,
        baseDir: path.dirname(abs),
        source: abs,
        ...(testFirst !== undefined ? { testFirst } : {}),
      });
    } catch (e) {
      if (e instanceof AppError && e.code === 'invalid_batch') return reportIssues(e.issues ?? [], abs, o.json, out);
      throw e;
    }
    const { batchId, jobIds, report } = admitted;
    const priced = report.totals.filter((t) => t.amount > 0);
    const cost = priced.map((t) => (t.unit === 'USD' ? `$${t.amount.toFixed(2)}` : `${t.amount} credits`)).join(' + ') || 'free';
    if (!o.json) out.log(`Queued ${jobIds.length} job(s) as batch ${batchId} — estimated cost ${cost}${report.unknownCostRows ? ` (+ ${report.unknownCostRows} row(s) with unpublished prices)` : ''}.`);
    if (!o.wait) {
      if (!o.json) out.log('They run when Talkbatch runs (npm start, talkbatch serve), or now with: talkbatch run … --wait');
      else out.log(JSON.stringify({ batchId, jobs: jobIds.length, estimate: report.totals }));
      return 0;
    }
    return await waitForBatch(core, batchId, o.json, out);
  } finally {
    await core.close();
  }
}

function reportIssues(issues: readonly Issue[], file: string, json: boolean, out: Out): number {
  if (json) out.log(JSON.stringify({ ok: false, file, issues }));
  else {
    out.err(`${file}: ${issues.length} problem(s) found; nothing was queued.`);
    for (const i of issues) out.err(`  ${formatIssue(i)}`);
  }
  return 2;
}

/** Runs the queue until the batch (or, with null, every batch) has nothing left to do. */
async function waitForBatch(core: Core, batchId: string | null, json: boolean, out: Out): Promise<number> {
  const scope = batchId ? { batchId } : {};
  // Providers without a key would leave their jobs waiting forever: say so now, before running.
  const missing = [...new Set(core.jobs.list(scope).filter((j) => !isTerminal(j.status)).map((j) => j.provider))].filter((p) => (core.adapters.get(p)?.describe().credentialFields.length ?? 0) > 0 && !core.vault.configured(p));
  if (missing.length) {
    for (const p of missing) out.err(`${PROVIDER_NAMES[p]} has no key: set ${`TALKBATCH_${p.toUpperCase()}_…`} variables or run: talkbatch keys set ${p}`);
    out.err('The batch is queued; it runs once the keys are set.');
    return 2;
  }
  core.engine.start();
  let last = '';
  const show = () => {
    const counts = core.jobs.countsByStatus(batchId ?? undefined);
    const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    const line = `${counts.completed ?? 0}/${total} done` + Object.entries(counts)
      .filter(([s, n]) => s !== 'completed' && n)
      .map(([s, n]) => `, ${n} ${STATUS_LABELS[s as keyof typeof STATUS_LABELS].toLowerCase()}`)
      .join('');
    if (line !== last && !json) out.log(`[${new Date().toLocaleTimeString()}] ${line}`);
    last = line;
    return { counts, total };
  };
  const stopOn = new Promise<void>((resolve) => {
    const onSig = () => resolve();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
  });
  let interrupted = false;
  void stopOn.then(() => (interrupted = true));
  // Warnings reach the terminal as they happen (a full disk, a job that needs a decision, a stuck job).
  const warned = new Set<string>();
  const offNotices = core.events.on((name, payload) => {
    const n = payload as { level?: string; message?: string };
    if (name !== 'notice' || json || n.level !== 'warn' || !n.message || warned.has(n.message)) return;
    warned.add(n.message);
    out.err(`Warning: ${n.message}`);
  });
  for (;;) {
    const { counts, total } = show();
    // Finished when every job is terminal, or when what is left waits for a person (a decision, a
    // stalled job, an approval, a draft) and nothing is in flight.
    const open = core.jobs.list(scope).filter((j) => !isTerminal(j.status));
    const waitsForUser = open.every((j) => j.nextActionAt === null && j.status !== 'submitting');
    if (open.length === 0 || interrupted || (waitsForUser && core.engine.idle)) {
      const jobs = core.jobs.list(scope).map(publicJob);
      if (json) out.log(JSON.stringify({ batchId, total, counts, jobs }));
      else {
        for (const j of jobs.filter((x) => x.status !== 'completed')) {
          out.log(`  row ${j.row} "${j.input.title}" (${PROVIDER_NAMES[j.provider]}): ${STATUS_LABELS[j.status]}${j.error ? ` — ${j.error.message}` : ''}`);
        }
        if (interrupted) out.log('Stopped waiting. Jobs in flight stay recorded and resume the next time Talkbatch runs.');
        else out.log(`Library: ${core.library.dir}`);
      }
      offNotices();
      return (counts.completed ?? 0) === total ? 0 : 1;
    }
    await new Promise<void>((r) => {
      const t = setTimeout(r, 500);
      const off = core.events.on(() => {
        clearTimeout(t);
        off();
        r();
      });
    });
  }
}

function listJobs(core: Core, batchId: string | undefined, json: boolean, out: Out): number {
  const jobs = core.jobs.list(batchId ? { batchId } : {}).map(publicJob);
  if (json) {
    out.log(JSON.stringify(jobs));
    return 0;
  }
  if (!jobs.length) out.log('No jobs yet. Queue some with: talkbatch run batch.csv');
  for (const j of jobs) {
    const pct = j.progress !== null && j.status === 'running' ? ` ${Math.round(j.progress * 100)}%` : '';
    out.log(`${j.id}  row ${String(j.row).padStart(3)}  ${j.provider.padEnd(9)} ${STATUS_LABELS[j.status].padEnd(16)}${pct}  ${j.input.title}${j.error ? `  — ${j.error.message}` : ''}`);
  }
  return 0;
}

function listBatches(core: Core, json: boolean, out: Out): number {
  const batches = core.batches.summaries();
  if (json) out.log(JSON.stringify(batches));
  else for (const b of batches) out.log(`${b.id}  ${b.name}  ${b.completed}/${b.total} done, ${b.failed} failed, ${b.active} active`);
  return 0;
}

async function act(core: Core, action: JobAction, targets: readonly string[], out: Out): Promise<number> {
  const cmd = ACTION_COMMANDS[action].command;
  if (!targets.length) {
    out.err(`talkbatch ${cmd} needs a job id or a batch id`);
    return 2;
  }
  const ids: string[] = [];
  for (const t of targets) {
    if (core.batches.get(t)) ids.push(...core.jobs.list({ batchId: t }).map((j) => j.id));
    else if (core.jobs.get(t)) ids.push(t);
    else {
      const matches = core.jobs.list().filter((j) => j.id.startsWith(t) && t.length >= 6);
      if (matches.length === 1) ids.push(matches[0]!.id);
      else {
        out.err(`No job or batch "${t}"${matches.length > 1 ? ' (several jobs start with it; give more characters)' : ''}`);
        return 2;
      }
    }
  }
  const res = await core.engine.act(ids, action);
  out.log(`${res.changed} job(s) ${ACTION_COMMANDS[action].done}.`);
  const reasons = new Map<string, number>();
  for (const s of res.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  for (const [reason, n] of reasons) out.log(`  ${n} skipped: ${reason}`);
  return 0;
}

async function keys(core: Core, args: readonly string[], label: string | undefined, stdin: NodeJS.ReadableStream, out: Out): Promise<number> {
  const [sub, target] = args;
  if (sub === 'list') {
    for (const c of core.vault.list()) {
      out.log(`${c.id}  ${c.provider.padEnd(9)} ${c.label}${c.active ? ' (active)' : ''}  ${Object.entries(c.hints).map(([k, h]) => `${k}=${h}`).join(' ')}`);
    }
    return 0;
  }
  if (sub === 'remove' && target) {
    core.vault.remove(target);
    out.log('Key removed.');
    return 0;
  }
  if (sub !== 'set' || !target) {
    out.err('Usage: talkbatch keys set <provider> [--label NAME]  (the key is read from stdin)\n       talkbatch keys list | keys remove <key-id>');
    return 2;
  }
  if (!isVaultOwner(target)) {
    const keyed = PROVIDER_IDS.filter((p) => (core.adapters.get(p)?.describe().credentialFields.length ?? 0) > 0);
    out.err(`Unknown provider "${target}". Accepted: ${[...keyed, ASSET_HOST].join(', ')}`);
    return 2;
  }
  const fields = target === ASSET_HOST ? ASSET_HOST_FIELDS : (core.adapters.get(target)?.describe().credentialFields ?? []);
  if (!fields.length) {
    out.err(`${isProviderId(target) ? PROVIDER_NAMES[target] : target} needs no key.`);
    return 2;
  }
  const text = await readAll(stdin, fields.length === 1 && (stdin as { isTTY?: boolean }).isTTY ? `${fields[0]!.key}: ` : null, out);
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (fields.length === 1 && lines.length === 1 && !lines[0]!.includes('=')) values[fields[0]!.key] = lines[0]!;
  else {
    for (const l of lines) {
      const eq = l.indexOf('=');
      if (eq > 0) values[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
    }
  }
  if (!Object.keys(values).length) {
    out.err(`Nothing read from stdin. Pipe the key in, e.g.: printf '%s' "$KEY" | talkbatch keys set ${target}` + (fields.length > 1 ? `\nFor several fields, one per line: ${fields.map((f) => `${f.key}=…`).join(' ')}` : ''));
    return 2;
  }
  const saved = core.vault.set(target, label ?? 'Default', values);
  out.log(`Saved "${saved.label}" for ${target}: ${Object.entries(saved.hints).map(([k, h]) => `${k}=${h}`).join(' ')}`);
  return 0;
}

async function readAll(stdin: NodeJS.ReadableStream, prompt: string | null, out: Out): Promise<string> {
  if (prompt) {
    out.err(`${prompt}(input hidden; press Enter)`);
    const rl = createInterface({ input: stdin, terminal: false });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`talkbatch: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
