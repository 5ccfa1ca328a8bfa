/**
 * The training and validation data of a run, by name: Fashion-MNIST (full
 * or the embedded subset; validation = its test split) scaled, resized and
 * normalized the way the PyTorch reference script does, or an image folder
 * DIR with DIR/train and DIR/val, augmented as torchvision's ImageNet recipe.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { Normalize } from '../../data/transforms/color.js';
import { CenterCrop, RandomHorizontalFlip, RandomResizedCrop, Resize } from '../../data/transforms/geometry.js';
import { fashionMnistTransform, IMAGENET_MEAN, IMAGENET_STD } from '../../data/transforms/presets.js';
import { Compose } from '../../data/transforms/transform.js';
import { FASHION_MNIST_CLASSES } from '../../data/fashion-mnist.js';
import { loadFashionMnist, locateFashionMnist } from '../data/fashion-mnist-files.js';
import { ImageFolder } from '../data/image-folder.js';

export interface RunData {
  train: Dataset;
  val: Dataset;
  classes: readonly string[];
  /** Where the data came from, for the log. */
  description: string;
}

export interface OpenDataOptions {
  dataset: string;
  imageSize: number;
  inChannels: number;
  /** --data: the directory holding the Fashion-MNIST files. */
  dataDir?: string;
  /** Only the validation split is needed (evaluation). */
  valOnly?: boolean;
  /**
   * What fixed the channel count, for messages: train's "--in-channels 1" (the default), or eval's
   * "--weights fm.pth take 1-channel input" (eval has no --in-channels; the weights decide).
   */
  channelsFrom?: string;
}

export function isFashionMnist(dataset: string): dataset is 'fashion-mnist' | 'fashion-mnist-subset' {
  return dataset === 'fashion-mnist' || dataset === 'fashion-mnist-subset';
}

/** Channels a data set delivers natively (Fashion-MNIST is gray; folders are decoded as RGB). */
export function nativeChannels(dataset: string): number {
  return isFashionMnist(dataset) ? 1 : 3;
}

/** The class count without loading images (for defaults). */
export async function classCount(dataset: string): Promise<number> {
  if (isFashionMnist(dataset)) return FASHION_MNIST_CLASSES.length;
  return (await ImageFolder.open(await splitDir(dataset, 'val'))).classes.length;
}

async function splitDir(root: string, split: 'train' | 'val'): Promise<string> {
  const dir = join(root, split);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    const rootExists = await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!rootExists) throw new Error(`--dataset ${root}: expected 'fashion-mnist', 'fashion-mnist-subset' or an image-folder directory; no such directory`);
    throw new Error(`--dataset ${root}: an image-folder data set needs ${split}/ inside it (${root}/train/<class>/*.jpg and ${root}/val/<class>/*.jpg)`);
  }
  return dir;
}

/**
 * Throws the message openRunData would give for data that is not there,
 * without reading any of it: a command checks this before it spends
 * seconds loading weights for data it then cannot find.
 */
export async function checkRunDataExists(dataset: string, options: { dataDir?: string; valOnly?: boolean } = {}): Promise<void> {
  const splits = options.valOnly ? (['val'] as const) : (['train', 'val'] as const);
  for (const split of splits) {
    if (isFashionMnist(dataset)) await locateFashionMnist(split === 'val' ? 'test' : 'train', { dataset, dataDir: options.dataDir });
    else await splitDir(dataset, split);
  }
}

export async function openRunData(options: OpenDataOptions): Promise<RunData> {
  const { dataset, imageSize, inChannels } = options;
  const channelsFrom = options.channelsFrom ?? `--in-channels ${inChannels}`;
  if (isFashionMnist(dataset)) {
    if (inChannels !== 1 && inChannels !== 3) throw new Error(`${channelsFrom}: Fashion-MNIST images can be fed as 1 (gray) or 3 (repeated) channels`);
    const transform = fashionMnistTransform({ size: imageSize, channels: inChannels });
    const lookup = { dataset, dataDir: options.dataDir, transform };
    const val = await loadFashionMnist('test', lookup);
    const train = options.valOnly ? val : await loadFashionMnist('train', lookup);
    return {
      train,
      val,
      classes: FASHION_MNIST_CLASSES,
      description: `${dataset}: ${options.valOnly ? '' : `${train.length} training images (${train.location.images}), `}${val.length} test images (${val.location.images})`,
    };
  }
  // A missing folder is the first thing to fix, before the channels of a model that would read it.
  const valDir = await splitDir(dataset, 'val');
  if (inChannels !== 3) throw new Error(`${channelsFrom}; image folders are decoded as RGB, so the model needs 3 input channels`);
  // torchvision's ImageNet recipe, scaled to the image size: 256/224 of it for the evaluation resize.
  const valTransform = new Compose([
    new Resize(Math.round((imageSize * 256) / 224), { antialias: true }),
    new CenterCrop(imageSize),
    new Normalize(IMAGENET_MEAN, IMAGENET_STD),
  ]);
  const val = await ImageFolder.open(valDir, { transform: valTransform });
  let train: Dataset = val;
  if (!options.valOnly) {
    const trainTransform = new Compose([
      new RandomResizedCrop(imageSize, { antialias: true }),
      new RandomHorizontalFlip(0.5),
      new Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ]);
    const folder = await ImageFolder.open(await splitDir(dataset, 'train'), { transform: trainTransform });
    if (folder.classes.join('\n') !== val.classes.join('\n')) {
      throw new Error(`--dataset ${dataset}: train/ and val/ have different class folders (${folder.classes.length} vs ${val.classes.length})`);
    }
    train = folder;
  }
  return {
    train,
    val,
    classes: val.classes,
    description: `image folder ${dataset}: ${options.valOnly ? '' : `${train.length} training images, `}${val.length} validation images`,
  };
}
