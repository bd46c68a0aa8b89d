// `npm start`: opens the Electron app. Where the Electron binary could not be installed (an offline
// install skips its download), it says so plainly and starts server mode instead, printing the URL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

// Electron 45 downloads its binary on first use. Check for it ourselves (require('electron') would try the
// download noisily), try the download once quietly, and report plainly when it cannot be had.
function electronBinary() {
  const pkgDir = path.dirname(require.resolve('electron/package.json'));
  const installed = () => {
    const pathFile = path.join(pkgDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const bin = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  };
  if (installed()) return installed();
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return null;
  console.log('Getting the Electron desktop shell (first start only)…');
  const r = spawnSync(process.execPath, [path.join(pkgDir, 'install.js')], { stdio: 'pipe', timeout: 300_000 });
  return r.status === 0 ? installed() : null;
}

const bin = electronBinary();
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
let child;
if (bin && !headless) {
  child = spawn(bin, [root, ...args], { stdio: 'inherit' });
} else {
  console.log(
    bin
      ? 'No display found, so Talkbatch starts in server mode: open the URL below in a browser.'
      : 'The Electron desktop shell could not be downloaded on this machine (no access to its download server),\n' +
          'so Talkbatch starts in server mode instead: the same app, in your browser. The local draft renderer\n' +
          'works without any account. With internet access, `npm start` gets the desktop window next time.',
  );
  child = spawn(process.execPath, [path.join(root, 'bin', 'talkbatch.cjs'), 'serve', ...args], { stdio: 'inherit' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
