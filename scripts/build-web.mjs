#!/usr/bin/env node
/**
 * `npm run build:web`: the demo page as a static site in dist/web, which any
 * static host can serve (threads need the host to send COOP/COEP; without
 * them the page runs single-threaded):
 *
 *   index.html, styles.css      copied from web/
 *   app.js, worker.js           web/app.ts and web/worker.ts bundled by esbuild;
 *                               the worker imports ./alexnet-ts.js (not bundled in)
 *   alexnet-ts.js, *.wasm, …    dist/browser/* (scripts/build-browser.mjs runs first)
 *   data/fashion-mnist-subset/  the embedded Fashion-MNIST subset (and its licence)
 *   _headers                    COOP/COEP for hosts that read it (Netlify, Cloudflare Pages)
 *
 * Usage: node scripts/build-web.mjs [--out DIR] [--skip-browser] [--page-only]
 * The site is built in DIR.partial and renamed into place.
 *
 * --page-only (npm pack's prepack) writes the page's own files alone, without
 * the copies of dist/browser/* and of the data: the package ships those once,
 * in dist/browser/ and data/, and `alexnet web` serves them from there at the
 * same URLs (src/node/web/site.ts siteFallbacks). Such a folder is not a site
 * a static host can serve on its own; `npm run build:web` makes the full one.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(root, outIndex >= 0 ? args[outIndex + 1] ?? '' : 'dist/web');
const FLAGS = ['--skip-browser', '--page-only'];
const skipBrowser = args.includes('--skip-browser');
const pageOnly = args.includes('--page-only');
const unknown = args.filter((a, i) => !FLAGS.includes(a) && a !== '--out' && !(outIndex >= 0 && i === outIndex + 1));
if (unknown.length > 0 || (outIndex >= 0 && args[outIndex + 1] === undefined)) {
  process.stderr.write(
    `build-web: usage: node scripts/build-web.mjs [--out DIR] [--skip-browser] [--page-only] (unexpected: ${unknown.join(' ') || '--out without DIR'})\n`,
  );
  process.exit(2);
}

function fail(message) {
  process.stderr.write(`build-web: ${message}\n`);
  process.exit(1);
}

// 1. The library bundle and its wasm files.
const browserDir = join(root, 'dist', 'browser');
if (!skipBrowser) {
  const script = join(root, 'scripts', 'build-browser.mjs');
  if (!existsSync(script)) fail(`${script} is missing: it builds dist/browser/alexnet-ts.js, which the page loads`);
  const result = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`scripts/build-browser.mjs failed (${result.signal ?? `exit code ${result.status}`})`);
}
if (!existsSync(join(browserDir, 'alexnet-ts.js'))) fail(`${browserDir}/alexnet-ts.js is missing: run node scripts/build-browser.mjs`);

const partial = `${out}.partial`;
rmSync(partial, { recursive: true, force: true });
mkdirSync(partial, { recursive: true });

// 2. The page's own code. The worker's `import … from 'alexnet-ts'` stays an import of the bundle beside it.
const bundleAsSibling = {
  name: 'alexnet-ts-as-sibling',
  setup(b) {
    b.onResolve({ filter: /^alexnet-ts$/ }, () => ({ path: './alexnet-ts.js', external: true }));
  },
};
try {
  await build({
    absWorkingDir: root,
    entryPoints: { app: 'web/app.ts', worker: 'web/worker.ts' },
    outdir: partial,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox115', 'safari16'],
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [bundleAsSibling],
  });
} catch {
  fail('bundling web/app.ts and web/worker.ts failed (esbuild printed why)');
}

// 3. Static files, then (unless --page-only) the library bundle and the data.
for (const name of ['index.html', 'styles.css']) cpSync(join(root, 'web', name), join(partial, name));
if (!pageOnly) {
  for (const entry of readdirSync(browserDir)) cpSync(join(browserDir, entry), join(partial, entry), { recursive: true });
  const dataDir = join(partial, 'data', 'fashion-mnist-subset');
  mkdirSync(dataDir, { recursive: true });
  for (const name of [
    'train-images-idx3-ubyte.gz',
    'train-labels-idx1-ubyte.gz',
    't10k-images-idx3-ubyte.gz',
    't10k-labels-idx1-ubyte.gz',
    'README.md',
  ]) {
    cpSync(join(root, 'data', 'fashion-mnist-subset', name), join(dataDir, name));
  }
}
writeFileSync(
  join(partial, '_headers'),
  '/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n  Cross-Origin-Resource-Policy: same-origin\n',
);
// GitHub Pages: serve files as they are (no Jekyll pass).
writeFileSync(join(partial, '.nojekyll'), '');

// 4. Into place.
rmSync(out, { recursive: true, force: true });
renameSync(partial, out);
process.stderr.write(
  pageOnly
    ? `build-web: wrote the page alone to ${out} (\`alexnet web\` serves it with dist/browser/ and data/; \`npm run build:web\` makes the full site)\n`
    : `build-web: wrote ${out} (serve it with \`alexnet web\`, or any static host)\n`,
);
