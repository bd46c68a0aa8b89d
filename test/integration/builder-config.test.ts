import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_USER_MODEL_ID, trayIconPath, windowIconPath } from '../../electron/shell/lifecycle';
import { nativeBindingFor } from '../../electron/core/db/native-binding';

/**
 * electron-builder.yml, checked offline: it parses with electron-builder's own YAML reader and
 * config loader, passes its schema, and declares what the packaged app needs (targets per OS,
 * native and ffmpeg binaries outside the asar, the bundled main).
 */

const REPO = path.resolve(__dirname, '..', '..');
// The js-yaml, minimatch and config loader electron-builder itself uses.
const builderRequire = createRequire(path.join(REPO, 'node_modules', 'app-builder-lib', 'package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };
const { minimatch } = builderRequire('minimatch') as { minimatch(file: string, pattern: string, o?: { dot?: boolean }): boolean };

type Target = string | { target: string } | readonly (string | { target: string })[];
type FileSet = { from: string; to: string; filter: readonly string[] };
type BuilderConfig = {
  appId: string;
  npmRebuild: boolean;
  beforePack: string;
  extraResources: readonly FileSet[];
  productName: string;
  files: readonly string[];
  asarUnpack: readonly string[];
  extraMetadata: { main: string };
  linux: { target: Target; icon: string };
  mac: { target: Target; icon: string; hardenedRuntime: boolean; entitlements: string; entitlementsInherit: string; notarize: boolean };
  win: { target: Target; icon: string };
  nsis: { installerIcon: string };
  directories: { output: string };
};

const raw = readFileSync(path.join(REPO, 'electron-builder.yml'), 'utf8');
const config = yaml.load(raw) as BuilderConfig;
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { main: string; productName: string; dependencies: Record<string, string> };

function targets(t: Target): string[] {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x: string | { target: string }) => (typeof x === 'string' ? x : x.target));
}

const unpacked = (file: string) => config.asarUnpack.some((p) => minimatch(file, p, { dot: true }));

