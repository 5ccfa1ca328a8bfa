// Copies the addon built by node-gyp into prebuilds/<platform>-<arch>/, the
// layout the loader (src/node/native/load.ts) and scripts/install-native.mjs
// look in; `npm pack` runs it (prepack), so the package carries a binary for
// the platform it was packed on. N-API keeps it valid for every Node ≥ 20.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'alexnet_native.node');
if (!existsSync(built)) {
  process.stderr.write('prebuild: build/Release/alexnet_native.node is missing; run npm run build:native first\n');
  process.exit(1);
}
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
copyFileSync(built, join(dir, 'alexnet_native.node'));
process.stdout.write(`prebuild: ${join(dir, 'alexnet_native.node')}\n`);
