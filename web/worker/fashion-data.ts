/**
 * The embedded Fashion-MNIST subset (6,000 training and 1,000 test images,
 * data/fashion-mnist-subset/ of the package), fetched from beside the page
 * and parsed by the library's IDX reader (gzip included). Fetched once.
 */
import { data } from 'alexnet-ts';

export interface FashionData {
  train: data.FashionMnist;
  test: data.FashionMnist;
}

const FOLDER = 'data/fashion-mnist-subset/';

async function fetchBytes(name: string): Promise<Uint8Array> {
  const url = new URL(FOLDER + name, self.location.href);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`could not fetch the training data ${url.pathname}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not fetch the training data ${url.pathname}: HTTP ${response.status} (is the page served with its data/ folder?)`);
  return new Uint8Array(await response.arrayBuffer());
}

let loading: Promise<FashionData> | null = null;

async function load(size: number, channels: number): Promise<FashionData> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map(fetchBytes),
  );
  const transform = data.fashionMnistTransform({ size, channels });
  return {
    train: data.FashionMnist.fromIdx(trainImages, trainLabels, {
      imagesName: 'train-images-idx3-ubyte.gz',
      labelsName: 'train-labels-idx1-ubyte.gz',
      transform,
    }),
    test: data.FashionMnist.fromIdx(testImages, testLabels, { imagesName: 't10k-images-idx3-ubyte.gz', labelsName: 't10k-labels-idx1-ubyte.gz', transform }),
  };
}

/** The subset with `alexnet train`'s Fashion-MNIST transform at `size` px (64 for torchvision's AlexNet). */
export function fashionData(size = 64, channels = 1): Promise<FashionData> {
  loading ??= load(size, channels).catch((error: unknown) => {
    loading = null; // a later try fetches again
    throw error;
  });
  return loading;
}
