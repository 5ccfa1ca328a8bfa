/**
 * TensorFlow.js 4.22 on its 'wasm' backend (@tensorflow/tfjs-backend-wasm,
 * the .wasm binaries ship in the package) or its pure-JavaScript 'cpu'
 * backend. AlexNet is written with tf ops in TensorFlow's NHWC layout, with
 * the .pth weights converted once before timing, as a model converter would
 * (bench/lib/tfjs-alexnet.ts, shared with the browser bench).
 *   node --import tsx bench/runners/tfjs.ts --backend wasm --weights bench/out/alexnet.pth ...
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { readStateDictFile } from '../../src/node/weights/weight-files.js';
import { tfAlexNet } from '../lib/tfjs-alexnet.js';
import { loadInput, parseRunnerArgs, printResult, runMain, saveOutput, timeAsyncRuns } from './common.js';

runMain(async () => {
  const args = parseRunnerArgs();
  const backend = args.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend '${backend}': expected wasm or cpu`);
  if (args.weights === undefined) throw new Error('--weights <model.pth> is required');
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js cannot start its ${backend} backend`);
  await tf.ready();

  const model = tfAlexNet(tf, args.model, await readStateDictFile(args.weights));
  const x = model.input(await loadInput(args));
  let logits: Float32Array | undefined;
  const times = await timeAsyncRuns(
    async () => {
      const y = model.forward(x);
      logits = (await y.data()) as Float32Array;
      y.dispose();
    },
    args.warmup,
    args.iters,
  );
  await saveOutput(args, logits!, [args.batch, logits!.length / args.batch]);

  const version = (createRequire(import.meta.url)('@tensorflow/tfjs/package.json') as { version: string }).version;
  const detail = backend === 'wasm' ? `wasm, ${getThreadsCount()} thread(s)` : 'cpu (pure JavaScript)';
  printResult(`tfjs-${backend}`, detail, version, args, times);
});
