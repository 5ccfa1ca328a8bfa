/**
 * The paper's AlexNet as the article writes it (AlexNetOriginal): 227×227
 * input, 96-256-384-384-256 channels, LRN(n=5, α=1e-4, β=0.75, k=2) after
 * conv1 and conv2, Dropout(0.5) after each hidden fully connected layer.
 * The article omits forward(); it is net → flatten → classifier.
 *
 * `groups: 2` gives the paper's two-GPU form as one model: conv2, conv4 and
 * conv5 only see the half of the channels "on their GPU", and each GPU's
 * LRN normalizes only its own kernel maps (a window at channel 47 does not
 * reach channel 48, as it does in Caffe's grouped AlexNet).
 */
import type { Tensor } from '../tensor/tensor.js';
import { Conv2d, Dropout, type ForwardSteps, Linear, LocalResponseNorm, MaxPool2d, Module, ReLU, Sequential } from '../nn/index.js';
import { constant_, normal_ } from '../nn/init.js';
import { checkImageInput } from './input-check.js';

export interface AlexNetOriginalOptions {
  numClasses?: number;
  inChannels?: number;
  /** 2 for the paper's two-tower form (conv2, conv4, conv5 grouped). */
  groups?: 1 | 2;
  /**
   * 'article' (default): exactly the article's _init_weights — conv weights
   * N(0, 0.01), conv biases 0 except conv2/4/5 = 1, Linear layers left at
   * PyTorch's default. 'paper': Section 5 of the paper for every layer — all
   * weights N(0, 0.01); biases 1 in conv2, conv4, conv5 and both hidden
   * fully connected layers, 0 elsewhere.
   */
  init?: 'article' | 'paper';
}

/**
 * 227 is the smallest size that gives the classifier its 6×6 map; every size up to
 * 258 floors to the same 6×6 (259 gives 7×7), and torch accepts all of them.
 */
export const ALEXNET_ORIGINAL_INPUT = 227;
export const ALEXNET_ORIGINAL_MAX_INPUT = 258;

export class AlexNetOriginal extends Module {
  readonly net: Sequential;
  readonly classifier: Sequential;
  readonly inChannels: number;
  private readonly modelName: string;

  constructor({ numClasses = 1000, inChannels = 3, groups = 1, init = 'article' }: AlexNetOriginalOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.modelName = groups === 2 ? 'alexnet-original-grouped' : 'alexnet-original';
    this.net = this.registerModule(
      'net',
      new Sequential(
        new Conv2d(inChannels, 96, 11, { stride: 4 }), // conv1
        new ReLU(true),
        new LocalResponseNorm(5, 1e-4, 0.75, 2, groups),
        new MaxPool2d(3, { stride: 2 }),
        new Conv2d(96, 256, 5, { padding: 2, groups }), // conv2
        new ReLU(true),
        new LocalResponseNorm(5, 1e-4, 0.75, 2, groups),
        new MaxPool2d(3, { stride: 2 }),
        new Conv2d(256, 384, 3, { padding: 1 }), // conv3
        new ReLU(true),
        new Conv2d(384, 384, 3, { padding: 1, groups }), // conv4
        new ReLU(true),
        new Conv2d(384, 256, 3, { padding: 1, groups }), // conv5
        new ReLU(true),
        new MaxPool2d(3, { stride: 2 }),
      ),
    );
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(
        new Linear(256 * 6 * 6, 4096),
        new ReLU(true),
        new Dropout(0.5, undefined, true),
        new Linear(4096, 4096),
        new ReLU(true),
        new Dropout(0.5, undefined, true),
        new Linear(4096, numClasses),
      ),
    );
    if (init === 'paper') this.initPaper();
    else this.initArticle();
  }

  private initArticle(): void {
    for (const layer of this.net) {
      if (layer instanceof Conv2d) {
        normal_(layer.weight, 0, 0.01);
        constant_(layer.bias!, 0);
      }
    }
    for (const i of [4, 10, 12]) constant_(this.net.at<Conv2d>(i).bias!, 1);
  }

  private initPaper(): void {
    const biasOne = new Set<Module>([this.net[4], this.net[10], this.net[12], this.classifier[0], this.classifier[3]]);
    for (const layer of [...this.net, ...this.classifier]) {
      if (layer instanceof Conv2d || layer instanceof Linear) {
        normal_(layer.weight, 0, 0.01);
        constant_(layer.bias!, biasOne.has(layer) ? 1 : 0);
      }
    }
  }

  // net → flatten → classifier: each output feeds only the next call.
  protected override readonly forwardIsChain = true;

  protected override *forwardSteps(x: Tensor): ForwardSteps {
    this.checkInput(x);
    x = yield [this.net, x];
    x = x.flatten(1);
    return yield [this.classifier, x];
  }

  private checkInput(x: Tensor): void {
    checkImageInput(x, { model: this.modelName, channels: this.inChannels, minSize: ALEXNET_ORIGINAL_INPUT, maxSize: ALEXNET_ORIGINAL_MAX_INPUT });
  }
}
