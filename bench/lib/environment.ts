/** What the report says about the machine and the software versions, gathered once per run. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { captureOutput } from './child.js';

export interface Environment {
  date: string;
  cpu: string;
  cores: number;
  node: string;
  torch: string | null;
  onnxruntime: string;
  tfjs: string;
  commit: string | null;
}

async function cpuModel(): Promise<string> {
  try {
    const info = await readFile('/proc/cpuinfo', 'utf8');
    const name = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
    const family = /^cpu family\s*:\s*(\d+)$/m.exec(info)?.[1];
    const model = /^model\s*:\s*(\d+)$/m.exec(info)?.[1];
    const flags = /^flags\s*:\s*(.+)$/m.exec(info)?.[1]?.split(/\s+/) ?? [];
    const simd = ['avx512f', 'avx2', 'fma'].filter((f) => flags.includes(f));
    const details = [family && model ? `family ${family} model ${model}` : '', simd.join(' ')].filter((s) => s !== '');
    return details.length > 0 ? `${name} (${details.join(', ')})` : name;
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
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
    cpu: await cpuModel(),
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