describe('electron-builder.yml', () => {
  it('parses as YAML into a config object', () => {
    expect(config).toBeTypeOf('object');
    expect(config.appId).toBe('app.talkbatch.desktop');
    expect(config.productName).toBe(pkg.productName);
  });

  it('declares AppImage + deb for Linux, dmg for macOS and nsis for Windows', () => {
    expect(targets(config.linux.target).sort()).toEqual(['AppImage', 'deb']);
    expect(targets(config.mac.target)).toEqual(['dmg']);
    expect(targets(config.win.target)).toEqual(['nsis']);
  });

  it('points main at the bundled dist/electron/main.cjs (the same as package.json)', () => {
    expect(config.extraMetadata.main).toBe('dist/electron/main.cjs');
    expect(pkg.main).toBe('dist/electron/main.cjs');
    expect(config.files).toContain('dist/**/*');
    expect(config.files).toContain('package.json');
    // The demo fakes and source maps stay out of the app.
    expect(config.files).toContain('!dist/electron/fakes.cjs');
  });

  it('unpacks better-sqlite3 and the ffmpeg/ffprobe binaries from the asar', () => {
    for (const file of [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/better-sqlite3/lib/index.js',
      'node_modules/@ffmpeg-installer/ffmpeg/index.js',
      'node_modules/@ffmpeg-installer/linux-x64/ffmpeg',
      'node_modules/@ffmpeg-installer/win32-x64/ffmpeg.exe',
      'node_modules/@ffmpeg-installer/darwin-arm64/ffmpeg',
      'node_modules/@ffprobe-installer/ffprobe/index.js',
      'node_modules/@ffprobe-installer/linux-x64/ffprobe',
      'node_modules/@ffprobe-installer/win32-x64/ffprobe.exe',
    ]) {
      expect(unpacked(file), file).toBe(true);
    }
    // …and not everything: the rest of node_modules stays packed.
    expect(unpacked('node_modules/zod/index.js')).toBe(false);
    expect(unpacked('dist/electron/main.cjs')).toBe(false);
  });

  it('unpacks the binaries actually installed here', () => {
    const installed = [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      `node_modules/@ffmpeg-installer/${process.platform}-${process.arch}/ffmpeg`,
      `node_modules/@ffprobe-installer/${process.platform}-${process.arch}/ffprobe`,
    ].filter((f) => existsSync(path.join(REPO, f)));
    expect(installed.length).toBeGreaterThan(0);
    for (const f of installed) expect(unpacked(f), f).toBe(true);
  });

  it('only native and binary dependencies are unpacked, and they are runtime dependencies', () => {
    for (const dep of ['better-sqlite3', '@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe']) expect(pkg.dependencies).toHaveProperty(dep);
  });

  it("loads and validates with electron-builder's own config loader and schema, offline", async () => {
    const { getConfig, validateConfiguration } = builderRequire('./out/util/config/config') as {
      getConfig(projectDir: string, configPath: string | null, fromOptions: unknown): Promise<Record<string, unknown>>;
      validateConfiguration(c: Record<string, unknown>, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = builderRequire('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const loaded = await getConfig(REPO, 'electron-builder.yml', null);
    expect(loaded).toMatchObject({ appId: 'app.talkbatch.desktop', extraMetadata: { main: 'dist/electron/main.cjs' } });
    await expect(validateConfiguration(loaded, new DebugLogger(false))).resolves.toBeUndefined();
    // The schema check is real: a typo in an option name is refused.
    await expect(validateConfiguration({ ...loaded, asarUnpak: ['x'] }, new DebugLogger(false))).rejects.toThrow(/unknown property 'asarUnpak'/);
  });
});

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(file: string): [number, number] {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('ascii'), file).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

describe('electron-builder.yml: packaging never touches the Node build, and ships what the app loads (issue 19)', () => {
  it('does not rebuild node_modules in place; a beforePack hook stages the Electron binding into resources/native', () => {
    expect(config.npmRebuild).toBe(false);
    expect(existsSync(path.join(REPO, config.beforePack))).toBe(true);
    const hook = builderRequire(path.join(REPO, config.beforePack)) as { default: unknown };
    expect(typeof hook.default).toBe('function');
    const native = config.extraResources.find((r) => r.to === 'native')!;
    expect(native).toEqual({ from: 'native/pack', to: 'native', filter: ['better_sqlite3.node'] });
    // …which is where the packaged main looks for it.
    expect(nativeBindingFor({ electronVersion: '45.4.1', isPackaged: true, appRoot: '/x/app.asar', resourcesPath: '/x/resources', platform: 'linux', arch: 'x64' })).toBe(
      path.join('/x/resources', native.to, 'better_sqlite3.node'),
    );
  });

  it('ships the tray and window icons the app loads, for every platform', () => {
    const icons = config.extraResources.find((r) => r.to === 'icons')!;
    expect(icons.from).toBe('build/tray');
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const place = { isPackaged: true, resourcesPath: '/r', appRoot: '/a', platform };
      for (const file of [trayIconPath(place), windowIconPath(place)]) {
        expect(path.dirname(file)).toBe(path.join('/r', icons.to));
        expect(icons.filter, `${platform}: ${file}`).toContain(path.basename(file));
        // …and in a checkout the same files are read from build/tray.
        expect(existsSync(path.join(REPO, 'build', 'tray', path.basename(file))), file).toBe(true);
      }
    }
    for (const f of icons.filter) expect(existsSync(path.join(REPO, icons.from, f)), f).toBe(true);
    // The macOS tray image is a template (the name makes Electron treat it so) with its @2x beside it.
    expect(icons.filter).toEqual(expect.arrayContaining(['trayTemplate.png', 'trayTemplate@2x.png']));
    expect(pngSize(path.join(REPO, 'build', 'tray', 'trayTemplate.png'))).toEqual([22, 22]);
    expect(pngSize(path.join(REPO, 'build', 'tray', 'trayTemplate@2x.png'))).toEqual([44, 44]);
  });

  it('has real app icons: a PNG set for Linux, icns for macOS, ico for Windows', () => {
    expect(config.linux.icon).toBe('build/icons');
    for (const s of [16, 32, 48, 64, 128, 256, 512, 1024]) expect(pngSize(path.join(REPO, 'build', 'icons', `${s}x${s}.png`))).toEqual([s, s]);
    // Only the app icon set is in the Linux icon folder (a tray image there would be taken for an app icon).
    for (const f of readdirSync(path.join(REPO, config.linux.icon))) expect(f).toMatch(/^(\d+)x\1\.png$/);
    expect(pngSize(path.join(REPO, 'build', 'icon.png'))).toEqual([1024, 1024]);
    const icns = readFileSync(path.join(REPO, config.mac.icon));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    for (const ico of [config.win.icon, config.nsis.installerIcon]) {
      const b = readFileSync(path.join(REPO, ico));
      expect([...b.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
      expect(b.readUInt16LE(4)).toBeGreaterThanOrEqual(5); // several sizes, up to 256
    }
  });

  it('macOS: hardened runtime with an entitlements file, notarized with credentials from the environment', () => {
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(config.mac.notarize).toBe(true);
    expect(config.mac.entitlementsInherit).toBe(config.mac.entitlements);
    const plist = readFileSync(path.join(REPO, config.mac.entitlements), 'utf8');
    expect(plist).toContain('<key>com.apple.security.cs.allow-jit</key>');
    // Only what Electron needs: no device access, no disabled library validation.
    expect(plist).not.toMatch(/device\.camera|device\.audio-input|disable-library-validation/);
  });

  it('Windows: the app user model id main.ts sets is the installer appId (toasts are dropped otherwise)', () => {
    expect(APP_USER_MODEL_ID).toBe(config.appId);
  });
});

