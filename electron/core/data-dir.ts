import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The platform's app-data folder, as Electron's `userData` for productName "Talkbatch". */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.TALKBATCH_DATA_DIR) return path.resolve(env.TALKBATCH_DATA_DIR);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Talkbatch');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Talkbatch');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Talkbatch');
}

export type DataPaths = Readonly<{ root: string; db: string; assets: string; library: string; work: string; lock: string; logs: string }>;

export function dataPaths(root: string): DataPaths {
  return {
    root,
    db: path.join(root, 'talkbatch.db'),
    assets: path.join(root, 'assets'),
    library: path.join(root, 'Library'),
    work: path.join(root, 'work'),
    lock: path.join(root, 'talkbatch.lock'),
    logs: path.join(root, 'logs'),
  };
}

export function ensureDataDirs(p: DataPaths): void {
  for (const d of [p.root, p.assets, p.work, p.logs]) mkdirSync(d, { recursive: true });
}

export type LockInfo = Readonly<{ pid: number; mode: string; startedAt: number; url?: string }>;

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockInfo,
  ) {
    super(
      `Talkbatch is already running for ${dir} (${holder.mode}, process ${holder.pid}, started ${new Date(holder.startedAt).toLocaleString()})` +
        `${holder.url ? ` at ${holder.url}` : ''}. Only one Talkbatch can own a queue at a time: use that one, stop it first, or choose another --data-dir.`,
    );
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process at a time owns the queue of a data dir. The lock file is created exclusively; a lock
 * left by a process that died (crash, SIGKILL) is taken over, since that process can no longer act.
 */
export function acquireLock(lockFile: string, info: Omit<LockInfo, 'pid' | 'startedAt'>): { release(): void; update(url: string): void } {
  const mine: LockInfo = { pid: process.pid, startedAt: Date.now(), ...info };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      let current = mine;
      return {
        release() {
          try {
            const onDisk = JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo;
            if (onDisk.pid === process.pid) unlinkSync(lockFile);
          } catch {
            // already gone
          }
        },
        update(url: string) {
          current = { ...current, url };
          const tmp = `${lockFile}.${process.pid}.tmp`;
          writeFileSync(tmp, JSON.stringify(current), { mode: 0o600 });
          renameSync(tmp, lockFile);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo;
      } catch {
        holder = undefined; // half-written by a process that died while writing: stale
      }
      if (holder && holder.pid !== process.pid && alive(holder.pid)) throw new DataDirLockedError(path.dirname(lockFile), holder);
      // Stale: move it aside atomically so two starters cannot both delete a fresh lock.
      try {
        renameSync(lockFile, `${lockFile}.stale-${process.pid}`);
        unlinkSync(`${lockFile}.stale-${process.pid}`);
      } catch {
        // someone else took it over first; retry the exclusive create
      }
    }
  }
  throw new Error(`Could not take the lock ${lockFile}`);
}
