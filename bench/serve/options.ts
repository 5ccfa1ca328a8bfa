/** The flags of `npm run bench:serve` (bench/serve.ts), checked once so that a typo fails before minutes of load. */
import { parseArgs } from 'node:util';

export interface ServeBenchOptions {
  /** Seconds of recorded load per concurrency and input set. */
  duration: number;
  /** Seconds of load before each recorded run, not recorded: connections open, the queue fills. */
  warmup: number;
  /** Seconds of the soak at concurrency 64 on the 224×224 JPEGs; 0: no soak. */
  soak: number;
  concurrency: number[];
  /** Where the markdown goes: a RESULTS.md-style file, or null for stdout only (`--output -`). */
  output: string | null;
  /** Weights for the server (and the CLI bench); random weights when absent. */
  weights?: string;
}

/** The server's batching settings: fixed, since target (b) is stated for them. */
export const MAX_BATCH = 32;
export const MAX_DELAY_MS = 5;
/** Concurrency of the soak and of target (a). */
export const SOAK_CONCURRENCY = 64;

function seconds(text: string, flag: string, min: number): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < min) throw new Error(`${flag} '${text}': expected a number of seconds ≥ ${min}`);
  return v;
}

function concurrencies(text: string): number[] {
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((c) => !Number.isSafeInteger(c) || c < 1))
    throw new Error(`--concurrency '${text}': expected positive integers, e.g. 1,8,64`);
  return list;
}

export function parseOptions(argv: string[], defaultOutput: string): ServeBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      soak: { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '1,8,64' },
      output: { type: 'string', default: defaultOutput },
      weights: { type: 'string' },
    },
  });
  return {
    duration: seconds(values.duration, '--duration', 1),
    warmup: seconds(values.warmup, '--warmup', 0),
    soak: seconds(values.soak, '--soak', 0),
    concurrency: concurrencies(values.concurrency),
    output: values.output === '-' ? null : values.output,
    weights: values.weights,
  };
}
