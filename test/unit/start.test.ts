import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start`'s decisions (scripts/start-lib.mjs), issue 19 items 3 and 4: Electron's first download
 * runs in the foreground with its progress and real error and no time limit, and Ubuntu's sandbox
 * restriction is detected with the exact command that fixes it.
 */

const REPO = path.resolve(__dirname, '..', '..');
type SpawnResult = { status: number | null; signal?: string | null; error?: Error };
type StartLib = {
  installedElectron(pkgDir: string): string | null;
  downloadElectron(pkgDir: string, o: { spawnSync: (cmd: string, args: string[], opts: Record<string, unknown>) => SpawnResult; log: (s: string) => void }): { ok: boolean; bin?: string; error?: string };
  linuxSandboxProblem(o: { platform: string; distDir: string; readFile: (f: string) => string; stat: (f: string) => { uid: number; mode: number } }): string | null;
};
const lib = async () => (await import(pathToFileURL(path.join(REPO, 'scripts', 'start-lib.mjs')).href)) as StartLib;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('first download of Electron', () => {
  it('runs the installer in the foreground (progress and errors visible) with no time limit', async () => {
    const { downloadElectron } = await lib();
    const pkgDir = mkdtempSync(path.join(tmpdir(), 'tb-electron-pkg-'));
    dirs.push(pkgDir);
    const calls: { cmd: string; args: string[]; opts: Record<string, unknown> }[] = [];
    const log: string[] = [];
    const r = downloadElectron(pkgDir, {
      spawnSync: (cmd, args, opts) => {
        calls.push({ cmd, args, opts });
        // What install.js leaves behind when it succeeds.
        mkdirSync(path.join(pkgDir, 'dist'), { recursive: true });
        writeFileSync(path.join(pkgDir, 'dist', 'electron'), '');
        writeFileSync(path.join(pkgDir, 'path.txt'), 'electron');
        return { status: 0 };
      },
      log: (l) => log.push(l),
    });
    expect(r).toEqual({ ok: true, bin: path.join(pkgDir, 'dist', 'electron') });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args).toEqual([path.join(pkgDir, 'install.js')]);
    expect(calls[0]!.opts.stdio).toBe('inherit');
    expect(calls[0]!.opts).not.toHaveProperty('timeout');
    expect(log.join('\n')).toMatch(/about 100 MB, first start only/);
  });

  it('reports the installer\'s failure as such (its own message is on the terminal), not as a blocked server', async () => {
    const { downloadElectron } = await lib();
    const pkgDir = mkdtempSync(path.join(tmpdir(), 'tb-electron-pkg-'));
    dirs.push(pkgDir);
    const failed = downloadElectron(pkgDir, { spawnSync: () => ({ status: 1 }), log: () => {} });
    expect(failed).toEqual({ ok: false, error: "Electron's installer stopped (exit code 1); its message is above" });
    const interrupted = downloadElectron(pkgDir, { spawnSync: () => ({ status: null, signal: 'SIGINT' }), log: () => {} });
    expect(interrupted.error).toContain('signal SIGINT');
  });
});

describe("Ubuntu's sandbox restriction", () => {
  const dist = '/home/me/talkbatch/node_modules/electron/dist';
  const helper = path.join(dist, 'chrome-sandbox');
  const proc = (restricted: string | null) => (f: string) => {
    if (f === '/proc/sys/kernel/apparmor_restrict_unprivileged_userns' && restricted !== null) return `${restricted}\n`;
    throw new Error('ENOENT');
  };

  it('detects it (user namespaces restricted, helper not setuid root) and prints the exact fix', async () => {
    const { linuxSandboxProblem } = await lib();
    const msg = linuxSandboxProblem({ platform: 'linux', distDir: dist, readFile: proc('1'), stat: () => ({ uid: 1000, mode: 0o100755 }) });
    expect(msg).toContain(`sudo chown root:root ${helper} && sudo chmod 4755 ${helper}`);
    expect(msg).toContain('Ubuntu 23.10 or newer');
    expect(msg).toContain('never turns the');
  });

  it('stays quiet where the sandbox works', async () => {
    const { linuxSandboxProblem } = await lib();
    // Namespaces allowed; helper already setuid root; another OS; no helper at all.
    expect(linuxSandboxProblem({ platform: 'linux', distDir: dist, readFile: proc('0'), stat: () => ({ uid: 1000, mode: 0o100755 }) })).toBeNull();
    expect(linuxSandboxProblem({ platform: 'linux', distDir: dist, readFile: proc('1'), stat: () => ({ uid: 0, mode: 0o104755 }) })).toBeNull();
    expect(linuxSandboxProblem({ platform: 'darwin', distDir: dist, readFile: proc('1'), stat: () => ({ uid: 1000, mode: 0o100755 }) })).toBeNull();
    expect(
      linuxSandboxProblem({
        platform: 'linux',
        distDir: dist,
        readFile: proc('1'),
        stat: () => {
          throw new Error('ENOENT');
        },
      }),
    ).toBeNull();
  });

  it('also on older kernels that turn unprivileged user namespaces off (unprivileged_userns_clone = 0)', async () => {
    const { linuxSandboxProblem } = await lib();
    const readFile = (f: string) => {
      if (f === '/proc/sys/kernel/unprivileged_userns_clone') return '0';
      throw new Error('ENOENT');
    };
    expect(linuxSandboxProblem({ platform: 'linux', distDir: dist, readFile, stat: () => ({ uid: 1000, mode: 0o100755 }) })).toContain('sudo chmod 4755');
  });
});
