import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { electronBindingFolder, nativeBindingFor } from '../../electron/core/db/native-binding';

/**
 * Issue 19 item 1: Electron loads a better-sqlite3 binding built for its own ABI, prepared in its own
 * folder from a staging copy — node_modules' Node build (CLI, server mode, tests) is never touched.
 * The download/compile itself (@electron/rebuild) needs the network: here a stand-in produces the file.
 */

const REPO = path.resolve(__dirname, '..', '..');
type Rebuild = (o: { buildPath: string; electronVersion: string; platform: string; arch: string; onlyModules: string[]; force: boolean }) => Promise<void>;
type Prepared = { ok: true; path: string; prepared: boolean } | { ok: false; error: string };
type NativeScript = {
  bindingFolder(v: string, p: string, a: string): string;
  prepareElectronBinding(o: { root: string; electronVersion: string; platform: string; arch: string; rebuild: Rebuild; log: (s: string) => void }): Promise<Prepared>;
};
const script = async () => (await import(pathToFileURL(path.join(REPO, 'scripts', 'electron-native.mjs')).href)) as NativeScript;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A project folder with a stand-in better-sqlite3 package whose build is "the Node one". */
function project(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tb-native-'));
  dirs.push(root);
  const pkg = path.join(root, 'node_modules', 'better-sqlite3');
  mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
  mkdirSync(path.join(pkg, 'lib'), { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'better-sqlite3', version: '12.6.2' }));
  writeFileSync(path.join(pkg, 'lib', 'index.js'), 'module.exports = {};');
  writeFileSync(path.join(pkg, 'build', 'Release', 'better_sqlite3.node'), 'NODE-ABI-115');
  return root;
}

/** Stands in for @electron/rebuild: writes a binding into the module it was given, and records the call. */
function fakeRebuild(calls: Parameters<Rebuild>[0][], content = 'ELECTRON-ABI-150'): Rebuild {
  return async (o) => {
    calls.push(o);
    const out = path.join(o.buildPath, 'node_modules', 'better-sqlite3', 'build', 'Release');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'better_sqlite3.node'), content);
  };
}

describe('which binding a runtime loads', () => {
  it('Node: the one in node_modules (no option); Electron: its own folder, keyed by version, platform and arch', () => {
    const base = { isPackaged: false, appRoot: '/src/talkbatch', resourcesPath: '/unused', platform: 'linux', arch: 'x64' };
    expect(nativeBindingFor({ ...base, electronVersion: undefined })).toBeUndefined();
    expect(nativeBindingFor({ ...base, electronVersion: '45.4.1' })).toBe(path.join('/src/talkbatch', 'native', 'electron-45.4.1-linux-x64', 'better_sqlite3.node'));
    expect(nativeBindingFor({ ...base, electronVersion: '45.4.1', isPackaged: true, resourcesPath: '/opt/Talkbatch/resources' })).toBe(
      path.join('/opt/Talkbatch/resources', 'native', 'better_sqlite3.node'),
    );
  });

  it('the preparing script names the folder exactly as the app looks for it', async () => {
    const s = await script();
    for (const [v, p, a] of [['45.4.1', 'linux', 'x64'], ['45.4.1', 'darwin', 'arm64'], ['46.0.0', 'win32', 'x64']] as const) {
      expect(s.bindingFolder(v, p, a)).toBe(electronBindingFolder(v, p, a));
    }
  });
});

