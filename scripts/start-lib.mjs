// The decisions behind `npm start` (scripts/start.mjs), as functions a test can drive
// (test/unit/start.test.ts): is Electron installed, get it with visible progress, will its sandbox
// start on this Linux, is the database module ready for it.
import { spawnSync as realSpawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The Electron binary in node_modules/electron, or null when it has not been downloaded. */
export function installedElectron(pkgDir) {
  const pathFile = path.join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

/**
 * Electron's own installer, in the foreground: its progress bar and its real error reach the terminal,
 * and a slow link may take as long as it needs (the zip is about 100 MB; Ctrl+C stops it).
 */
export function downloadElectron(pkgDir, { spawnSync = realSpawnSync, log = console.log } = {}) {
  log('Downloading the Electron desktop shell (about 100 MB, first start only; a progress bar appears after 30 s)…');
  const r = spawnSync(process.execPath, [path.join(pkgDir, 'install.js')], { stdio: 'inherit' });
  if (r.error) return { ok: false, error: r.error.message };
  if (r.status !== 0) return { ok: false, error: `Electron's installer stopped (${r.signal ? `signal ${r.signal}` : `exit code ${r.status}`}); its message is above` };
  const bin = installedElectron(pkgDir);
  return bin ? { ok: true, bin } : { ok: false, error: 'the download finished but no Electron binary was found in node_modules/electron/dist' };
}

/**
 * Ubuntu 23.10+ restricts unprivileged user namespaces (AppArmor), which Chromium's sandbox uses; it then
 * falls back to the setuid chrome-sandbox helper, which npm installs unprivileged — and Electron aborts
 * ("The SUID sandbox helper binary was found, but is not configured correctly"). Returns the fix, or null.
 */
export function linuxSandboxProblem({ platform = process.platform, distDir, readFile = (f) => readFileSync(f, 'utf8'), stat = statSync } = {}) {
  if (platform !== 'linux') return null;
  const helper = path.join(distDir, 'chrome-sandbox');
  let s;
  try {
    s = stat(helper);
  } catch {
    return null; // no helper: nothing to misconfigure
  }
  if (s.uid === 0 && (s.mode & 0o4000) !== 0) return null; // setuid root: the fallback works
  const flag = (f) => {
    try {
      return readFile(f).trim();
    } catch {
      return null;
    }
  };
  const restricted = flag('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1' || flag('/proc/sys/kernel/unprivileged_userns_clone') === '0';
  if (!restricted) return null;
  return [
    'The Electron window cannot start here: this Linux (Ubuntu 23.10 or newer) blocks the user namespaces',
    "Chromium's sandbox uses, and Electron's fallback helper is not set up. Fix it once (asks for your password):",
    '',
    `  sudo chown root:root ${helper} && sudo chmod 4755 ${helper}`,
    '',
    '(npm install replaces that file, so run it again after reinstalling Electron.) Talkbatch never turns the',
    'sandbox off. The installed app has the same need: prefer the .deb, which sets this up; see the README for the AppImage.',
  ].join('\n');
}
