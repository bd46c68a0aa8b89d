// electron-builder beforePack hook (electron-builder.yml): runs once per target platform and arch,
// before the app's files are copied.
//  1. Stages better-sqlite3 built for the packaged Electron into native/pack/, which extraResources
//     ships as resources/native/better_sqlite3.node (electron/core/db/native-binding.ts loads it).
//     npmRebuild is off: electron-builder would otherwise rebuild node_modules in place for Electron,
//     after which `npm test`, `serve` and the CLI (plain Node) could no longer open the database.
//  2. Says plainly when a macOS build will not be notarized (no Apple credentials in the environment).
const { copyFileSync, mkdirSync, rmSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.resolve(__dirname, '..');
const STAGE = path.join(ROOT, 'native', 'pack');

/** Which notarization credentials the environment holds (electron-builder's three ways), or why none. */
function notarizeCredentials(env) {
  if (env.APPLE_API_KEY && env.APPLE_API_KEY_ID && env.APPLE_API_ISSUER) return { ok: true, kind: 'App Store Connect API key' };
  if (env.APPLE_ID && env.APPLE_APP_SPECIFIC_PASSWORD && env.APPLE_TEAM_ID) return { ok: true, kind: 'Apple ID' };
  if (env.APPLE_KEYCHAIN && env.APPLE_KEYCHAIN_PROFILE) return { ok: true, kind: 'keychain profile' };
  return {
    ok: false,
    message:
      'macOS notarization skipped: no Apple credentials in the environment. Set APPLE_API_KEY, APPLE_API_KEY_ID and APPLE_API_ISSUER ' +
      '(or APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID, or APPLE_KEYCHAIN and APPLE_KEYCHAIN_PROFILE). ' +
      'Without notarization a downloaded dmg is reported as "damaged" by Gatekeeper; it is fine for local testing only.',
  };
}

/** electron-builder's Arch enum value → Node's arch name. */
const ARCH = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' };

async function beforePack(context, deps = {}) {
  const platform = context.electronPlatformName === 'mas' ? 'darwin' : context.electronPlatformName;
  const arch = typeof context.arch === 'number' ? ARCH[context.arch] : context.arch;
  const log = deps.log ?? console.log;
  if (platform === 'darwin') {
    const n = notarizeCredentials(deps.env ?? process.env);
    log(n.ok ? `macOS notarization: with the ${n.kind} from the environment` : n.message);
  }
  const native = await import(pathToFileURL(path.join(__dirname, 'electron-native.mjs')).href);
  const root = deps.root ?? ROOT;
  const electronVersion = deps.electronVersion ?? context.packager?.config?.electronVersion ?? native.installedElectronVersion(root);
  const r = await native.prepareElectronBinding({ root, electronVersion, platform, arch, ...(deps.rebuild ? { rebuild: deps.rebuild } : {}), log });
  if (!r.ok) throw new Error(`Cannot package for ${platform}-${arch}: ${r.error}`);
  const stage = path.join(root, 'native', 'pack');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  copyFileSync(r.path, path.join(stage, native.BINDING_FILE));
}

module.exports = { default: beforePack, beforePack, notarizeCredentials, STAGE };
