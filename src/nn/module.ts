/**
 * The base of every layer and model, after torch.nn.Module: ordered children,
 * named parameters and buffers whose dotted paths are PyTorch's state_dict
 * keys, train/eval mode, and forward hooks (the summary uses them).
 *
 * Layers implement forward(); models and containers write forwardSteps()
 * (nn/forward-steps.ts), which serves both call() and callAsync(). Callers use
 * call(), which also runs hooks, the way PyTorch's __call__ wraps forward.
 */
import { isGradEnabled, noGradAsync } from '../autograd/grad-mode.js';
import { parsePrecision, type Precision } from '../backend/precision.js';
import { getBackend } from '../backend/registry.js';
import { fp32ValuesDiscarded, releasePreparedWeight } from '../ops/prepared-weight.js';
import { shapeToString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { type ForwardSteps, runStepsAsync, runStepsSync } from './forward-steps.js';
import type { Parameter } from './parameter.js';

export type ForwardHook = (module: Module, input: Tensor, output: Tensor) => void;
export type StateDict = Map<string, Tensor>;

export interface LoadStateDictOptions {
  /** Require exactly the model's keys (default true, as in PyTorch). */
  strict?: boolean;
  /**
   * Make the given tensors' storage the module's own instead of copying it
   * (PyTorch's assign=True), so weights read from a file are held once, not
   * twice: the module and the state dict then share memory. Default false.
   */
  assign?: boolean;
}

export interface SetPrecisionOptions {
  /**
   * false: convert the linear layers' weights now into the form the backend
   * runs them in and free their float32 values (for AlexNet 58.6 of its
   * 61.1 M parameters: about 235 MB). That form is bf16 where the backend has
   * bf16 kernels (native: the backend zeroes the storage as it converts it,
   * giving the memory back to the OS on Linux, so that conversion never holds
   * both copies whole), or in fp32 the backend's own packed copy where it
   * keeps one (packsFp32LinearWeights: wasm, whose copy sits in WebAssembly
   * memory). Elsewhere the float32 weights are what the kernels read, and
   * they stay. A tensor sharing the freed storage (a state dict loaded with
   * assign: true) reads zeros. The model then runs inference in this precision
   * on this backend and nothing else: train(), setPrecision(), stateDict(),
   * loadStateDict(), another backend and (fp32) a call with gradients enabled
   * throw. Default true (the float32 weights stay, so any of that works).
   */
  keepFp32Weights?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  training = true;
  /** Inference precision of this module's matrix products; set for a whole model with setPrecision(). */
  precision: Precision = 'fp32';
  private readonly parameterSlots = new Map<string, Parameter | null>();
  private readonly bufferSlots = new Map<string, Tensor>();
  private readonly childSlots = new Map<string, Module>();
  private readonly forwardHooks: ForwardHook[] = [];

  /**
   * A model's or container's forward, written once as a generator that yields
   * its submodule calls (see forward-steps.ts); forward() and forwardAsync()
   * run it. Layers that compute themselves override forward() instead.
   */
  protected forwardSteps?(x: Tensor): ForwardSteps;
  /**
   * True when forwardSteps passes each call's output only to the next call (directly or through a view such as
   * flatten) and keeps no other reference to it: in inference the runner then recycles it once that call has
   * run, as Sequential does between its layers. A forward that reuses an earlier output (a skip connection)
   * must leave this false.
   */
  protected readonly forwardIsChain: boolean = false;

  forward(x: Tensor): Tensor {
    if (this.forwardSteps === undefined) throw new Error(`${this.typeName}: implement forward() or forwardSteps()`);
    return runStepsSync(this.forwardSteps(x), this.forwardIsChain);
  }

  /** Runs forward and then the forward hooks, like PyTorch's module(x). */
  call(x: Tensor): Tensor {
    const y = this.forward(x);
    for (const hook of this.forwardHooks) hook(this, x, y);
    return y;
  }

  /**
   * Like call(), but layers whose backend can run kernels off the main thread
   * (native) await them, so the event loop keeps turning during inference.
   */
  async callAsync(x: Tensor): Promise<Tensor> {
    // The grad mode of the call's start holds for all its layers: started inside a synchronous noGrad(), which
    // ends as soon as this returns its promise, the later layers would otherwise record a graph.
    const y = isGradEnabled() ? await this.forwardAsync(x) : await noGradAsync(() => this.forwardAsync(x));
    for (const hook of this.forwardHooks) hook(this, x, y);
    return y;
  }

  /** forwardSteps() with each submodule awaited; else forward(). Layers with heavy kernels override it. */
  forwardAsync(x: Tensor): Promise<Tensor> {
    if (this.forwardSteps !== undefined) return runStepsAsync(this.forwardSteps(x), this.forwardIsChain);
    try {
      return Promise.resolve(this.forward(x));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** PyTorch's class name of this module ("Conv2d", "AlexNet", ...). */
  get typeName(): string {
    return this.constructor.name;
  }

  /** What PyTorch prints inside the parentheses of this module's repr. */
  extraRepr(): string {
    return '';
  }

  // ---- registration ----------------------------------------------------

  protected registerParameter<T extends Parameter | null>(name: string, parameter: T): T {
    this.assertFreeName(name);
    this.parameterSlots.set(name, parameter);
    return parameter;
  }

  /**
   * Makes `parameter` this module's parameter `name` in place of the one registered under it, as
   * `module.name = parameter` does in PyTorch: with another layer's parameter, the two layers share one weight
   * (tied weights, listed once by namedParameters). The shapes must match.
   */
  setParameter(name: string, parameter: Parameter): void {
    const old = this.parameterSlots.get(name);
    if (old === undefined || old === null) throw new Error(`${this.typeName}: no parameter '${name}' to replace`);
    if (old.shape.length !== parameter.shape.length || old.shape.some((d, i) => d !== parameter.shape[i])) {
      throw new Error(`${this.typeName}: parameter '${name}' is ${shapeToString(old.shape)}, got ${shapeToString(parameter.shape)}`);
    }
    // Layers read their parameters through fields of the same name (this.weight).
    const fields = this as unknown as Record<string, unknown>;
    if (fields[name] === old) fields[name] = parameter;
    this.parameterSlots.set(name, parameter);
  }

  protected registerBuffer(name: string, tensor: Tensor): Tensor {
    this.assertFreeName(name);
    this.bufferSlots.set(name, tensor);
    return tensor;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.childSlots.set(name, module);
    return module;
  }

  private assertFreeName(name: string): void {
    if (name === '' || name.includes('.')) throw new Error(`${this.typeName}: invalid attribute name '${name}'`);
    if (this.parameterSlots.has(name) || this.bufferSlots.has(name) || this.childSlots.has(name)) {
      throw new Error(`${this.typeName}: attribute '${name}' is already registered`);
    }
  }

  registerForwardHook(hook: ForwardHook): () => void {
    this.forwardHooks.push(hook);
    return () => {
      const i = this.forwardHooks.indexOf(hook);
      if (i >= 0) this.forwardHooks.splice(i, 1);
    };
  }

  get hasForwardHooks(): boolean {
    return this.forwardHooks.length > 0;
  }

  // ---- traversal -------------------------------------------------------

  *namedChildren(): Generator<[string, Module]> {
    yield* this.childSlots;
  }

  children(): Module[] {
    return [...this.childSlots.values()];
  }

  /**
   * This module and every descendant, depth first, with dotted names ('' for this one). A module registered
   * under two names comes once, under the first, as PyTorch's named_modules does.
   */
  *namedModules(prefix = '', seen = new Set<Module>()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [name, child] of this.childSlots) yield* child.namedModules(prefix === '' ? name : `${prefix}.${name}`, seen);
  }

  /**
   * Own parameters first, then the children's, in registration order: PyTorch's order. A parameter shared by
   * two layers (tied weights) comes once, under its first name, as in PyTorch: an optimizer must update it
   * once. stateDict() still lists it under every name.
   */
  *namedParameters(prefix = ''): Generator<[string, Parameter]> {
    yield* this.namedTensors(prefix, (m) => m.parameterSlots, new Set());
  }

  parameters(): Parameter[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** Buffers in the same order, each once (see namedParameters). */
  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    yield* this.namedTensors(prefix, (m) => m.bufferSlots, new Set());
  }

  private *namedTensors<T extends Tensor>(prefix: string, slots: (m: Module) => Map<string, T | null>, seen: Set<Tensor>): Generator<[string, T]> {
    for (const [name, t] of slots(this)) {
      if (t === null || seen.has(t)) continue;
      seen.add(t);
      yield [prefix + name, t];
    }
    for (const [name, child] of this.childSlots) yield* child.namedTensors(`${prefix}${name}.`, slots, seen);
  }

  /** Number of parameter elements (trainable only when asked). */
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.numel;
    return n;
  }

  // ---- modes and gradients ---------------------------------------------

  /**
   * Sets training mode (dropout active, no packed weights) or, with false,
   * eval mode. Entering training mode frees the weights prepared for
   * inference (ops/prepared-weight.ts), which it does not use.
   */
  train(mode = true): this {
    if (mode) this.releasePreparedWeights(); // first: it refuses where it would free the only copy of a weight
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  private releasePreparedWeights(): void {
    for (const p of this.parameters()) releasePreparedWeight(p);
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Sets the inference precision of this module and every descendant
   * (backend/precision.ts): 'bf16' converts convolution and linear weights
   * once to bfloat16 and rounds activations at the matrix products; it runs
   * in eval mode under noGrad() only. Throws, with the reason, when the
   * current backend has bf16 kernels that this CPU cannot run.
   */
  setPrecision(precision: Precision, options: SetPrecisionOptions = {}): this {
    const checked = parsePrecision(precision);
    if (checked === 'bf16') {
      const reason = getBackend().precisionSupport?.('bf16') ?? null;
      if (reason !== null) throw new Error(reason);
    }
    const keep = options.keepFp32Weights ?? true;
    if (!keep && this.training) throw new Error(`setPrecision('${checked}', { keepFp32Weights: false }) is for inference: call eval() first`);
    this.releasePreparedWeights();
    for (const [, m] of this.namedModules()) m.precision = checked;
    if (!keep) for (const [, m] of this.namedModules()) m.discardFp32Weights();
    return this;
  }

  /**
   * setPrecision(p, { keepFp32Weights: false }): a layer that holds its
   * weight converted by the backend frees the float32 values (Linear does).
   */
  protected discardFp32Weights(): void {}

  /** Throws, naming `action`, when a layer's float32 weights were discarded (setPrecision's keepFp32Weights: false). */
  private assertFp32Weights(action: string): void {
    for (const [name, p] of this.namedParameters()) {
      const lost = fp32ValuesDiscarded(p);
      if (lost !== undefined) throw new Error(`${this.typeName}.${action}: '${name}' has no float32 values: ${lost}`);
    }
  }

  /** torch 1.13's zero_grad(): gradients filled with zeros; `setToNone` drops them (set_to_none=True). */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) p.zeroGrad(options.setToNone === true);
  }

  // ---- state dict ------------------------------------------------------

  /** Parameters and buffers under PyTorch's keys, in PyTorch's order (sharing storage with the module). */
  stateDict(): StateDict {
    this.assertFp32Weights('stateDict()');
    const out: StateDict = new Map();
    this.collectState('', out);
    return out;
  }

  private collectState(prefix: string, out: StateDict): void {
    for (const [name, p] of this.parameterSlots) if (p !== null) out.set(prefix + name, p);
    for (const [name, b] of this.bufferSlots) out.set(prefix + name, b);
    for (const [name, child] of this.childSlots) child.collectState(`${prefix}${name}.`, out);
  }

  /**
   * Copies values into this module's tensors. Strict (the default) requires
   * exactly this module's keys; any mismatch is reported in one error that
   * lists every missing, unexpected and mis-shaped key. Shapes must always match.
   */
  loadStateDict(state: StateDict | Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    this.assertFp32Weights('loadStateDict()');
    const strict = options.strict ?? true;
    const source = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const misShaped: string[] = [];
    for (const [key, target] of own) {
      const value = source.get(key);
      if (value !== undefined && (value.numel !== target.numel || value.shape.some((d, i) => d !== target.shape[i]) || value.ndim !== target.ndim)) {
        misShaped.push(`${key}: expected ${shapeToString(target.shape)}, got ${shapeToString(value.shape)}`);
      }
    }
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (misShaped.length > 0) problems.push(`shape mismatch: ${misShaped.join('; ')}`);
    if (problems.length > 0) throw new Error(`loadStateDict(${this.typeName}): ${problems.join('. ')}`);
    for (const [key, target] of own) {
      const value = source.get(key);
      if (value === undefined) continue;
      if (options.assign === true) {
        releasePreparedWeight(target); // packed from the old storage, whose version counter is not the new one's
        target.setStorage(value.data);
      } else {
        target.data.set(value.data);
        target.markChanged();
      }
    }
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing --------------------------------------------------------

  /** PyTorch's repr: the module tree with each layer's settings. */
  toString(): string {
    const children = [...this.childSlots];
    if (children.length === 0) return `${this.typeName}(${this.extraRepr()})`;
    const lines = [`${this.typeName}(`];
    for (const [name, child] of children) {
      const body = child.toString().split('\n').join('\n  ');
      lines.push(`  (${name}): ${body}`);
    }
    lines.push(')');
    return lines.join('\n');
  }
}
