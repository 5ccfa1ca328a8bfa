/**
 * torch.optim.lr_scheduler.ReduceLROnPlateau: multiplies the lr by `factor`
 * once the monitored metric has not improved for more than `patience`
 * epochs, then waits `cooldown` epochs before counting again. With mode
 * 'min' on the validation error and factor 0.1 this is the AlexNet paper's
 * "divide the learning rate by 10 when the validation error rate stopped
 * improving". Every rule (relative/absolute threshold, eps, minLr) is torch's.
 */
import { savedNumber, savedNumbers, type LrScheduler, type SchedulerState } from './scheduler.js';
import type { SGD } from './sgd.js';

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

export class ReduceLROnPlateau implements LrScheduler {
  readonly name = 'ReduceLROnPlateau';
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  lastLr: number[];

  constructor(
    readonly optimizer: SGD,
    options: ReduceLROnPlateauOptions = {},
  ) {
    this.mode = options.mode ?? 'min';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`ReduceLROnPlateau: mode must be 'min' or 'max', got '${this.mode}'`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs')
      throw new Error(`ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got '${this.thresholdMode}'`);
    if (!(this.factor < 1) || !(this.factor >= 0)) throw new Error(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.factor}`);
    if (!Number.isInteger(this.patience) || this.patience < 0)
      throw new Error(`ReduceLROnPlateau: patience must be a non-negative integer, got ${this.patience}`);
    if (!Number.isInteger(this.cooldown) || this.cooldown < 0)
      throw new Error(`ReduceLROnPlateau: cooldown must be a non-negative integer, got ${this.cooldown}`);
    const groups = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== groups) throw new Error(`ReduceLROnPlateau: expected ${groups} minLr values, got ${minLr.length}`);
    this.minLrs = Array.isArray(minLr) ? [...minLr] : new Array<number>(groups).fill(minLr);
    this.best = this.worst;
    this.lastLr = optimizer.lrs;
  }

  private get worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  isBetter(value: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? value < best * (1 - this.threshold) : value < best - this.threshold;
    return this.thresholdMode === 'rel' ? value > best * (this.threshold + 1) : value > best + this.threshold;
  }

  step(metric?: number): void {
    if (metric === undefined || typeof metric !== 'number') throw new Error('ReduceLROnPlateau.step: needs the monitored metric (e.g. the validation error)');
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during the cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.lrs;
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      // torch skips reductions smaller than eps, so an lr at its floor stays put exactly.
      if (oldLr - newLr > this.eps) group.lr = newLr;
    });
  }

  /** torch's keys; an infinite `best` is kept as a number (JSON writers must handle ±Infinity). */
  stateDict(): SchedulerState {
    return {
      factor: this.factor,
      min_lrs: [...this.minLrs],
      patience: this.patience,
      cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter,
      mode: this.mode,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      mode_worse: this.worst,
      eps: this.eps,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
    };
  }

  loadStateDict(state: SchedulerState): void {
    const groups = this.optimizer.paramGroups.length;
    const mode = state.mode;
    const thresholdMode = state.threshold_mode;
    const settings: [string, unknown, unknown][] = [
      ['mode', mode, this.mode],
      ['threshold_mode', thresholdMode, this.thresholdMode],
      ['factor', state.factor, this.factor],
      ['patience', state.patience, this.patience],
      ['threshold', state.threshold, this.threshold],
      ['cooldown', state.cooldown, this.cooldown],
    ];
    const differing = settings.filter(([, saved, own]) => saved !== own);
    if (differing.length > 0) {
      throw new Error(
        `ReduceLROnPlateau.loadStateDict: saved settings differ from this scheduler's: ${differing.map(([k, saved, own]) => `${k} ${JSON.stringify(saved)} vs ${JSON.stringify(own)}`).join(', ')}`,
      );
    }
    const best = savedNumber(state, 'best', this.name);
    const numBadEpochs = savedNumber(state, 'num_bad_epochs', this.name);
    const cooldownCounter = savedNumber(state, 'cooldown_counter', this.name);
    const lastEpoch = savedNumber(state, 'last_epoch', this.name);
    const minLrs = savedNumbers(state, 'min_lrs', this.name, groups);
    const lastLr = state._last_lr === undefined ? this.optimizer.lrs : savedNumbers(state, '_last_lr', this.name, groups);
    this.best = best;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
    this.lastEpoch = lastEpoch;
    this.minLrs.splice(0, groups, ...minLrs);
    this.lastLr = lastLr;
  }
}
