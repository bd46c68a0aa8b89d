// Prepares better-sqlite3 for Electron in its own folder, never in node_modules
// (docs/decisions/0005-one-sqlite-binding-per-runtime.md). node_modules keeps the build for Node (CLI,
// server mode, tests); Electron loads native/electron-<version>-<platform>-<arch>/better_sqlite3.node
// (electron/core/db/native-binding.ts). The work happens in a staging copy of the package:
// @electron/rebuild first fetches better-sqlite3's published Electron prebuild (prebuild-install),
// and compiles from source only where none exists (a compiler and Electron's headers are then needed).
//
//   node scripts/electron-native.mjs [--platform linux] [--arch x64]   (npm run native:electron)
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
export const BINDING_FILE = 'better_sqlite3.node';

/** The same folder name as electron/core/db/native-binding.ts electronBindingFolder(). */
export function bindingFolder(electronVersion, platform, arch) {
  return `electron-${electronVersion}-${platform}-${arch}`;
}

export function bindingPath(root, electronVersion, platform, arch) {
  return path.join(root, 'native', bindingFolder(electronVersion, platform, arch), BINDING_FILE);
}

export function installedElectronVersion(root) {
  return JSON.parse(readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
}

async function electronRebuild(options) {
  const { rebuild } = await import(pathToFileURL(require.resolve('@electron/rebuild')).href);
  await rebuild(options);
}

/**
 * Returns { ok: true, path, prepared } or { ok: false, error }. `rebuild` is @electron/rebuild's
 * rebuild() (a test passes its own); it only ever sees the staging copy.
 */
export async function prepareElectronBinding({ root, electronVersion, platform = process.platform, arch = process.arch, rebuild = electronRebuild, log = console.log }) {
  const target = bindingPath(root, electronVersion, platform, arch);
  if (existsSync(target)) return { ok: true, path: target, prepared: false };
  const source = path.join(root, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(source, 'package.json'), 'utf8'));
  mkdirSync(path.join(root, 'native'), { recursive: true });
  const staging = mkdtempSync(path.join(root, 'native', '.staging-'));
  try {
    log(`Preparing the database module (better-sqlite3 ${version}) for Electron ${electronVersion} (${platform}-${arch}), once…`);
    const staged = path.join(staging, 'node_modules', 'better-sqlite3');
    // A copy, not the installed package: node_modules' build must stay the Node one (and may be hard-linked elsewhere).
    cpSync(source, staged, { recursive: true, filter: (f) => !f.startsWith(path.join(source, 'build')) });
    writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ name: 'talkbatch-native-staging', private: true, dependencies: { 'better-sqlite3': version } }));
    await rebuild({ buildPath: staging, electronVersion, platform, arch, onlyModules: ['better-sqlite3'], force: true });
    const built = path.join(staged, 'build', 'Release', BINDING_FILE);
    if (!existsSync(built)) return { ok: false, error: `no ${BINDING_FILE} was produced for Electron ${electronVersion} ${platform}-${arch}` };
    mkdirSync(path.dirname(target), { recursive: true });
    // Renamed into place whole: a half-written binding never sits where Electron looks.
    renameSync(built, `${target}.tmp`);
    renameSync(`${target}.tmp`, target);
    return { ok: true, path: target, prepared: true };
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const arg = (name) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const r = await prepareElectronBinding({ root, electronVersion: arg('electron') ?? installedElectronVersion(root), platform: arg('platform') ?? process.platform, arch: arg('arch') ?? process.arch });
  if (r.ok) console.log(`Electron's database module: ${r.path}`);
  else {
    console.error(`Could not prepare the database module for Electron: ${r.error}`);
    process.exit(1);
  }
}
