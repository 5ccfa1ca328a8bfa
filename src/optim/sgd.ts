/**
 * torch.optim.SGD: stochastic gradient descent with optional momentum,
 * dampening, L2 weight decay and Nesterov momentum, over parameter groups
 * whose hyper-parameters (lr above all) schedulers may change between steps.
 *
 * The arithmetic of one parameter's update is the backend's `sgdStep`
 * kernel; this class keeps what torch's Optimizer keeps: the groups and one
 * momentum buffer per parameter, created on that parameter's first step.
 * Its state dict has torch's layout and key names, so a checkpoint's
 * optimizer part can be loaded by torch.optim.SGD.load_state_dict.
 */
import { getBackend } from '../backend/registry.js';
import type { Parameter } from '../nn/parameter.js';
import { shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { recycleBuffer } from '../tensor/buffer-pool.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** One parameter group: its parameters and its (mutable) hyper-parameters. */
export interface SgdParamGroup {
  params: Parameter[];
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** The lr a scheduler started from (torch's 'initial_lr'); set by the first scheduler attached. */
  initialLr?: number;
}

/** A group as given to the constructor: parameters plus per-group overrides of the defaults. */
export type SgdParamGroupInput = { params: Parameter[] } & Partial<SgdOptions>;

/** torch's param_groups entry, snake_case as torch writes it; `params` are indices. */
export type SgdGroupState = {
  lr: number;
  momentum: number;
  dampening: number;
  weight_decay: number;
  nesterov: boolean;
  maximize: boolean;
  foreach: null;
  differentiable: boolean;
  initial_lr?: number;
  params: number[];
};

/** torch.optim.SGD.state_dict(): buffers by parameter index, groups, plus the number of steps taken. */
export type SgdStateDict = {
  state: Map<number, { momentum_buffer: Tensor }>;
  param_groups: SgdGroupState[];
  /** Not in torch's dict (torch ignores extra keys); lets a resumed run know how far it got. */
  step_count: number;
};

function checkHyper(o: Partial<SgdOptions>, where: string): void {
  const nonNegative = (v: number | undefined, name: string): void => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`SGD${where}: ${name} must be a finite number >= 0, got ${v}`);
  };
  nonNegative(o.lr, 'lr');
  nonNegative(o.momentum, 'momentum');
  nonNegative(o.weightDecay, 'weightDecay');
  if (o.dampening !== undefined && !Number.isFinite(o.dampening)) throw new Error(`SGD${where}: dampening must be finite, got ${o.dampening}`);
}

export class SGD {
  readonly paramGroups: SgdParamGroup[];
  /** Momentum buffer per parameter, absent until that parameter's first step (torch's state[p]['momentum_buffer']). */
  private readonly buffers = new Map<Parameter, Float32Array>();
  /** Optimizer steps taken. */
  stepCount = 0;

