import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, dataPaths, DataDirLockedError, defaultDataDir, ensureDataDirs, type LockInfo } from '../../electron/core/data-dir';

let dir: string;
let lockFile: string;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-lock-'));
  lockFile = path.join(dir, 'talkbatch.lock');
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Another process that takes the lock with the real acquireLock and holds it until its stdin closes. */
async function holdLockInOtherProcess(): Promise<ChildProcessWithoutNullStreams> {
  const script = path.join(dir, 'hold-lock.ts');
  const dataDirModule = path.resolve(__dirname, '../../electron/core/data-dir.ts');
  writeFileSync(
    script,
    `import { acquireLock } from ${JSON.stringify(dataDirModule)};
const lock = acquireLock(${JSON.stringify(lockFile)}, { mode: 'server', url: 'http://127.0.0.1:4321' });
process.stdout.write('locked\\n');
process.stdin.resume();
process.stdin.on('end', () => { lock.release(); process.stdout.write('released\\n'); process.exit(0); });
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve(__dirname, '../..'), stdio: 'pipe' });
  children.push(child);
  await waitForLine(child, 'locked');
  return child;
}

function waitForLine(child: ChildProcessWithoutNullStreams, line: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "${line}" from the child within ${timeoutMs} ms: ${out} ${err}`)), timeoutMs);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!out.split('\n').includes(line)) reject(new Error(`child exited (${code}) before "${line}": ${out} ${err}`));
    });
  });
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('data-dir lock', () => {
  it('writes who holds it, and release() removes it', () => {
    const lock = acquireLock(lockFile, { mode: 'cli' });
    const info = JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo;
    expect(info).toMatchObject({ pid: process.pid, mode: 'cli' });
    expect(Math.abs(info.startedAt - Date.now())).toBeLessThan(60_000);
    if (process.platform !== 'win32') expect(statSync(lockFile).mode & 0o777).toBe(0o600);
    lock.update('http://127.0.0.1:9999');
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:9999' });
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
    // Released: it can be taken again at once.
    acquireLock(lockFile, { mode: 'cli' }).release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a second acquire while another live process holds it throws DataDirLockedError with a clear message', async () => {
    const holder = await holdLockInOtherProcess();
    let thrown: unknown;
    try {
      acquireLock(lockFile, { mode: 'cli' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DataDirLockedError);
    const err = thrown as DataDirLockedError;
    expect(err.holder).toMatchObject({ pid: holder.pid, mode: 'server', url: 'http://127.0.0.1:4321' });
    expect(err.dir).toBe(dir);
    expect(err.message).toContain(`Talkbatch is already running for ${dir}`);
    expect(err.message).toContain(`process ${holder.pid}`);
    expect(err.message).toContain('at http://127.0.0.1:4321');
    expect(err.message).toMatch(/stop it first, or choose another --data-dir/);
    // The holder's lock is untouched by the failed attempt…
    expect((JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo).pid).toBe(holder.pid);
    // …and once the holder releases it, it can be taken.
    const exited = new Promise((r) => holder.once('exit', r));
    holder.stdin.end();
    await exited;
    expect(existsSync(lockFile)).toBe(false);
    acquireLock(lockFile, { mode: 'cli' }).release();
  });

  it('takes over a stale lock left by a process that died', () => {
    const pid = deadPid();
    writeFileSync(lockFile, JSON.stringify({ pid, mode: 'server', startedAt: Date.now() - 3_600_000 }));
    const lock = acquireLock(lockFile, { mode: 'cli' });
    expect((JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo).pid).toBe(process.pid);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a half-written lock (a process died while writing it)', () => {
    writeFileSync(lockFile, '{"pid": 12');
    const lock = acquireLock(lockFile, { mode: 'cli' });
    expect((JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo).pid).toBe(process.pid);
    lock.release();
  });

  it('release() never removes a lock that another process holds now', () => {
    const lock = acquireLock(lockFile, { mode: 'cli' });
    // Someone took it over (e.g. after this process was judged dead).
    writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, mode: 'server', startedAt: Date.now() }));
    lock.release();
    expect(existsSync(lockFile)).toBe(true);
  });
});

describe('data paths', () => {
  it('lays out the data folder', () => {
    const p = dataPaths(dir);
    expect(p).toEqual({
      root: dir,
      db: path.join(dir, 'talkbatch.db'),
      assets: path.join(dir, 'assets'),
      library: path.join(dir, 'Library'),
      work: path.join(dir, 'work'),
      lock: path.join(dir, 'talkbatch.lock'),
      logs: path.join(dir, 'logs'),
    });
    ensureDataDirs(p);
    for (const d of [p.assets, p.work, p.logs]) expect(statSync(d).isDirectory()).toBe(true);
  });

  it('finds the platform data folder, or TALKBATCH_DATA_DIR', () => {
    expect(defaultDataDir({ TALKBATCH_DATA_DIR: 'rel/dir' }, 'linux', '/home/u')).toBe(path.resolve('rel/dir'));
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe(path.join('/home/u', '.config', 'Talkbatch'));
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/u')).toBe(path.join('/xdg', 'Talkbatch'));
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe(path.join('/Users/u', 'Library', 'Application Support', 'Talkbatch'));
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe(path.join('C:\\Users\\u\\AppData\\Roaming', 'Talkbatch'));
  });
});
