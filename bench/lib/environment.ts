/** What the report says about the machine and the software versions, gathered once per run. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import type { NativeAddonInfo } from '../../src/node/native/addon.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { captureOutput } from './child.js';

/** The CPU the benchmark ran on, as RESULTS.md describes it. */
export interface CpuEnvironment {
  /**
   * The heading of this CPU's section of RESULTS.md: brand, then CPUID's
   * vendor, family and model, then the native tuning row, e.g.
   * "AMD EPYC (AMD family 25 model 17, tuning zen4)". Sections are matched on
   * brand, family and model (report.ts cpuKey), so a run on the same CPU
   * model replaces its section.
   */
  description: string;
  /** The "CPU" row of the environment table. */
  model: string;
  /** SIMD and matrix extensions (avx512_bf16, amx_tile... when present). */
  features: string[];
  /** Cache sizes in words, or null when unknown. */
  caches: string | null;
  /** The native kernels chosen for this CPU, or null when the addon did not load. */
  kernels: string | null;
}

export interface Environment {
  date: string;
  cpu: CpuEnvironment;
  cores: number;
  node: string;
  torch: string | null;
  onnxruntime: string;
  tfjs: string;
  commit: string | null;
}

/** Short vendor names, as the addon's cpu.description writes them. */
const VENDORS: Record<string, string> = { AuthenticAMD: 'AMD', GenuineIntel: 'Intel' };

/** /proc/cpuinfo flags worth a line in the report (without the addon's own list). */
const NOTABLE_FLAGS = ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512_vnni', 'avx512_bf16', 'amx_tile', 'amx_bf16', 'amx_int8'];

function bytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

/** The CPU as the native addon sees it (CPUID: brand, family, model, caches, tuning row, bf16 kernels). */
export function cpuFromAddonInfo(info: NativeAddonInfo): CpuEnvironment {
  const { cpu } = info;
  const brand = cpu.brand.trim() || cpu.vendor || 'unknown CPU';
  const perCore = [cpu.l1d > 0 ? `L1d ${bytes(cpu.l1d)}` : '', cpu.l2 > 0 ? `L2 ${bytes(cpu.l2)}` : ''].filter((s) => s !== '');
  const caches = [perCore.length > 0 ? `${perCore.join(', ')} per core` : '', cpu.l3 > 0 ? `L3 ${bytes(cpu.l3)} shared` : '']
    .filter((s) => s !== '')
    .join('; ');
  const bf16 = info.bf16 ?? `none (${info.bf16Unsupported})`;
  return {
    description: `${brand} (${cpu.description}, tuning ${info.tuning})`,
    model: `${brand}, ${cpu.vendor} family ${cpu.family} model ${cpu.model}`,
    features: info.cpuFeatures,
    caches: caches === '' ? null : caches,
    kernels: `${info.simd}, tuning ${info.tuning}, GEMM tile ${info.tileRows}×${info.tileColumns}; bf16: ${bf16}`,
  };
}

/** The CPU from /proc/cpuinfo's text (first processor), for when the addon does not load. */
export function cpuFromProcCpuinfo(text: string): CpuEnvironment | null {
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  const name = field('model name');
  if (name === undefined) return null;
  const vendor = field('vendor_id') ?? '';
  const family = field('cpu family');
  const model = field('model');
  const flags = field('flags')?.split(/\s+/) ?? [];
  const identity = family !== undefined && model !== undefined ? `${VENDORS[vendor] ?? vendor} family ${family} model ${model}`.trim() : '';
  return {
    // Same shape as the addon's heading, less the tuning row, so both find the same section.
    description: identity === '' ? name : `${name} (${identity})`,
    model: identity === '' ? name : `${name}, ${vendor} family ${family} model ${model}`,
    features: NOTABLE_FLAGS.filter((f) => flags.includes(f)),
    caches: field('cache size') === undefined ? null : `${field('cache size')} ("cache size" of /proc/cpuinfo)`,
    kernels: null,
  };
}

async function describeCpu(): Promise<CpuEnvironment> {
  // Loading the addon here costs nothing while the children run: its idle pool threads sleep.
  const info = nativeBackend({ warn: false })?.info();
  if (info?.cpu !== undefined) return cpuFromAddonInfo(info);
  const fromProc = cpuFromProcCpuinfo(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
  if (fromProc !== null) return fromProc;
  const model = cpus()[0]?.model?.trim() || 'unknown CPU';
  return { description: model, model, features: [], caches: null, kernels: null };
}

function packageVersion(name: string): string {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** torch's version when /usr/bin/python3 imports torch and torchvision, else null. */
export async function torchVersion(python: string): Promise<string | null> {
  const out = await captureOutput({ program: python, args: ['-c', 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'] });
  if (out === null) return null;
  const [torch, vision] = out.trim().split(' ');
  return `${torch} (torchvision ${vision})`;
}

export async function gatherEnvironment(python: string): Promise<Environment> {
  const commit = await captureOutput({ program: 'git', args: ['rev-parse', '--short', 'HEAD'] });
  const dirty = await captureOutput({ program: 'git', args: ['status', '--porcelain', '--untracked-files=no'] });
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: await describeCpu(),
    cores: cpus().length,
    node: process.version,
    torch: await torchVersion(python),
    onnxruntime: packageVersion('onnxruntime-node'),
    tfjs: packageVersion('@tensorflow/tfjs'),
    commit: commit === null ? null : `${commit.trim()}${dirty !== null && dirty.trim() !== '' ? ' (with uncommitted changes)' : ''}`,
  };
}

/**
 * How busy the machine is: the 1-minute load average and, where the kernel
 * reports it, the share of the last 5 minutes in which runnable tasks waited
 * for a CPU (/proc/pressure/cpu "some avg300").
 */
export async function machineLoad(): Promise<string> {
  const [load] = (await readFile('/proc/loadavg', 'utf8').catch(() => '')).split(' ');
  const pressure = /some avg10=[\d.]+ avg60=[\d.]+ avg300=([\d.]+)/.exec(await readFile('/proc/pressure/cpu', 'utf8').catch(() => ''))?.[1];
  return [load ? `load average ${load}` : '', pressure ? `CPU pressure ${pressure}% (5 min)` : ''].filter((x) => x !== '').join(', ') || 'unknown';
}
