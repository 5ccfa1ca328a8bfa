/**
 * The shared-memory protocol between the threaded js backend and its
 * workers. One small Int32Array of control words (a job sequence number the
 * workers sleep on, a done counter the caller sleeps on, the job's
 * description) and one growable float arena that holds the job's inputs and
 * output. Jobs are synchronous for the caller: it publishes a job, computes
 * its own share, and sleeps until every worker has finished its share.
 */
import type { Conv2dGeometry } from '../../backend/backend.js';

/** Control word indices. */
export const CTRL = {
  /** Incremented once per job; workers wait for it to change. */
  SEQ: 0,
  /** Workers that finished the current job. */
  DONE: 1,
  /** What to do: one of JOB. */
  KIND: 2,
  /** Set by a worker whose share threw (the caller then throws too). */
  FAILED: 3,
  /** Float offsets of the job's arrays in the arena (-1: absent). */
  X: 4,
  W: 5,
  BIAS: 6,
  OUT: 7,
  FUSE_RELU: 8,
  /** The 16 geometry fields, in GEOMETRY_FIELDS order. */
  GEOMETRY: 9,
} as const;

export const CTRL_WORDS = CTRL.GEOMETRY + 16;

export const JOB = { EXIT: 0, CONV2D_FORWARD: 1 } as const;

/** The geometry record's fields in the order they are stored. */
export const GEOMETRY_FIELDS: readonly (keyof Conv2dGeometry)[] = [
  'batch',
  'inChannels',
  'inH',
  'inW',
  'outChannels',
  'outH',
  'outW',
  'kernelH',
  'kernelW',
  'strideH',
  'strideW',
  'padH',
  'padW',
  'dilationH',
  'dilationW',
  'groups',
];

export function writeGeometry(ctrl: Int32Array, g: Conv2dGeometry): void {
  GEOMETRY_FIELDS.forEach((field, i) => {
    ctrl[CTRL.GEOMETRY + i] = g[field];
  });
}

export function readGeometry(ctrl: Int32Array): Conv2dGeometry {
  const g = {} as Record<keyof Conv2dGeometry, number>;
  GEOMETRY_FIELDS.forEach((field, i) => {
    g[field] = ctrl[CTRL.GEOMETRY + i];
  });
  return g as Conv2dGeometry;
}

/** What a worker receives once, at start (workerData). */
export interface WorkerInit {
  ctrl: SharedArrayBuffer;
  arena: SharedArrayBuffer;
  /** This worker's share index (the calling thread is 0). */
  index: number;
  threads: number;
}
