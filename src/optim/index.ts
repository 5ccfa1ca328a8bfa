/** Optimizers and learning-rate schedulers, like torch.optim. */
export { SGD, type SgdGroupState, type SgdOptions, type SgdParamGroup, type SgdParamGroupInput, type SgdStateDict } from './sgd.js';
export { StepLR } from './step-lr.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-lr-on-plateau.js';
export type { LrScheduler, SchedulerState } from './scheduler.js';
