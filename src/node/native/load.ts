/**
 * Loads the C++ addon (build/Release/alexnet_native.node from a source build,
 * else the package's prebuilds/<platform>-<arch>/alexnet_native.node) and
 * makes it the current backend. When the addon cannot be loaded (not built, built for
 * another Node, missing CPU support...) one warning line names the cause and
 * everything keeps working on the js backend.
 *
 * ALEXNET_NATIVE_ADDON=/path/to/alexnet_native.node loads another build (the
 * AddressSanitizer build of native/asan.sh, for instance).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { setBackend } from '../../backend/registry.js';
import type { NativeAddon, SimdLevel } from './addon.js';
import { NativeBackend } from './native-backend.js';

const ADDON_FILE = join('build', 'Release', 'alexnet_native.node');

export interface NativeInfo {
  /** The CPU as CPUID describes it, e.g. "AMD family 25 model 17 (AMD EPYC)". */
  cpu: string;
  /** Per-core L2 and shared L3, as the kernels' cache blocking sees them. */
  caches: string;
  /** The row of the per-CPU tuning table in use (native/src/cpu_tuning.cc). */
  tuning: string;
  simd: SimdLevel;
  /** bf16 kernels in use ("amx" or "avx512_bf16"; ALEXNET_BF16 keeps an AMX CPU on avx512_bf16), or why none. */
  bf16: string;
  threads: number;
  cpuFeatures: string[];
}

interface LoadResult {
  addon: NativeAddon | null;
  cause: string;
  /** The cause is the ALEXNET_* settings, which every build of the addon reads alike: no other candidate is tried. */
  badSettings?: boolean;
}

let loaded: LoadResult | undefined;
let warned = false;
let backend: NativeBackend | undefined;

/** The prebuilt addon shipped in the package for this platform (scripts/prebuild.mjs). */
const PREBUILT_FILE = join('prebuilds', `${process.platform}-${process.arch}`, 'alexnet_native.node');

/** The package's own folder: the nearest one upwards from this file whose package.json is alexnet-ts's. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'alexnet-ts') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * The addon files to try, in order: $ALEXNET_NATIVE_ADDON alone, else the package's own source build
 * (build/Release/) and its prebuilt one (prebuilds/<platform>-<arch>/, as node-gyp-build lays them out). Only
 * inside the package (src/node/native under tsx and dist/src/node/native compiled sit at different depths in it):
 * the build/ of a project around an installed copy is not this package's addon.
 */
export function nativeAddonCandidates(): string[] {
  const override = process.env.ALEXNET_NATIVE_ADDON;
  if (override) return [resolve(override)];
  const root = packageRoot();
  return root === null ? [] : [ADDON_FILE, PREBUILT_FILE].map((file) => join(root, file)).filter((path) => existsSync(path));
}

/** The first addon file nativeAddonCandidates() finds, or null. */
export function nativeAddonPath(): string | null {
  return nativeAddonCandidates()[0] ?? null;
}

function loadFrom(path: string): LoadResult {
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    if (typeof addon?.info !== 'function' || typeof addon.conv2dForward !== 'function') {
      return { addon: null, cause: `${path} is not the alexnet-ts addon` };
    }
    // A mistyped ALEXNET_* setting would otherwise run on its default unnoticed.
    const problems = addon.info().settingProblems;
    if (problems.length > 0) return { addon: null, cause: problems.join('; '), badSettings: true };
    return { addon, cause: '' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { addon: null, cause: `${path}: ${message.split('\n')[0]}` };
  }
}

/** The first candidate that loads (a source build that fails, built for another Node say, falls back to the prebuilt one). */
function tryLoad(): LoadResult {
  const candidates = nativeAddonCandidates();
  if (candidates.length === 0) {
    const installed = (packageRoot() ?? '').split(/[\\/]/).includes('node_modules');
    const advice = installed ? 'reinstall it with `npm rebuild alexnet-ts`' : 'build it with `npm run build:native`';
    return { addon: null, cause: `${ADDON_FILE} not found; ${advice}` };
  }
  const failures: string[] = [];
  for (const path of candidates) {
    const result = loadFrom(path);
    if (result.addon !== null) return result;
    failures.push(result.cause);
    if (result.badSettings) break;
  }
  return { addon: null, cause: failures.join('; ') };
}

/**
 * The raw addon, or null when it cannot load. The first failure prints one
 * warning line to stderr unless `warn` is false.
 */
export function loadNativeAddon(options: { warn?: boolean } = {}): NativeAddon | null {
  loaded ??= tryLoad();
  if (loaded.addon === null && options.warn !== false) warnNativeUnavailable('js');
  return loaded.addon;
}

/**
 * The one line, once per process, that says why the addon did not load and which backend runs instead (`also`:
 * what else failed on the way, as ", wasm backend too (…)").
 */
export function warnNativeUnavailable(instead: 'js' | 'wasm', also = ''): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`alexnet-ts: native backend unavailable (${nativeLoadFailure()})${also}; using the ${instead} backend\n`);
}

/** Why the addon did not load ('' when it did or was not tried yet). */
export function nativeLoadFailure(): string {
  return loaded?.cause ?? '';
}

/** The native backend (one instance per process), or null when the addon cannot load. */
export function nativeBackend(options: { warn?: boolean } = {}): NativeBackend | null {
  const addon = loadNativeAddon(options);
  if (addon === null) return null;
  backend ??= new NativeBackend(addon);
  return backend;
}

/** Makes the native backend current when the addon loads; returns it, or null (after one warning line). */
export function installNativeBackend(): NativeBackend | null {
  const native = nativeBackend();
  if (native !== null) setBackend(native);
  return native;
}

/** For `alexnet info`: the kernel set in use, the thread count and the CPU features, or null without the addon. */
export function nativeInfo(): NativeInfo | null {
  const addon = loadNativeAddon({ warn: false });
  if (addon === null) return null;
  const info = addon.info();
  const kib = (bytes: number): string => (bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`);
  return {
    cpu: `${info.cpu.description}${info.cpu.brand === '' ? '' : ` (${info.cpu.brand})`}`,
    caches: `L1d ${kib(info.cpu.l1d)}, L2 ${kib(info.cpu.l2)} per core; L3 ${kib(info.cpu.l3)}`,
    tuning: info.tuning,
    simd: info.simd,
    bf16: info.bf16 ?? `unavailable: ${info.bf16Unsupported}`,
    threads: info.threads,
    cpuFeatures: info.cpuFeatures,
  };
}
