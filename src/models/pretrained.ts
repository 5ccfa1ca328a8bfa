/**
 * Pretrained weights known to alexnet-ts, mirroring torchvision 0.14's
 * AlexNet_Weights. Only metadata lives here (no downloading: that is
 * Node-only, in src/node/weights).
 */
import { IMAGENET_CLASSES } from './imagenet-classes.js';

export interface PretrainedWeights {
  /** The architecture the weights are for. */
  readonly model: 'alexnet';
  /** The enum member name in torchvision, e.g. 'IMAGENET1K_V1'. */
  readonly name: string;
  readonly url: string;
  /** The URL's file name; also the name of the cached copy. */
  readonly fileName: string;
  /** Leading hex digits of the file's SHA-256 (torch.hub convention: they are part of the file name). */
  readonly sha256Prefix: string;
  readonly numParams: number;
  /** Smallest input (height, width) the network accepts. */
  readonly minSize: readonly [number, number];
  /** ImageNet-1K validation accuracy, as reported by torchvision (acc@1, acc@5, in %). */
  readonly acc1: number;
  readonly acc5: number;
  /** Class names, index i = output i. */
  readonly categories: readonly string[];
  /** The evaluation preprocessing the accuracy was measured with (torchvision's ImageClassification preset). */
  readonly transforms: {
    readonly resizeSize: number;
    readonly cropSize: number;
    readonly interpolation: 'bilinear';
    readonly mean: readonly [number, number, number];
    readonly std: readonly [number, number, number];
  };
  readonly recipe: string;
}

/**
 * torch.hub's rule: in "name-<hex>.ext" the hex digits after the last '-'
 * before the extension are a prefix of the file's SHA-256. Returns null when
 * the name carries none.
 */
export function sha256PrefixFromFileName(fileName: string): string | null {
  const m = /-([a-f0-9]+)\.[^/]*$/.exec(fileName);
  return m === null ? null : m[1];
}

const IMAGENET1K_V1: PretrainedWeights = Object.freeze({
  model: 'alexnet',
  name: 'IMAGENET1K_V1',
  url: 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
  fileName: 'alexnet-owt-7be5be79.pth',
  sha256Prefix: '7be5be79',
  numParams: 61100840,
  minSize: Object.freeze([63, 63] as const),
  acc1: 56.522,
  acc5: 79.066,
  categories: IMAGENET_CLASSES,
  transforms: Object.freeze({
    resizeSize: 256,
    cropSize: 224,
    interpolation: 'bilinear' as const,
    mean: Object.freeze([0.485, 0.456, 0.406] as const),
    std: Object.freeze([0.229, 0.224, 0.225] as const),
  }),
  recipe: 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
});

/** AlexNet's weights by name; DEFAULT is the best available, as in torchvision. */
export const ALEXNET_WEIGHTS: Readonly<Record<'IMAGENET1K_V1' | 'DEFAULT', PretrainedWeights>> = Object.freeze({
  IMAGENET1K_V1,
  DEFAULT: IMAGENET1K_V1,
});

/** Names accepted by findPretrainedWeights (torchvision also accepts 'AlexNet_Weights.<name>'). */
export const PRETRAINED_WEIGHT_NAMES: readonly string[] = Object.freeze(Object.keys(ALEXNET_WEIGHTS));

/** The weights for 'DEFAULT', 'IMAGENET1K_V1' or 'AlexNet_Weights.IMAGENET1K_V1', or undefined for any other string. */
export function findPretrainedWeights(name: string): PretrainedWeights | undefined {
  const bare = name.startsWith('AlexNet_Weights.') ? name.slice('AlexNet_Weights.'.length) : name;
  return Object.hasOwn(ALEXNET_WEIGHTS, bare) ? ALEXNET_WEIGHTS[bare as keyof typeof ALEXNET_WEIGHTS] : undefined;
}

export function getPretrainedWeights(name: string): PretrainedWeights {
  const weights = findPretrainedWeights(name);
  if (weights === undefined) throw new Error(`unknown pretrained weights '${name}' for alexnet; known: ${PRETRAINED_WEIGHT_NAMES.join(', ')}`);
  return weights;
}
