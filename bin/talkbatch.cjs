#!/usr/bin/env node
'use strict';
// The `talkbatch` command (also `npx talkbatch` from the checkout): runs the built CLI.
const path = require('node:path');
const fs = require('node:fs');

const cli = path.join(__dirname, '..', 'dist', 'electron', 'cli.cjs');
if (!fs.existsSync(cli)) {
  process.stderr.write(`Talkbatch is not built yet. Run "npm install" (or "npm run build") in ${path.resolve(__dirname, '..')}\n`);
  process.exit(70);
}
require(cli)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`talkbatch: ${(e && e.stack) || e}\n`);
      process.exitCode = 70;
    },
  );
