/**
 * A float32 tensor: a shape over contiguous row-major storage, plus what
 * autograd needs (requiresGrad, grad, gradFn). Views (reshape, flatten) share
 * storage. Differentiable math lives in src/ops; this class keeps only what
 * every op needs.
 */
import { takeBuffer, takeZeroedBuffer } from './buffer-pool.js';
import { runBackward, wasComputedByFreedNode } from '../autograd/backward.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { GradFn, SavedTensor } from '../autograd/node.js';
import { getBackend } from '../backend/registry.js';
import { defaultGenerator, type Generator } from './random.js';
import { bumpStorageVersion, storageVersion } from './version.js';
import { assertValidShape, inferShape, normalizeDim, numel, shapeToString, type Shape } from './shape.js';

export type NestedArray = number | NestedArray[];

/** What Tensor.from takes: numbers nested in arrays, whose innermost rows may be typed arrays. */
export type NestedNumbers = number | ArrayLike<number> | NestedNumbers[];

export interface TensorOptions {
  requiresGrad?: boolean;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: GradFn | null = null;
  /**
   * Set by Sequential on an intermediate activation that only the graph
   * references: backward() hands its array to the buffer pool once the
   * tensor's own node has run (every node that reads it runs before).
   */
  releaseAfterBackward = false;