  constructor(params: Iterable<Parameter> | SgdParamGroupInput[], options: SgdOptions) {
    checkHyper(options, '');
    const list = [...params] as (Parameter | SgdParamGroupInput)[];
    const inputs: SgdParamGroupInput[] = list.length > 0 && !(list[0] instanceof Tensor) ? (list as SgdParamGroupInput[]) : [{ params: list as Parameter[] }];
    const seen = new Set<Parameter>();
    this.paramGroups = inputs.map((input, g) => {
      checkHyper(input, ` group ${g}`);
      const group: SgdParamGroup = {
        params: [...input.params],
        lr: input.lr ?? options.lr,
        momentum: input.momentum ?? options.momentum ?? 0,
        dampening: input.dampening ?? options.dampening ?? 0,
        weightDecay: input.weightDecay ?? options.weightDecay ?? 0,
        nesterov: input.nesterov ?? options.nesterov ?? false,
      };
      if (group.params.length === 0) throw new Error(`SGD: parameter group ${g} has no parameters`);
      for (const p of group.params) {
        if (seen.has(p)) throw new Error(`SGD: a parameter of shape ${shapeToString(p.shape)} appears in more than one group`);
        seen.add(p);
      }
      // torch refuses Nesterov without a plain momentum term, since the look-ahead would be meaningless.
      if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
        throw new Error(
          `SGD: Nesterov momentum requires momentum > 0 and dampening 0 (group ${g} has momentum ${group.momentum}, dampening ${group.dampening})`,
        );
      }
      return group;
    });
  }

  /** Every parameter, in group order: the indices torch's state dict uses. */
  private allParams(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * Zeroes every parameter's gradient, as torch 1.13's zero_grad(): the
   * gradients stay, filled with zeros, so a parameter the next loss does not
   * reach still moves by momentum and weight decay. `setToNone` drops them
   * instead (zero_grad(set_to_none=True), torch 2's default): such a
   * parameter is then left alone. `recycle` drops them too and hands the
   * arrays back for the next backward pass to reuse (tensor/buffer-pool.ts)
   * instead of leaving them to the garbage collector: a training loop then
   * writes its 244 MB of AlexNet weight gradients into memory that is already
   * mapped, not fresh pages each step. Only when nothing else keeps a
   * reference to the old `.grad` tensors.
   */
  zeroGrad(options: { setToNone?: boolean; recycle?: boolean } = {}): void {
    for (const p of this.allParams()) {
      if (options.recycle === true && p.grad !== null) recycleBuffer(p.grad.data);
      p.zeroGrad(options.recycle === true || options.setToNone === true);
    }
  }

  /** One update of every parameter that has a gradient; parameters without one are left alone, as in torch. */
  step(): void {
    const backend = getBackend();
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        let buffer: Float32Array | null = null;
        let firstStep = false;
        if (group.momentum !== 0) {
          buffer = this.buffers.get(p) ?? null;
          if (buffer === null) {
            buffer = new Float32Array(p.numel);
            this.buffers.set(p, buffer);
            firstStep = true;
          }
        }
        backend.sgdStep(
          {
            lr: group.lr,
            momentum: group.momentum,
            dampening: group.dampening,
            weightDecay: group.weightDecay,
            nesterov: group.nesterov,
            firstStep,
          },
          p.data,
          p.grad.data,
          buffer,
        );
        p.markChanged();
      }
    }
    this.stepCount += 1;
  }

  /** The current learning rate of each group. */
  get lrs(): number[] {
    return this.paramGroups.map((g) => g.lr);
  }

  /** Copies of the buffers and groups, in torch's layout. */
  stateDict(): SgdStateDict {
    const state = new Map<number, { momentum_buffer: Tensor }>();
    const params = this.allParams();
    params.forEach((p, i) => {
      const buffer = this.buffers.get(p);
      if (buffer !== undefined) state.set(i, { momentum_buffer: new Tensor(new Float32Array(buffer), p.shape) });
    });
    let next = 0;
    const param_groups = this.paramGroups.map((g): SgdGroupState => {
      const indices = g.params.map(() => next++);
      const out: SgdGroupState = {
        lr: g.lr,
        momentum: g.momentum,
        dampening: g.dampening,
        weight_decay: g.weightDecay,
        nesterov: g.nesterov,
        maximize: false,
        foreach: null,
        differentiable: false,
        params: indices,
      };
      if (g.initialLr !== undefined) out.initial_lr = g.initialLr;
      return out;
    });
    return { state, param_groups, step_count: this.stepCount };
  }

  /**
   * Restores buffers and hyper-parameters saved by stateDict() (or by torch).
   * The groups must have the same sizes and every buffer the shape of its
   * parameter; otherwise nothing is changed and the error says what differs.
   */
  loadStateDict(dict: SgdStateDict): void {
    const groups = dict.param_groups;
    if (!Array.isArray(groups) || groups.length !== this.paramGroups.length) {
      throw new Error(
        `SGD.loadStateDict: the saved optimizer has ${Array.isArray(groups) ? groups.length : 'no'} parameter groups, this one has ${this.paramGroups.length}`,
      );
    }
    groups.forEach((saved, g) => {
      const own = this.paramGroups[g].params.length;
      if (!Array.isArray(saved.params) || saved.params.length !== own) {
        throw new Error(`SGD.loadStateDict: saved parameter group ${g} has ${saved.params?.length ?? 'no'} parameters, this optimizer's has ${own}`);
      }
      checkHyper({ lr: saved.lr, momentum: saved.momentum, weightDecay: saved.weight_decay, dampening: saved.dampening }, ` saved group ${g}`);
      // Ascending the gradient is not something this SGD does: loading it would step the other way, silently.
      if (saved.maximize === true)
        throw new Error(`SGD.loadStateDict: saved parameter group ${g} has maximize=True, which this SGD does not implement (expected False)`);
    });
    // Saved indices may be any labels (torch numbers them by position); map them to this optimizer's parameters.
    const byIndex = new Map<number, Parameter>();
    for (const [g, saved] of groups.entries()) {
      for (const [k, index] of saved.params.entries()) byIndex.set(Number(index), this.paramGroups[g].params[k]);
    }
    const buffers = new Map<Parameter, Float32Array>();
    const state = dict.state instanceof Map ? dict.state : new Map(Object.entries(dict.state ?? {}).map(([k, v]) => [Number(k), v]));
    for (const [index, entry] of state) {
      const p = byIndex.get(Number(index));
      if (p === undefined) throw new Error(`SGD.loadStateDict: state for parameter ${index}, which no saved group lists`);
      const buffer = (entry as { momentum_buffer?: Tensor | null }).momentum_buffer;
      if (buffer === undefined || buffer === null) continue;
      if (!(buffer instanceof Tensor) || buffer.numel !== p.numel) {
        throw new Error(
          `SGD.loadStateDict: momentum buffer of parameter ${index} has shape ${buffer instanceof Tensor ? shapeToString(buffer.shape) : typeof buffer}, the parameter has ${shapeToString(p.shape)}`,
        );
      }
      buffers.set(p, new Float32Array(buffer.data));
    }
    groups.forEach((saved, g) => {
      const group = this.paramGroups[g];
      group.lr = saved.lr;
      group.momentum = saved.momentum;
      group.dampening = saved.dampening;
      group.weightDecay = saved.weight_decay;
      group.nesterov = saved.nesterov;
      if (saved.initial_lr !== undefined) group.initialLr = saved.initial_lr;
    });
    this.buffers.clear();
    for (const [p, b] of buffers) this.buffers.set(p, b);
    this.stepCount = typeof dict.step_count === 'number' ? dict.step_count : 0;
  }
}