describe('preparing the Electron binding', () => {
  it('works on a staging copy, leaves node_modules alone, and puts the result where the app looks', async () => {
    const s = await script();
    const root = project();
    const calls: Parameters<Rebuild>[0][] = [];
    const r = await s.prepareElectronBinding({ root, electronVersion: '45.4.1', platform: 'linux', arch: 'x64', rebuild: fakeRebuild(calls), log: () => {} });
    const want = nativeBindingFor({ electronVersion: '45.4.1', isPackaged: false, appRoot: root, resourcesPath: '', platform: 'linux', arch: 'x64' })!;
    expect(r).toEqual({ ok: true, path: want, prepared: true });
    expect(readFileSync(want, 'utf8')).toBe('ELECTRON-ABI-150');
    // The Node build is untouched; the rebuild never saw the project itself.
    expect(readFileSync(path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), 'utf8')).toBe('NODE-ABI-115');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ electronVersion: '45.4.1', platform: 'linux', arch: 'x64', onlyModules: ['better-sqlite3'], force: true });
    expect(calls[0]!.buildPath.startsWith(path.join(root, 'native', '.staging-'))).toBe(true);
    // The staging copy is gone; only the prepared folder stays.
    expect(readdirSync(path.join(root, 'native'))).toEqual(['electron-45.4.1-linux-x64']);
    // Once prepared, it is not prepared again.
    expect(await s.prepareElectronBinding({ root, electronVersion: '45.4.1', platform: 'linux', arch: 'x64', rebuild: fakeRebuild(calls), log: () => {} })).toEqual({ ok: true, path: want, prepared: false });
    expect(calls).toHaveLength(1);
  });

  it('reports a failed download/compile with its message, and leaves no half-made binding', async () => {
    const s = await script();
    const root = project();
    const r = await s.prepareElectronBinding({
      root,
      electronVersion: '45.4.1',
      platform: 'linux',
      arch: 'x64',
      rebuild: async () => {
        throw new Error('getaddrinfo ENOTFOUND github.com');
      },
      log: () => {},
    });
    expect(r).toEqual({ ok: false, error: 'getaddrinfo ENOTFOUND github.com' });
    expect(readdirSync(path.join(root, 'native'))).toEqual([]);
  });
});

describe('electron-builder beforePack hook', () => {
  const hook = createRequire(__filename)(path.join(REPO, 'scripts', 'before-pack.cjs')) as {
    default: (ctx: { electronPlatformName: string; arch: number }, deps: Record<string, unknown>) => Promise<void>;
    notarizeCredentials: (env: Record<string, string>) => { ok: boolean; message?: string; kind?: string };
  };

  it('stages the binding for the target platform and arch in native/pack, never in node_modules', async () => {
    const root = project();
    const calls: Parameters<Rebuild>[0][] = [];
    const lines: string[] = [];
    await hook.default({ electronPlatformName: 'darwin', arch: 3 }, { root, electronVersion: '45.4.1', rebuild: fakeRebuild(calls), env: {}, log: (l: string) => lines.push(l) });
    expect(calls[0]).toMatchObject({ platform: 'darwin', arch: 'arm64', electronVersion: '45.4.1' });
    expect(readFileSync(path.join(root, 'native', 'pack', 'better_sqlite3.node'), 'utf8')).toBe('ELECTRON-ABI-150');
    expect(readFileSync(path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), 'utf8')).toBe('NODE-ABI-115');
    // No Apple credentials: said plainly, not a silent "skipped".
    expect(lines.join('\n')).toMatch(/macOS notarization skipped: no Apple credentials in the environment\. Set APPLE_API_KEY/);
  });

  it('fails the packaging with the reason when no binding can be had', async () => {
    const root = project();
    await expect(
      hook.default({ electronPlatformName: 'linux', arch: 1 }, { root, electronVersion: '45.4.1', rebuild: async () => Promise.reject(new Error('no prebuild and no compiler')), log: () => {} }),
    ).rejects.toThrow('Cannot package for linux-x64: no prebuild and no compiler');
    expect(existsSync(path.join(root, 'native', 'pack'))).toBe(false);
  });

  it('recognises each of electron-builder\'s three notarization credential sets', () => {
    expect(hook.notarizeCredentials({ APPLE_API_KEY: 'k', APPLE_API_KEY_ID: 'i', APPLE_API_ISSUER: 's' })).toEqual({ ok: true, kind: 'App Store Connect API key' });
    expect(hook.notarizeCredentials({ APPLE_ID: 'a', APPLE_APP_SPECIFIC_PASSWORD: 'p', APPLE_TEAM_ID: 't' })).toEqual({ ok: true, kind: 'Apple ID' });
    expect(hook.notarizeCredentials({ APPLE_KEYCHAIN: 'k', APPLE_KEYCHAIN_PROFILE: 'p' })).toEqual({ ok: true, kind: 'keychain profile' });
    expect(hook.notarizeCredentials({ APPLE_ID: 'a' }).ok).toBe(false);
  });
});