  constructor(data: Float32Array, shape: Shape, options: TensorOptions = {}) {
    assertValidShape(shape, 'Tensor');
    if (data.length !== numel(shape)) {
      throw new Error(`Tensor: ${data.length} values do not fill shape ${shapeToString(shape)} (${numel(shape)} elements)`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = options.requiresGrad ?? false;
  }

  // ---- construction ----------------------------------------------------

  /**
   * A tensor whose values are unspecified (a recycled buffer when one fits):
   * for an op's output that a Backend kernel then writes in full.
   */
  static empty(shape: Shape, options?: TensorOptions): Tensor {
    assertValidShape(shape, 'Tensor.empty'); // here, before allocating: a negative size would be a raw RangeError
    return new Tensor(takeBuffer(numel(shape)), shape, options);
  }

  static zeros(shape: Shape, options?: TensorOptions): Tensor {
    assertValidShape(shape, 'Tensor.zeros');
    return new Tensor(takeZeroedBuffer(numel(shape)), shape, options);
  }

  static ones(shape: Shape, options?: TensorOptions): Tensor {
    return Tensor.full(shape, 1, options);
  }

  static full(shape: Shape, value: number, options?: TensorOptions): Tensor {
    assertValidShape(shape, 'Tensor.full');
    return new Tensor(new Float32Array(numel(shape)).fill(value), shape, options);
  }

  /**
   * From nested arrays (shape inferred, as torch.tensor), a flat list or typed array (1-D unless `shape` is
   * given), or nested arrays with a `shape` to take their values in.
   */
  static from(values: ArrayLike<number> | NestedNumbers, shape?: Shape, options?: TensorOptions): Tensor {
    if (!Array.isArray(values)) {
      const flat = Float32Array.from(values as ArrayLike<number>);
      return new Tensor(flat, shape ?? [flat.length], options);
    }
    if (shape !== undefined) return new Tensor(Float32Array.from((values as unknown[]).flat(Number.POSITIVE_INFINITY) as number[]), shape, options);
    // Nested arrays, typed arrays among them (rows of a Float32Array, as torch.tensor takes a list of numpy rows).
    type Row = ArrayLike<unknown>;
    const isRow = (v: unknown): v is Row => Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
    const inferred: number[] = [];
    let level: unknown = values;
    while (isRow(level)) {
      inferred.push(level.length);
      level = level[0];
    }
    const flat: number[] = [];
    // Every sequence at a depth must have the first one's length, as torch.tensor requires: a ragged list would
    // otherwise be poured into the first rows' shape. Leaves must be numbers.
    const describe = (v: unknown): string => {
      if (isRow(v)) return `a sequence of length ${v.length}`;
      if (typeof v === 'number') return `the number ${v}`;
      if (typeof v === 'string') return `the string '${v}'`;
      return v === undefined || v === null ? String(v) : `a ${typeof v}`;
    };
    // `at` is the index of v, [i, j, …] (torch names the dim; the index says where in a long list).
    const collect = (v: unknown, at: number[]): void => {
      const dim = at.length;
      const row = isRow(v);
      if (row !== dim < inferred.length || (row && v.length !== inferred[dim]) || (!row && typeof v !== 'number')) {
        const expected = dim < inferred.length ? `a sequence of length ${inferred[dim]}` : 'a number';
        throw new Error(
          `Tensor.from: expected ${expected} at [${at.join(', ')}] (dim ${dim}), got ${describe(v)}: nested arrays must be rectangular arrays of numbers`,
        );
      }
      if (row) for (let i = 0; i < v.length; i++) collect(v[i], [...at, i]);
      else flat.push(v as number);
    };
    collect(values, []);
    return new Tensor(Float32Array.from(flat), inferred, options);
  }

  static scalar(value: number): Tensor {
    return new Tensor(Float32Array.of(value), []);
  }

  /** U[low, high) from a seeded generator (the default one unless given). */
  static rand(shape: Shape, low = 0, high = 1, generator: Generator = defaultGenerator): Tensor {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = generator.uniformRange(low, high);
    return t;
  }

  /** N(mean, std²) from a seeded generator (the default one unless given). */
  static randn(shape: Shape, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = mean + std * generator.normal();
    return t;
  }

  // ---- inspection ------------------------------------------------------

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return this.data.length;
  }

  size(dim: number): number {
    return this.shape[normalizeDim(dim, this.ndim, 'size')];
  }

  /** Made by no recorded op (torch's is_leaf); a tensor whose node backward() freed is still no leaf. */
  get isLeaf(): boolean {
    return this.gradFn === null && !wasComputedByFreedNode(this);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item(): tensor of shape ${shapeToString(this.shape)} has ${this.data.length} elements, expected 1`);
    return this.data[0];
  }

  /** Nested JavaScript arrays, like torch's tolist(). */
  toArray(): NestedArray {
    if (this.ndim === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const out: NestedArray[] = [];
      const stride = numel(this.shape.slice(dim + 1));
      for (let i = 0; i < this.shape[dim]; i++) {
        out.push(dim === this.ndim - 1 ? this.data[offset + i] : build(dim + 1, offset + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(shape=${shapeToString(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''}${this.gradFn ? `, gradFn=${this.gradFn.name}` : ''})`;
  }

  // ---- in-place changes --------------------------------------------------

  /**
   * The version of this tensor's storage (shared with its views): bumped by
   * every in-place change the library makes. Caches of derived data, such as
   * a layer's weight packed for inference, are rebuilt when it moves.
   */
  get version(): number {
    return storageVersion(this.data);
  }

  /**
   * Records that `data` was changed in place. The library's own in-place
   * changes (optimizer steps, loadStateDict, the init functions) call it;
   * code that writes `tensor.data[i] = …` must call it afterwards, or an eval
   * forward may keep using a weight packed before the write.
   */
  markChanged(): this {
    bumpStorageVersion(this.data);
    return this;
  }

  /**
   * Makes `data` this tensor's storage, without copying (torch's `set_`):
   * loadStateDict({ assign: true }) uses it so loaded weights are not held
   * twice. Views taken earlier keep the old storage. Prepared weights
   * (ops/prepared-weight.ts) see the new array and are made again; other
   * caches of data derived from the tensor must compare the array too, since
   * the new storage has its own version counter.
   */
  setStorage(data: Float32Array): this {
    if (data.length !== this.data.length) {
      throw new Error(`Tensor.setStorage: ${data.length} values do not fill shape ${shapeToString(this.shape)} (${this.data.length} elements)`);
    }
    (this as { data: Float32Array }).data = data;
    return this.markChanged();
  }

  // ---- views -----------------------------------------------------------

  /** Same storage, new shape (one dimension may be -1). */
  reshape(shape: Shape): Tensor {
    const target = inferShape(shape, this.data.length);
    return attachGrad(new Tensor(this.data, target), 'ReshapeBackward', [this], (g) => [g]);
  }

  view(shape: Shape): Tensor {
    return this.reshape(shape);
  }

  /** Merges dimensions startDim..endDim, like torch.flatten. */
  flatten(startDim = 0, endDim = -1): Tensor {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normalizeDim(startDim, this.ndim, 'flatten');
    const e = normalizeDim(endDim, this.ndim, 'flatten');
    if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
    const merged = numel(this.shape.slice(s, e + 1));
    return this.reshape([...this.shape.slice(0, s), merged, ...this.shape.slice(e + 1)]);
  }

  // ---- autograd --------------------------------------------------------

  /** A tensor on the same storage that is cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with storage of its own; differentiable, as torch's clone: the gradient passes through to this tensor. */
  clone(): Tensor {
    return attachGrad(new Tensor(new Float32Array(this.data), this.shape), 'CloneBackward', [this], (g) => [g]);
  }

  /**
   * Back-propagates from this tensor. Without an argument it must hold one
   * element (a loss), whose gradient is 1.
   */
  backward(gradient?: Tensor): void {
    if (!this.requiresGrad)
      throw new Error('backward(): tensor does not require grad and has no gradFn (was it computed inside noGrad, or from inputs without requiresGrad?)');
    let seed: Float32Array;
    if (gradient === undefined) {
      if (this.data.length !== 1) throw new Error(`backward(): gradient can be implicit only for a one-element tensor, got shape ${shapeToString(this.shape)}`);
      seed = Float32Array.of(1);
    } else {
      if (gradient.shape.length !== this.shape.length || gradient.shape.some((d, i) => d !== this.shape[i]))
        throw new Error(`backward(): gradient shape ${shapeToString(gradient.shape)} does not match tensor shape ${shapeToString(this.shape)}`);
      seed = new Float32Array(gradient.data);
    }
    runBackward(this, seed);
  }

  /**
   * Adds g into .grad (allocating it on first use). Called by autograd for
   * leaves; `adopt` says g is referenced nowhere else, so a first gradient can
   * keep that buffer instead of a copy. Returns whether g was adopted.
   */
  accumulateGrad(g: Float32Array, adopt = false): boolean {
    if (this.grad === null) {
      this.grad = new Tensor(adopt ? g : new Float32Array(g), this.shape);
      return adopt;
    }
    getBackend().axpy(1, g, this.grad.data);
    return false;
  }

  /** Drops the gradient; `setToNone` false keeps it filled with zeros instead (what Module/SGD.zeroGrad() do, as torch 1.13). */
  zeroGrad(setToNone = true): void {
    if (setToNone) this.grad = null;
    else this.grad?.data.fill(0);
  }
}

/**
 * Records `out` as produced by an op over `inputs` when grad mode is on and
 * some input requires a gradient. `backward` maps the output's gradient to
 * one gradient per input (null to skip); it is only called for a graph that
 * was recorded.
 */
/**
 * A fused ReLU has no backward pass: an op asked to fuse one while a graph
 * is being recorded throws instead of silently cutting the graph.
 */
export function assertNoGraphThroughFusedRelu(fuseRelu: boolean, inputs: readonly (Tensor | null)[], label: string): void {
  if (fuseRelu && needsGrad(inputs)) {
    throw new Error(`${label}: fuseRelu has no backward pass: run it under noGrad() (or apply relu() separately to train)`);
  }
}

/** Whether an op on these inputs records a backward step (grad mode on and some input requires a gradient). */
export function needsGrad(inputs: readonly (Tensor | null)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad);
}

/**
 * Records the op that made `out` for backward, when an input needs a gradient. `saved` lists the tensors the
 * backward closure reads (inputs, or `out` itself): changing one in place before backward is an error there,
 * as in PyTorch, not a gradient silently computed from the new values.
 */
export function attachGrad(
  out: Tensor,
  name: string,
  inputs: readonly (Tensor | null)[],
  backward: (gradOut: Float32Array, gradOutReusable: boolean) => (Float32Array | null)[],
  saved: readonly (Tensor | null)[] = [],
): Tensor {
  if (!needsGrad(inputs)) return out;
  const needed = inputs.map((t) => (t?.requiresGrad ? t : null));
  const kept: SavedTensor[] = [];
  for (const tensor of saved) if (tensor !== null) kept.push({ tensor, data: tensor.data, version: storageVersion(tensor.data) });
  out.requiresGrad = true;
  out.gradFn = { name, inputs: needed, backward, saved: kept };
  return out;
}
