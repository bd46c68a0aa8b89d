// Renders the icons in build/ from the SVGs beside this file (needs rsvg-convert and ImageMagick's convert:
// `apt-get install librsvg2-bin imagemagick`). The results are committed; run this only after changing an SVG.
//   node build/src/make-icons.mjs
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.dirname(fileURLToPath(import.meta.url));
const build = path.dirname(src);
const icons = path.join(build, 'icons'); // the app icon set only (electron-builder's linux.icon)
const tray = path.join(build, 'tray'); // what the running app loads (tray, window icon)
const svg = (name, size, out) => execFileSync('rsvg-convert', ['-w', String(size), '-h', String(size), path.join(src, name), '-o', out]);

// App icon: a PNG set (Linux; electron-builder's linux.icon folder), icon.png, icon.ico (Windows), icon.icns (macOS).
const sizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
for (const s of sizes) svg('icon.svg', s, path.join(icons, `${s}x${s}.png`));
copyFileSync(path.join(icons, '1024x1024.png'), path.join(build, 'icon.png'));
execFileSync('convert', [16, 24, 32, 48, 64, 128, 256].map((s) => path.join(icons, `${s}x${s}.png`)).concat(path.join(build, 'icon.ico')));
copyFileSync(path.join(build, 'icon.ico'), path.join(tray, 'icon.ico'));
copyFileSync(path.join(icons, '256x256.png'), path.join(tray, 'window.png'));

// ICNS: a header and one PNG per type code (Apple's icns format; PNG payloads are valid from 10.7 on).
const entries = [
  ['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024],
  ['ic11', 32], ['ic12', 64], ['ic13', 256], ['ic14', 512],
].map(([type, size]) => {
  const png = readFileSync(path.join(icons, `${size}x${size}.png`));
  const head = Buffer.alloc(8);
  head.write(type, 0, 'ascii');
  head.writeUInt32BE(png.length + 8, 4);
  return Buffer.concat([head, png]);
});
const body = Buffer.concat(entries);
const header = Buffer.alloc(8);
header.write('icns', 0, 'ascii');
header.writeUInt32BE(body.length + 8, 4);
writeFileSync(path.join(build, 'icon.icns'), Buffer.concat([header, body]));

// Tray: a macOS template image (black + alpha, @2x beside it), a colour PNG and ICO for Linux and Windows.
svg('tray-template.svg', 22, path.join(tray, 'trayTemplate.png'));
svg('tray-template.svg', 44, path.join(tray, 'trayTemplate@2x.png'));
svg('tray.svg', 32, path.join(tray, 'tray.png'));
svg('tray.svg', 64, path.join(tray, 'tray@2x.png'));
const tmp = [16, 24, 32, 48].map((s) => {
  const f = path.join(tray, `.tray-${s}.png`);
  svg('tray.svg', s, f);
  return f;
});
execFileSync('convert', [...tmp, path.join(tray, 'tray.ico')]);
for (const f of tmp) execFileSync('rm', [f]);
console.log('icons written to', build);
