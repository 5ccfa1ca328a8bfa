/**
 * torchvision's AlexNet (models/alexnet.py, torchvision 0.14): the "one weird
 * trick" variant with 64-192-384-256-256 channels, no LRN, and an adaptive
 * 6×6 average pool, so any input from 63×63 up works. 61,100,840 parameters.
 */
import type { Tensor } from '../tensor/tensor.js';
import { AdaptiveAvgPool2d, Conv2d, Dropout, type ForwardSteps, Linear, MaxPool2d, Module, ReLU, Sequential } from '../nn/index.js';
import { checkImageInput } from './input-check.js';

export interface AlexNetOptions {
  numClasses?: number;
  inChannels?: number;
  dropout?: number;
}

/** Height/width below which the third max pool would receive less than a 3×3 map. */
export const ALEXNET_MIN_INPUT = 63;

export class AlexNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  readonly inChannels: number;

  constructor({ numClasses = 1000, inChannels = 3, dropout = 0.5 }: AlexNetOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.features = this.registerModule(
      'features',
      new Sequential(
        new Conv2d(inChannels, 64, 11, { stride: 4, padding: 2 }),
        new ReLU(true),
        new MaxPool2d(3, { stride: 2 }),
        new Conv2d(64, 192, 5, { padding: 2 }),
        new ReLU(true),
        new MaxPool2d(3, { stride: 2 }),
        new Conv2d(192, 384, 3, { padding: 1 }),
        new ReLU(true),
        new Conv2d(384, 256, 3, { padding: 1 }),
        new ReLU(true),
        new Conv2d(256, 256, 3, { padding: 1 }),
        new ReLU(true),
        new MaxPool2d(3, { stride: 2 }),
      ),
    );
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([6, 6]));
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(
        new Dropout(dropout),
        new Linear(256 * 6 * 6, 4096),
        new ReLU(true),
        new Dropout(dropout),
        new Linear(4096, 4096),
        new ReLU(true),
        new Linear(4096, numClasses),
      ),
    );
  }

  // features → avgpool → flatten → classifier: each output feeds only the next call.
  protected override readonly forwardIsChain = true;

  protected override *forwardSteps(x: Tensor): ForwardSteps {
    this.checkInput(x);
    x = yield [this.features, x];
    x = yield [this.avgpool, x];
    x = x.flatten(1);
    return yield [this.classifier, x];
  }

  private checkInput(x: Tensor): void {
    checkImageInput(x, { model: 'alexnet', channels: this.inChannels, minSize: ALEXNET_MIN_INPUT });
  }
}
