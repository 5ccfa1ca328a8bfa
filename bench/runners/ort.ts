/**
 * onnxruntime-node on the CPU execution provider: the ONNX export of the same
 * model and weights (tools/export_onnx.py), intra-op threads as given (2 by
 * default, the machine's cores), all graph optimizations on.
 *   node --import tsx bench/runners/ort.ts --weights bench/out/alexnet.onnx --batch 1 ...
 */
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { loadInput, parseRunnerArgs, printResult, runMain, saveOutput, timeAsyncRuns } from './common.js';

runMain(async () => {
  const args = parseRunnerArgs();
  if (args.weights === undefined) throw new Error('--weights <model.onnx> is required');
  const session = await ort.InferenceSession.create(args.weights, {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const x = await loadInput(args);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, [...x.shape]) };
  let logits: ort.Tensor | undefined;
  const times = await timeAsyncRuns(
    async () => {
      const result = await session.run(feeds);
      logits = result[session.outputNames[0]];
    },
    args.warmup,
    args.iters,
  );
  await saveOutput(args, logits!.data as Float32Array, [...logits!.dims]);
  const version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  printResult('onnxruntime-node', `cpu, ${args.threads} intra-op threads`, version, args, times);
  await session.release();
});
