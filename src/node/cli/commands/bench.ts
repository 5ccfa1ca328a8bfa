/**
 * `alexnet bench`: the speed of one case of this engine — a model, a batch
 * size, inference or one training step — measured in this process: warm-up
 * runs, then --iters timed runs, the median reported. Inference runs in eval
 * mode under noGrad; --train times forward, cross-entropy, backward and an
 * SGD step with momentum. `npm run bench` (bench/run.ts) calls this once per
 * case, each in its own process, and compares it with other frameworks.
 */
import { Option, type Command } from 'commander';
import { parsePrecision } from '../../../backend/precision.js';
import type { Backend } from '../../../backend/backend.js';
import { getBackend, setBackend } from '../../../backend/registry.js';
import { loadNpy, saveNpyChunks } from '../../../formats/npy.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { modelInputChannels } from '../../../models/input-channels.js';
import { checkInputSize } from '../../../models/registry.js';
import { OnnxModel } from '../../../onnx/index.js';
import { runEngineBench, type EngineBenchOutcome, type EngineBenchResult } from '../../bench/engine-bench.js';
import type { LayerTime } from '../../bench/layer-timer.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { ThreadedJsBackend } from '../../js-workers/index.js';
import { assertWritableOutput, refuseInputAsOutput } from '../output-paths.js';
import { runAction } from '../run-action.js';
import {
  modelOption,
  numClassesOption,
  parseNonNegativeInt,
  parsePositiveInt,
  readOptionFile,
  precisionOption,
  resolveModel,
  weightsOption,
  type ModelFlags,
} from '../options.js';

interface BenchFlags extends ModelFlags {
  model: string;
  batch: string;
  inputSize?: string;
  iters: string;
  warmup?: string;
  train?: boolean;
  json?: boolean;
  layers?: boolean;
  inputFile?: string;
  saveOutput?: string;
  seed: string;
  threads: string;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('time inference (or one training step with --train) of a model: warm-up, then the median of --iters runs')
    .addOption(modelOption())
    .addOption(new Option('--batch <n>', 'batch size').default('1'))
    .addOption(new Option('--input-size <s>', "input height and width (default: the model's own, 224 or 227)"))
    .addOption(new Option('--iters <n>', 'timed runs').default('10'))
    .addOption(new Option('--warmup <n>', 'untimed runs first (default: 2, or 1 with --train)'))
    .addOption(new Option('--train', 'time one training step (forward, cross-entropy, backward, SGD with momentum 0.9)'))
    .addOption(new Option('--layers', 'also time every layer (inference; a fused ReLU counts in its Conv2d/Linear)'))
    .addOption(new Option('--json', 'print one JSON line instead of text'))
    .addOption(weightsOption())
    .addOption(numClassesOption())
    .addOption(precisionOption())
    .addOption(new Option('--input-file <x.npy>', 'the input batch [N, C, S, S] (default: seeded N(0, 1) values)'))
    .addOption(new Option('--save-output <y.npy>', "write the last inference run's logits (to compare with other frameworks)"))
    .addOption(new Option('--seed <n>', 'seed of the generated input and training labels').default('0'))
    .addOption(new Option('--threads <n>', 'js backend: threads computing each convolution (worker threads)').default('1'))
    .action(
      runAction(async (flags: BenchFlags) => {
        // Every flag is checked before the weights are read, which may take seconds.
        const batch = parsePositiveInt(flags.batch, '--batch');
        const requestedSize = flags.inputSize === undefined ? undefined : parsePositiveInt(flags.inputSize, '--input-size');
        const iters = parsePositiveInt(flags.iters, '--iters');
        const warmup = flags.warmup === undefined ? (flags.train ? 1 : 2) : parseNonNegativeInt(flags.warmup, '--warmup');
        const seed = parseNonNegativeInt(flags.seed, '--seed');
        const threads = parsePositiveInt(flags.threads, '--threads');
        if (flags.train && flags.saveOutput !== undefined) throw new Error('--save-output applies to inference only (drop --train)');
        if (flags.train && parsePrecision(flags.precision ?? 'fp32', '--precision') !== 'fp32') {
          throw new Error(`--precision ${flags.precision} is for inference (training runs in fp32): drop --train or --precision`);
        }
        if (flags.saveOutput !== undefined) {
          await assertWritableOutput(flags.saveOutput, '--save-output', 'y.npy');
          if (flags.inputFile !== undefined) {
            await refuseInputAsOutput({ path: flags.saveOutput, flag: '--save-output' }, [{ path: flags.inputFile, flag: '--input-file' }]);
          }
        }
        let input: Tensor | undefined;
        if (flags.inputFile !== undefined) {
          input = loadNpy(await readOptionFile(flags.inputFile, '--input-file'), { source: flags.inputFile });
        }
        const { entry, model, numClasses, fixedBatch } = await resolveModel(flags);
        if (fixedBatch !== null && batch !== fixedBatch)
          throw new Error(`--batch ${batch}: the ONNX graph in ${flags.weights} runs batches of ${fixedBatch} only`);
        const inputSize = requestedSize ?? entry.inputSize;
        // As export does: a side the model cannot take is named by its flag, not by the engine's shape error.
        if (requestedSize !== undefined) checkInputSize(entry, requestedSize, '--input-size');
        if (flags.train && model instanceof OnnxModel)
          throw new Error(
            `--train: ${flags.weights} is an ONNX graph, which runs inference only; drop --train, or time training with .pth or .safetensors weights`,
          );
        // The input file's channels where it is a batch [N, C, S, S] (its shape is checked against the rest later),
        // else the model's: a 1-channel Fashion-MNIST model is fed 1-channel input.
        const inChannels = input?.ndim === 4 ? input.shape[1] : (modelInputChannels(model) ?? 3);
        const backend = await backendWithThreads(threads);
        let outcome: EngineBenchOutcome;
        try {
          outcome = runEngineBench({
            model,
            modelName: entry.name,
            backend,
            batch,
            inputSize,
            inChannels,
            numClasses,
            input,
            warmup,
            iters,
            train: flags.train ?? false,
            layers: flags.layers ?? false,
            seed,
          });
        } finally {
          if (backend instanceof ThreadedJsBackend) await backend.close();
        }
        const { result, output } = outcome;
        if (flags.saveOutput !== undefined && output !== null) await writeFileAtomic(flags.saveOutput, saveNpyChunks(output));
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : formatResult(result));
      }),
    );
}

