/**
 * Where the demo site is (dist/web of the package) and whether it needs
 * (re)building: in a checkout, a missing site, or one older than any file
 * it is built from (web/, the core under src/, the build scripts, the wasm
 * builds, the Fashion-MNIST subset), is built
 * with scripts/build-web.mjs (`npm run build:web`) before serving.
 *
 * The package ships dist/web as the page alone (`build-web.mjs --page-only`,
 * npm pack's prepack): the library bundle, the wasm builds and the data,
 * which the full site copies in, are served from the package's own
 * dist/browser/ and data/ (siteFallbacks), so the tarball holds them once.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FallbackFolder } from './static-server.js';

/** The alexnet-ts package folder, found by walking up from this module (src/ under tsx, dist/src/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'alexnet-ts') return dir;
    } catch {
      // no (readable) package.json here: keep climbing
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the alexnet-ts package folder was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function defaultSiteDir(root = packageRoot()): string {
  return join(root, 'dist', 'web');
}

/** The library bundle and the wasm builds beside it (scripts/build-browser.mjs). */
export function browserDir(root = packageRoot()): string {
  return join(root, 'dist', 'browser');
}

/**
 * Where the files that the full site copies in (scripts/build-web.mjs) are served from when dist/web has the page
 * alone: dist/browser/* at the site root, the Fashion-MNIST subset under data/fashion-mnist-subset/, the URLs the full
 * site has them at.
 */
export function siteFallbacks(root = packageRoot()): FallbackFolder[] {
  return [
    { at: '', dir: browserDir(root) },
    { at: 'data/fashion-mnist-subset', dir: join(root, 'data', 'fashion-mnist-subset') },
  ];
}

export function buildScript(root = packageRoot()): string {
  return join(root, 'scripts', 'build-web.mjs');
}

/** The newest modification time of the files under `path` (a file or a folder), 0 when it does not exist. */
function newestMtime(path: string, skip: (name: string) => boolean = () => false): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name), skip));
  }
  return newest;
}

export type SiteState = { state: 'fresh' } | { state: 'missing' } | { state: 'stale'; reason: string };

/** Whether dist/web exists and is at least as new as every source it is built from (a checkout only). */
export function siteState(root = packageRoot()): SiteState {
  const index = join(defaultSiteDir(root), 'index.html');
  if (!existsSync(index)) return { state: 'missing' };
  const built = statSync(index).mtimeMs;
  const sources: [string, (name: string) => boolean][] = [
    [join(root, 'web'), () => false],
    // The core goes into the bundle; the Node-only code does not.
    [join(root, 'src'), (name) => name === 'node'],
    [join(root, 'scripts', 'build-web.mjs'), () => false],
    [join(root, 'scripts', 'build-browser.mjs'), () => false],
    [join(root, 'dist', 'browser'), () => false],
    // The wasm builds that build-browser.mjs copies beside the bundle, and the training data.
    [join(root, 'wasm'), () => false],
    [join(root, 'data', 'fashion-mnist-subset'), () => false],
  ];
  for (const [path, skip] of sources) {
    if (newestMtime(path, skip) > built) return { state: 'stale', reason: `${path} changed since the page was built` };
  }
  return { state: 'fresh' };
}

/** Runs scripts/build-web.mjs, its output going to stderr; rejects with one line when it fails. */
export function buildSite(root = packageRoot()): Promise<void> {
  const script = buildScript(root);
  if (!existsSync(script)) return Promise.reject(new Error(`${defaultSiteDir(root)} is missing and ${script} is not there to build it`));
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', (error) => reject(new Error(`building the page failed: ${error.message}; run \`npm run build:web\``)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolveBuild();
      else reject(new Error(`building the page failed (${signal ?? `exit code ${code}`}); run \`npm run build:web\` to see why`));
    });
  });
}
