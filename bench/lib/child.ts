/**
 * Runs one measurement in its own process (so its peak RSS is its own) and
 * reads the JSON line it prints last. A failure becomes a short reason
 * (the child's last stderr line) instead of an exception, so one broken
 * framework does not stop the whole benchmark.
 */
import { spawn } from 'node:child_process';

import type { EngineBenchResult } from '../../src/node/bench/engine-bench.js';

/**
 * The record every runner prints: `alexnet bench --json`'s, with the
 * framework left open for the other runners (onnxruntime, PyTorch, TF.js).
 */
export interface Measurement extends Omit<EngineBenchResult, 'framework'> {
  framework: string;
  version?: string;
}

export type ChildOutcome = { ok: true; measurement: Measurement; wallMs: number } | { ok: false; reason: string; wallMs: number };

export interface Command {
  program: string;
  args: string[];
}

export function runChild(command: Command, timeoutMs: number): Promise<ChildOutcome> {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command.program, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: error.message, wallMs: performance.now() - start });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - start;
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code === 0 && line !== undefined) {
        try {
          resolve({ ok: true, measurement: JSON.parse(line) as Measurement, wallMs });
          return;
        } catch {
          // fall through: report the output as unreadable
        }
      }
      const lastError = stderr
        .trim()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .at(-1);
      const why = signal === 'SIGKILL' ? `timed out after ${Math.round(timeoutMs / 1000)} s` : (lastError ?? `exit code ${code}, no JSON line`);
      resolve({ ok: false, reason: why, wallMs });
    });
  });
}

/** Runs a command to completion and returns its stdout, or null when it fails. */
export function captureOutput(command: Command, timeoutMs = 60_000): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(command.program, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? stdout : null);
    });
  });
}

/** The `alexnet` CLI prefixes its one-line errors with this (src/node/cli/run-action.ts). */
const CLI_ERROR_PREFIX = /^alexnet: error: /;

/**
 * The engine's reason when a failed `alexnet bench --precision bf16` child
 * failed because this CPU cannot run bf16 (no AVX512-BF16, or the SIMD level
 * lowered below AVX-512), without the CLI prefix; null for any other failure.
 * Such a run is reported as skipped, not failed: nothing is broken.
 */
export function bf16UnsupportedReason(failure: string): string | null {
  const message = failure.replace(CLI_ERROR_PREFIX, '').trim();
  return /\bbf16\b.*\b(needs a CPU|has none|is lowered|not supported|unsupported)\b/i.test(message) ? message : null;
}
