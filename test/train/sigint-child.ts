/**
 * Child process for the Ctrl-C test: trains the tiny model for many epochs
 * through the train command's own session runner (which installs the
 * SIGINT handling), printing "step N" after each step so the parent knows
 * when to interrupt. Usage: node --import tsx sigint-child.ts RUN_DIR
 */
import { executeTraining } from '../../src/node/cli/commands/train.js';
import { tinyConfig, tinyData, tinyModel } from './tiny-run.js';

const outDir = process.argv[2];
const result = await executeTraining(tinyConfig({ epochs: 100000 }), outDir, false, {
  createModel: tinyModel,
  data: tinyData(),
  progress: 'none',
  drawFilters: false,
  log: () => {},
  onStep: (step) => process.stdout.write(`step ${step}\n`),
});
process.stdout.write(`status ${result.status} at step ${result.position.step}\n`);
