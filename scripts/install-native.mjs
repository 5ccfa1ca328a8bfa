// npm's install step: use the prebuilt addon shipped in prebuilds/<platform>-<arch>/
// when it loads here, else build native/ from source with node-gyp; when neither
// works, say so once and leave the js backend (package.json's "install").
// Plain JavaScript: it runs before anything is compiled.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'alexnet_native.node');
if (existsSync(prebuilt)) {
  try {
    createRequire(import.meta.url)(prebuilt).info();
    process.exit(0); // the prebuilt addon runs here: nothing to build
  } catch (error) {
    process.stderr.write(`alexnet-ts: the prebuilt addon does not load here (${String(error?.message ?? error).split('\n')[0]}); building from source\n`);
  }
}
process.exit(1);
