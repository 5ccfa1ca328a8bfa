/**
 * What the training loop needs from a learning-rate scheduler. Both of
 * torch's schedulers used here are stepped once per epoch, after evaluation;
 * ReduceLROnPlateau reads the validation metric, StepLR ignores it.
 */
export interface LrScheduler {
  readonly name: string;
  /** Advances one epoch; `metric` is the monitored value (ReduceLROnPlateau needs it). */
  step(metric?: number): void;
  /** The learning rate of each group after the last step (torch's get_last_lr()). */
  readonly lastLr: number[];
  /** Plain data (numbers, arrays, strings), with torch's key names. */
  stateDict(): SchedulerState;
  loadStateDict(state: SchedulerState): void;
}

export type SchedulerState = Record<string, number | string | boolean | number[] | null>;

/** Reads a number from a saved scheduler state, or throws naming the scheduler and key. */
export function savedNumber(state: SchedulerState, key: string, scheduler: string): number {
  const v = state[key];
  if (typeof v !== 'number') throw new Error(`${scheduler}.loadStateDict: '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads a number list, or throws. */
export function savedNumbers(state: SchedulerState, key: string, scheduler: string, length: number): number[] {
  const v = state[key];
  if (!Array.isArray(v) || v.length !== length || v.some((x) => typeof x !== 'number')) {
    throw new Error(`${scheduler}.loadStateDict: '${key}' must be a list of ${length} numbers, got ${JSON.stringify(v)}`);
  }
  return [...v];
}
