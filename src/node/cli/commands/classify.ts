/**
 * `alexnet classify`: top-k classes of image files, with the ImageNet
 * evaluation preprocessing (Resize(256), CenterCrop to the model's input
 * size, ToTensor, Normalize) and a softmax over the model's output.
 *
 * Arguments are files, directories and glob patterns. Without --output the
 * results are printed once every image went through (a table, or --json),
 * and a bad file fails the command. With --output the results are appended
 * to a JSON-lines file batch by batch: a bad file gets an error line and
 * the run goes on, and a rerun resumes where the last one stopped; --shard
 * splits the images among independent processes.
 */
import { Option, type Command } from 'commander';
import type { Prediction } from '../../../models/predictions.js';
import { listImages } from '../../classify/image-list.js';
import { displayPath } from '../../data/image-folder.js';
import { ImageClassifier, classifierModel } from '../../classify/image-classifier.js';
import { readExistingResults, ResultsWriter, type ResultLine } from '../../classify/jsonl-results.js';
import { preparedBatches } from '../../classify/prepared-batches.js';
import { filesInShard, formatShard, parseShard, type Shard } from '../../classify/shard.js';
import { PreprocessPool } from '../../image/preprocess-pool.js';
import { createProgress } from '../../train/progress.js';
import { runAction } from '../run-action.js';
import { modelOption, parsePositiveInt, precisionOption, resolveModel, weightsOption, type ModelFlags, type ResolvedModel } from '../options.js';

interface ClassifyFlags extends ModelFlags {
  model: string;
  topk: string;
  json?: boolean;
  recursive?: boolean;
  output?: string;
  shard?: string;
  batchSize: string;
}

export interface ImageResult {
  file: string;
  top: Prediction[];
}

const RANDOM_WEIGHTS_WARNING = 'alexnet: warning: no --weights given: the model has random weights, so the classes are meaningless\n';

function formatTable(results: readonly ImageResult[]): string {
  const blocks = results.map(({ file, top }) => {
    const rows = top.map((p, rank) =>
      `  ${String(rank + 1).padStart(2)}. ${`${(p.prob * 100).toFixed(2)}%`.padStart(7)}  ${String(p.index).padStart(4)}  ${p.label ?? ''}`.trimEnd(),
    );
    // A name that is not UTF-8 shown as a UTF-8 terminal shows it (its escaped bytes as U+FFFD), as ImageFolder's messages do.
    return [displayPath(file), ...rows].join('\n');
  });
  return blocks.join('\n\n');
}

interface Run {
  files: string[];
  /** Images listed before --shard took its part. */
  listed: number;
  shard: Shard | null;
  batchSize: number;
  k: number;
}

/** The top-k of a prepared batch's decoded images, in their order. */
async function classifyRows(classifier: ImageClassifier, rows: Float32Array, n: number, k: number): Promise<Prediction[][]> {
  if (n === 0) return [];
  return classifier.top(classifier.probabilities(await classifier.forward(rows, n), n), n, k);
}

/** Without --output: every image classified before anything is printed, so a bad file fails the whole command with no output. */
async function printResults(run: Run, resolved: ResolvedModel, json: boolean): Promise<void> {
  if (run.files.length === 0 && !json) {
    // A shard can hold none of a few images: say so rather than print an empty line.
    const where = run.shard === null ? 'the listing' : `shard ${formatShard(run.shard)}`;
    process.stderr.write(`alexnet: nothing to classify: ${where} holds none of the ${run.listed} images\n`);
    return;
  }
  const classifier = new ImageClassifier(classifierModel(resolved));
  // A graph that fixes its batch (the BVLC AlexNet: 1) gets batches of exactly that size.
  const batchSize = classifier.fixedBatch ?? run.batchSize;
  const results: ImageResult[] = [];
  let first = true;
  for await (const batch of preparedBatches(classifier, run.files, batchSize)) {
    if (batch.failed.length > 0) throw new Error(batch.failed[0].error);
    // Warned once the first images decoded: a file that is not an image fails with that one line alone.
    if (resolved.randomInit && first) process.stderr.write(RANDOM_WEIGHTS_WARNING);
    first = false;
    const top = await classifyRows(classifier, batch.rows, batch.decoded.length, run.k);
    for (const [i, file] of batch.decoded.entries()) results.push({ file, top: top[i] });
  }
  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `${formatTable(results)}\n`);
}

/**
 * With --output: the images without a line in the file are classified and
 * their lines appended batch by batch; a file that cannot be read or
 * decoded gets an error line and is counted, the run goes on.
 */
