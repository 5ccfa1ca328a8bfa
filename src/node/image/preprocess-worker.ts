/**
 * Entry point of a preprocessing worker thread: the ImageNet eval transform
 * (PIL-exact resize, center crop, normalize) of decoded images, so that a
 * server's main thread only moves bytes. The pixels arrive transferred, the
 * tensor leaves transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { imagenetEvalTransform } from '../../image/imagenet.js';
import { nativeBackend } from '../native/load.js';
import { setBackend } from '../../backend/registry.js';
import type { PreprocessRequest, PreprocessReply, PreprocessWorkerData } from './preprocess-pool.js';

const port = parentPort;
if (port === null) throw new Error('preprocess-worker must run as a worker thread');

// The resampling runs on the backend the main thread chose (the same bytes either way; native is faster).
if ((workerData as PreprocessWorkerData).backend === 'native') {
  const native = nativeBackend({ warn: false });
  if (native !== null) setBackend(native);
}

port.on('message', ({ id, image, options }: PreprocessRequest) => {
  let reply: PreprocessReply;
  try {
    const { data } = imagenetEvalTransform(image, options);
    reply = { id, data };
    port.postMessage(reply, [data.buffer as ArrayBuffer]);
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) };
    port.postMessage(reply);
  }
});