/** The selected backend, or with --threads > 1 the js backend spread over worker threads (made current). */
async function backendWithThreads(threads: number): Promise<Backend> {
  const selected = getBackend();
  if (threads === 1) return selected;
  if (selected.name !== 'js') throw new Error(`--threads applies to the js backend (the ${selected.name} backend sets its own threads)`);
  const threaded = await ThreadedJsBackend.create({ threads });
  setBackend(threaded);
  return threaded;
}

function formatResult(r: EngineBenchResult): string {
  const lines = [
    `${r.model} ${r.mode}, batch ${r.batch}, ${r.input_size}×${r.input_size}, backend ${r.backend}, ${r.precision}${r.threads === undefined ? '' : `, ${r.threads} threads`}`,
    `  ${r.ms_per_batch.toFixed(1)} ms per batch (median of ${r.iters}, after ${r.warmup} warm-up), ${r.images_per_s.toFixed(2)} images/s`,
    `  peak RSS ${r.peak_rss_mb.toFixed(0)} MiB`,
  ];
  if (r.layers !== undefined) lines.push('', formatLayers(r.layers, r.ms_per_batch));
  return `${lines.join('\n')}\n`;
}

/** The per-layer table: layers that took no time (ReLUs fused away, Dropout in eval) are left out. */
export function formatLayers(layers: readonly LayerTime[], totalMs: number): string {
  const rows = layers.filter((l) => l.ms >= 0.05);
  const nameWidth = Math.max(5, ...rows.map((l) => l.name.length));
  const typeWidth = Math.max(4, ...rows.map((l) => l.type.length + (l.fusedRelu ? 6 : 0)));
  // The kernel column (what a packed convolution runs) only when some layer says.
  const kernels = rows.some((l) => l.algorithm !== undefined);
  const out = [`  ${'layer'.padEnd(nameWidth)}  ${'type'.padEnd(typeWidth)}  ${'ms'.padStart(8)}  share${kernels ? '  kernel' : ''}`];
  for (const l of rows) {
    const type = l.fusedRelu ? `${l.type}+ReLU` : l.type;
    const kernel = kernels && l.algorithm !== undefined ? `  ${l.algorithm}` : '';
    out.push(
      `  ${l.name.padEnd(nameWidth)}  ${type.padEnd(typeWidth)}  ${l.ms.toFixed(2).padStart(8)}  ${((100 * l.ms) / totalMs).toFixed(1).padStart(4)}%${kernel}`,
    );
  }
  return out.join('\n');
}
