// `npm start`: opens the Electron app. On the first start it downloads Electron (with progress) and
// prepares the database module for it; where that cannot happen (offline, no display, Ubuntu's sandbox
// restriction) it says why and how to fix it, and starts server mode instead, printing the URL.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedElectronVersion, prepareElectronBinding } from './electron-native.mjs';
import { downloadElectron, installedElectron, linuxSandboxProblem } from './start-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const pkgDir = path.dirname(require.resolve('electron/package.json'));

/** Returns the Electron binary to run, or the reason to use server mode instead. */
async function desktop() {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: 'No display found, so Talkbatch starts in server mode: open the URL below in a browser.' };
  }
  let bin = installedElectron(pkgDir);
  if (!bin) {
    if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
      return { why: 'The Electron desktop shell is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD is set), so Talkbatch starts in server mode: the same app, in your browser.' };
    }
    const got = downloadElectron(pkgDir);
    if (!got.ok) {
      return {
        why:
          `The Electron desktop shell could not be downloaded: ${got.error}.\n` +
          'Talkbatch starts in server mode instead: the same app, in your browser (the local draft renderer needs no account).\n' +
          '`npm start` tries the download again next time.',
      };
    }
    bin = got.bin;
  }
  const sandbox = linuxSandboxProblem({ distDir: path.dirname(bin) });
  if (sandbox) return { why: `${sandbox}\n\nUntil then Talkbatch starts in server mode: the same app, in your browser.` };
  const binding = await prepareElectronBinding({ root, electronVersion: installedElectronVersion(root) });
  if (!binding.ok) {
    return {
      why:
        `The database module could not be prepared for Electron: ${binding.error}\n` +
        'Run `npm run native:electron` with internet access (or with a C++ compiler) to retry. Talkbatch starts in server mode meanwhile.',
    };
  }
  return { bin };
}

const d = await desktop();
let child;
if (d.bin) {
  child = spawn(d.bin, [root, ...args], { stdio: 'inherit' });
} else {
  console.log(d.why);
  child = spawn(process.execPath, [path.join(root, 'bin', 'talkbatch.cjs'), 'serve', ...args], { stdio: 'inherit' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
