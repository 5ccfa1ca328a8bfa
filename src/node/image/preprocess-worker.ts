/**
 * Entry point of a preprocessing worker thread: decoding (sharp) and the
 * ImageNet eval transform (PIL-exact resize, center crop, normalize), so
 * that a server's main thread only moves bytes. The bytes or pixels arrive
 * transferred; the tensor leaves transferred, or is written into a row of
 * the pool's shared slab.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { imagenetEvalTransform } from '../../image/imagenet.js';
import { decodeImageForModel } from './decode.js';
import { RowSlab } from './row-slab.js';
import { nativeBackend } from '../native/load.js';
import { setBackend } from '../../backend/registry.js';
import type { PreprocessReply, PreprocessRequest, PreprocessWorkerData } from './preprocess-pool.js';

const port = parentPort;
if (port === null) throw new Error('preprocess-worker must run as a worker thread');

// The resampling runs on the backend the main thread chose (the same bytes either way; native is faster).
if ((workerData as PreprocessWorkerData).backend === 'native') {
  const native = nativeBackend({ warn: false });
  if (native !== null) setBackend(native);
}

const { slab } = workerData as PreprocessWorkerData;

/** Decodes if asked, transforms into the slab row when one is given; the reply says where the tensor is. */
async function run(request: PreprocessRequest): Promise<PreprocessReply> {
  const image = request.kind === 'transform' ? request.image : await decodeImageForModel(request.bytes, request.name, request.maxPixels);
  const row = request.kind === 'prepare' ? request.row : null;
  if (row === null || slab === null) return { id: request.id, data: imagenetEvalTransform(image, request.options).data };
  imagenetEvalTransform(image, request.options, RowSlab.view(slab.buffer, slab.rowLength, row));
  return { id: request.id, row };
}

port.on('message', (request: PreprocessRequest) => {
  run(request).then(
    (reply) => port.postMessage(reply, 'data' in reply ? [reply.data.buffer as ArrayBuffer] : []),
    (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies PreprocessReply),
  );
});
