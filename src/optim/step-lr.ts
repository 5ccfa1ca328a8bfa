/**
 * torch.optim.lr_scheduler.StepLR: multiplies every group's lr by `gamma`
 * each `stepSize` epochs. Like torch it works in the chainable form (the
 * current lr times gamma, not base·gamma^k), so the rates match torch's
 * double-precision values exactly, and it counts from last_epoch 0 after
 * construction (torch's constructor takes one initial step).
 */
import { savedNumber, savedNumbers, type LrScheduler, type SchedulerState } from './scheduler.js';
import type { SGD } from './sgd.js';

export class StepLR implements LrScheduler {
  readonly name = 'StepLR';
  readonly baseLrs: number[];
  lastEpoch = 0;
  lastLr: number[];

  constructor(
    readonly optimizer: SGD,
    readonly stepSize: number,
    readonly gamma = 0.1,
  ) {
    if (!Number.isInteger(stepSize) || stepSize < 1) throw new Error(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
    if (!Number.isFinite(gamma) || gamma <= 0) throw new Error(`StepLR: gamma must be a positive number, got ${gamma}`);
    for (const group of optimizer.paramGroups) group.initialLr ??= group.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastLr = optimizer.lrs;
  }

  step(): void {
    this.lastEpoch += 1;
    if (this.lastEpoch % this.stepSize === 0) {
      for (const group of this.optimizer.paramGroups) group.lr = group.lr * this.gamma;
    }
    this.lastLr = this.optimizer.lrs;
  }

  stateDict(): SchedulerState {
    return { step_size: this.stepSize, gamma: this.gamma, base_lrs: [...this.baseLrs], last_epoch: this.lastEpoch, _last_lr: [...this.lastLr] };
  }

  loadStateDict(state: SchedulerState): void {
    const groups = this.optimizer.paramGroups.length;
    const stepSize = savedNumber(state, 'step_size', this.name);
    const gamma = savedNumber(state, 'gamma', this.name);
    if (stepSize !== this.stepSize || gamma !== this.gamma) {
      throw new Error(
        `StepLR.loadStateDict: saved schedule (step_size ${stepSize}, gamma ${gamma}) differs from this one (step_size ${this.stepSize}, gamma ${this.gamma})`,
      );
    }
    const baseLrs = savedNumbers(state, 'base_lrs', this.name, groups);
    const lastEpoch = savedNumber(state, 'last_epoch', this.name);
    const lastLr = savedNumbers(state, '_last_lr', this.name, groups);
    this.baseLrs.splice(0, groups, ...baseLrs);
    this.lastEpoch = lastEpoch;
    this.lastLr = lastLr;
  }
}
