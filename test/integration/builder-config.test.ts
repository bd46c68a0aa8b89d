import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

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
type BuilderConfig = {
  appId: string;
  productName: string;
  files: readonly string[];
  asarUnpack: readonly string[];
  extraMetadata: { main: string };
  linux: { target: Target };
  mac: { target: Target };
  win: { target: Target };
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
