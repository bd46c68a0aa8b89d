// `npm start`: opens the Electron app. Where the Electron binary could not be installed (an offline
// install skips its download), it says so plainly and starts server mode instead, printing the URL.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function electronBinary() {
  try {
    const p = require('electron'); // the electron package exports the binary's path, or throws when it is missing
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
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
      : 'The Electron desktop shell is not installed on this machine (its download was skipped or failed),\n' +
          'so Talkbatch starts in server mode instead: the same app, in your browser. The local draft renderer\n' +
          'works without any account. To get the desktop window later, with internet: node node_modules/electron/install.js',
  );
  child = spawn(process.execPath, [path.join(root, 'bin', 'talkbatch.cjs'), 'serve', ...args], { stdio: 'inherit' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
