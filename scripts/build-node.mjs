// Bundles the Node side (Electron main and preload, the CLI, the demo fakes) with esbuild.
// Runtime dependencies stay external (installed in node_modules, unpacked by electron-builder);
// the sandboxed preload may only require `electron`, so everything else is bundled into it.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = ['electron', ...Object.keys(pkg.dependencies ?? {})];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { __TALKBATCH_VERSION__: JSON.stringify(pkg.version) },
};

await Promise.all([
  build({ ...common, entryPoints: { main: 'electron/main.ts', cli: 'electron/cli.ts' }, outdir: 'dist/electron', outExtension: { '.js': '.cjs' }, external }),
  build({ ...common, entryPoints: { preload: 'electron/preload.ts' }, outdir: 'dist/electron', outExtension: { '.js': '.cjs' }, external: ['electron'] }),
  // Demo mode (`talkbatch serve --demo`) and the benchmarks start the provider fakes from here.
  build({ ...common, entryPoints: { fakes: 'test/fakes/index.ts' }, outdir: 'dist/electron', outExtension: { '.js': '.cjs' }, external }),
]);
