/**
 * A worker of the threaded js backend: sleeps on the job counter, computes
 * its share of each job with the ordinary js kernels, counts itself done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { conv2dForwardShare } from './conv-split.js';
import { CTRL, JOB, readGeometry, type WorkerInit } from './protocol.js';

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);
// Length-tracking view: it follows the arena when the caller grows it.
const arena = new Float32Array(init.arena);

function view(offsetWord: number, length: number): Float32Array | null {
  const offset = ctrl[offsetWord];
  return offset < 0 ? null : arena.subarray(offset, offset + length);
}

// Jobs are published only after every worker has said it is ready, so the counter is still 0 here.
let seen = Atomics.load(ctrl, CTRL.SEQ);
parentPort!.postMessage('ready');
for (;;) {
  Atomics.wait(ctrl, CTRL.SEQ, seen);
  seen = Atomics.load(ctrl, CTRL.SEQ);
  const kind = ctrl[CTRL.KIND];
  if (kind === JOB.EXIT) break;
  try {
    if (kind === JOB.CONV2D_FORWARD) {
      const g = readGeometry(ctrl);
      const cg = g.inChannels / g.groups;
      const x = view(CTRL.X, g.batch * g.inChannels * g.inH * g.inW)!;
      const w = view(CTRL.W, g.outChannels * cg * g.kernelH * g.kernelW)!;
      const bias = view(CTRL.BIAS, g.outChannels);
      const out = view(CTRL.OUT, g.batch * g.outChannels * g.outH * g.outW)!;
      conv2dForwardShare(g, x, w, bias, out, ctrl[CTRL.FUSE_RELU] === 1, init.index, init.threads);
    }
  } catch {
    Atomics.store(ctrl, CTRL.FAILED, 1);
  }
  Atomics.add(ctrl, CTRL.DONE, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}