async function writeResults(run: Run, output: string, loadModel: () => Promise<ResolvedModel>): Promise<void> {
  const existing = await readExistingResults(output);
  const todo = run.files.filter((f) => !existing.done.has(f));
  const alreadyDone = run.files.length - todo.length;
  // Opened before the model loads, so an unwritable file fails at once; a line cut short is cut off only by the
  // first write, so a run that fails before it (missing weights, a bad --topk) leaves the file as it was.
  const writer = await ResultsWriter.open(output, existing);
  let classified = 0;
  let skipped = 0;
  try {
    if (todo.length > 0) {
      const resolved = await loadModel();
      if (resolved.randomInit) process.stderr.write(RANDOM_WEIGHTS_WARNING);
      // The PIL-exact resize in worker threads, beside the model's forward pass on the main thread.
      const pool = new PreprocessPool();
      const progress = createProgress(process.stderr.isTTY ? 'bar' : 'none');
      try {
        const classifier = new ImageClassifier(classifierModel(resolved), pool);
        const batchSize = classifier.fixedBatch ?? run.batchSize;
        const start = performance.now();
        progress.start('classify', todo.length, 0, false);
        for await (const batch of preparedBatches(classifier, todo, batchSize)) {
          const top = await classifyRows(classifier, batch.rows, batch.decoded.length, run.k);
          const byFile = new Map<string, ResultLine>(batch.failed.map((line) => [line.file, line]));
          for (const [i, file] of batch.decoded.entries()) byFile.set(file, { file, top: top[i] });
          await writer.append(batch.files.map((file) => byFile.get(file)!));
          classified += batch.decoded.length;
          skipped += batch.failed.length;
          const done = classified + skipped;
          progress.update(done, { imagesPerSecond: done / ((performance.now() - start) / 1000) });
        }
      } finally {
        progress.stop();
        await pool.close();
      }
    }
  } finally {
    await writer.close();
  }
  process.stderr.write(`${summaryLine(run, output, classified, skipped, alreadyDone)}\n`);
}

/** One line on stderr: what this run did, what it found done, which part of the images it had. */
function summaryLine(run: Run, output: string, classified: number, skipped: number, alreadyDone: number): string {
  const skippedText = skipped === 0 ? 'skipped 0' : `skipped ${skipped} unreadable (each has an "error" line)`;
  const shardText = run.shard === null ? `all ${run.listed} images` : `shard ${formatShard(run.shard)}: ${run.files.length} of ${run.listed} images`;
  return `alexnet: classified ${classified}, ${skippedText}, already done ${alreadyDone} (resumed); ${shardText}; results in ${output}`;
}

export function register(program: Command): void {
  program
    .command('classify')
    .description('top-k ImageNet classes of images (Resize 256, CenterCrop, Normalize; softmax)')
    .argument(
      '<images...>',
      'image files, directories (their .jpg .jpeg .png .webp .gif .tif .tiff .avif files, hidden ones skipped) or glob patterns (quoted: "photos/**/*.jpg")',
    )
    .addOption(modelOption())
    .addOption(weightsOption())
    .addOption(precisionOption())
    .addOption(new Option('--topk <k>', 'how many classes to show per image').default('5'))
    .option('--json', 'print [{"file", "top": [{"index", "label", "prob"}]}] as JSON')
    .option('-r, --recursive', 'also list the images in subdirectories of a directory argument')
    .option(
      '--output <file>',
      'append one JSON line per image to FILE ({"file", "top"}, or {"file", "error"} for an unreadable image, which does not stop the run); ' +
        'images that already have a line are skipped, so rerunning the same command resumes',
    )
    .option(
      '--shard <i/n>',
      'classify only shard i of n (0-based; by a hash of each path, so shards are disjoint and together all images): ' +
        'i = $JOB_COMPLETION_INDEX in a Kubernetes Indexed Job, $SLURM_ARRAY_TASK_ID in a Slurm array',
    )
    .addOption(new Option('--batch-size <b>', 'images per forward pass (a graph with a fixed batch uses its own)').default('8'))
    .action(
      runAction(async (args: string[], flags: ClassifyFlags) => {
        // Every flag is checked before a file is listed or the model loaded.
        const k = parsePositiveInt(flags.topk, '--topk');
        const batchSize = parsePositiveInt(flags.batchSize, '--batch-size');
        const shard = flags.shard === undefined ? null : parseShard(flags.shard);
        if (flags.json && flags.output !== undefined)
          throw new Error('--json prints to stdout and --output writes to a file: give one (--output writes the --json objects, one per line)');
        const listed = await listImages(args, { recursive: flags.recursive });
        const files = shard === null ? listed : filesInShard(listed, shard);
        const run: Run = { files, listed: listed.length, shard, batchSize, k };
        const loadModel = async () => {
          const resolved = await resolveModel({ model: flags.model, weights: flags.weights, precision: flags.precision });
          // Asking for more classes than the model has is a mistake to name, not a request to cut quietly.
          if (k > resolved.numClasses) throw new Error(`--topk ${k}: the model has ${resolved.numClasses} classes`);
          return resolved;
        };
        if (flags.output !== undefined) await writeResults(run, flags.output, loadModel);
        else await printResults(run, await loadModel(), flags.json ?? false);
      }),
    );
}
