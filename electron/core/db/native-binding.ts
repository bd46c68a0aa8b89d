import path from 'node:path';

/**
 * Which compiled better-sqlite3 binding a runtime loads (docs/decisions/0005-one-sqlite-binding-per-runtime.md).
 * Node (CLI, server mode, tests) uses the build in node_modules, as npm installed it. Electron cannot
 * (another NODE_MODULE_VERSION): it loads a binding built for its own version, kept beside the app —
 * `native/electron-<version>-<platform>-<arch>/` in a checkout (prepared by `npm start` /
 * `npm run native:electron`), `resources/native/` in a packaged app (staged by scripts/before-pack.cjs).
 * scripts/electron-native.mjs names the folder the same way (test/unit/native-binding.test.ts).
 */
export const BINDING_FILE = 'better_sqlite3.node';

export function electronBindingFolder(electronVersion: string, platform: string, arch: string): string {
  return `electron-${electronVersion}-${platform}-${arch}`;
}

export type BindingPlace = Readonly<{
  electronVersion: string | undefined;
  isPackaged: boolean;
  /** The app folder (the checkout, or app.asar in a package). */
  appRoot: string;
  /** process.resourcesPath of a packaged app. */
  resourcesPath: string;
  platform: string;
  arch: string;
}>;

/** better-sqlite3's `nativeBinding` option for this runtime; undefined under plain Node. */
export function nativeBindingFor(p: BindingPlace): string | undefined {
  if (!p.electronVersion) return undefined;
  if (p.isPackaged) return path.join(p.resourcesPath, 'native', BINDING_FILE);
  return path.join(p.appRoot, 'native', electronBindingFolder(p.electronVersion, p.platform, p.arch), BINDING_FILE);
}
