/**
 * The model worker: every piece of model work of the page runs here (loading
 * weights, inference, feature maps, training), so the page itself only
 * draws. Requests from the page (protocol.ts) run one at a time in arrival
 * order, interleaved with the training steps (task-queue.ts).
 */
import { F, noGrad, savePthChunks, topK } from 'alexnet-ts';
import type { ClassifyResult, ImageInput, ModelInfo, Params, Picture, RequestMessage, RequestName, Result, Slot, WorkerMessage } from './protocol.js';
import { setUpBackend } from './worker/backend.js';
import { fashionData } from './worker/fashion-data.js';
import { loadWeightsFile, type PageModel, randomImagenetModel } from './worker/models.js';
import { featureMapPictures, filtersPicture, toPicture, transferables } from './worker/pictures.js';
import { bitmapToRgb, fashionInput, fashionSampleInput, imagenetInput, type PreparedInput } from './worker/preprocess.js';
import { TaskQueue } from './worker/task-queue.js';
import { FASHION_SIDE, Trainer } from './worker/training.js';

/** The part of the worker's global scope used here (the page's tsconfig has the DOM library, not the worker one). */
interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<RequestMessage>) => void): void;
}
const scope = self as unknown as WorkerScope;

const queue = new TaskQueue();
const trainer = new Trainer(queue, (event, transfer) => scope.postMessage({ kind: 'event', event }, transfer));
let backendName = 'js';
let main: PageModel | null = null;
/** Models that ran once (their weights are prepared, so the time is the steady one). */
const warm = new WeakSet<object>();
/** The last input each slot's model classified, for its feature maps. */
const lastInput = new Map<Slot, PreparedInput>();

function modelIn(slot: Slot): PageModel {
  if (slot === 'main') {
    if (main === null) throw new Error('the model is not ready yet');
    return main;
  }
  const trained = trainer.model;
  if (trained === null) throw new Error('no model has been trained in this page yet: start training first');
  return trained;
}

async function prepare(
  model: PageModel,
  input: ImageInput,
): Promise<{ prepared: PreparedInput; name: string; trueLabel: string | null; sampleIndex: number | null }> {
  const [channels, side] = model.info.inputShape;
  if (input.kind === 'test-sample') {
    if (model.info.dataset !== 'fashion-mnist') throw new Error('Fashion-MNIST test images are for a Fashion-MNIST model (the one trained here)');
    const { test } = await fashionData(FASHION_SIDE, 1);
    const index = input.index ?? Math.floor(Math.random() * test.length);
    const label = test.label(index);
    return {
      prepared: fashionSampleInput(test.rawImage(index), side, channels),
      name: `Fashion-MNIST test image #${index}`,
      trueLabel: model.labels[label] ?? String(label),
      sampleIndex: index,
    };
  }
  const rgb = bitmapToRgb(input.bitmap);
  const prepared = channels === 1 ? fashionInput(rgb, side, channels) : imagenetInput(rgb, side);
  return { prepared, name: input.name, trueLabel: null, sampleIndex: null };
}

async function classify(slot: Slot, input: ImageInput): Promise<ClassifyResult> {
  const model = modelIn(slot);
  const t0 = performance.now();
  const { prepared, name, trueLabel, sampleIndex } = await prepare(model, input);
  const t1 = performance.now();
  model.module.eval(); // the trained model may be between training steps
  const probs = noGrad(() => {
    const output = model.module.call(prepared.tensor);
    return model.outputsProbabilities ? output.data : F.softmax(output).data;
  });
  const t2 = performance.now();
  const firstRun = !warm.has(model.module);
  warm.add(model.module);
  lastInput.set(slot, prepared);
  const predictions = topK(probs, Math.min(5, probs.length), model.labels).map((p) => ({ index: p.index, label: p.label ?? `class ${p.index}`, prob: p.prob }));
  return {
    predictions,
    inferenceMs: t2 - t1,
    firstRun,
    preprocessMs: t1 - t0,
    backend: backendName,
    input: await toPicture(prepared.picture),
    preprocessing: prepared.description,
    trueLabel,
    sampleIndex,
    name,
  };
}

type Handler<K extends RequestName> = (params: Params<K>) => Promise<Result<K>> | Result<K>;
type Handlers = { [K in RequestName]: Handler<K> };

const handlers: Handlers = {
  async init({ backend }) {
    const info = await setUpBackend(backend);
    backendName = info.threaded ? `${info.name} · ${info.threads} threads` : info.name;
    main = randomImagenetModel(0);
    return { backend: info, model: main.info };
  },
  async loadWeights({ file, fileName }) {
    const loaded = loadWeightsFile(new Uint8Array(await file.arrayBuffer()), fileName);
    main = loaded;
    lastInput.delete('main');
    return loaded.info;
  },
  randomModel(): ModelInfo {
    main = randomImagenetModel(0);
    lastInput.delete('main');
    return main.info;
  },
  classify: ({ slot, image }) => classify(slot, image),
  featureMaps({ slot }) {
    const input = lastInput.get(slot);
    if (input === undefined) throw new Error('classify an image first: the feature maps are those of the last image');
    return featureMapPictures(modelIn(slot).module, input.tensor);
  },
  filters: ({ slot }) => filtersPicture(modelIn(slot).module, slot === 'main' ? 5 : 4),
  trainStart(options) {
    trainer.start(options);
    return null;
  },
  trainStop() {
    trainer.stop();
    return null;
  },
  trainReset() {
    trainer.reset();
    lastInput.delete('trained');
    return null;
  },
  exportTrained() {
    const model = modelIn('trained');
    return new Blob(savePthChunks(model.module.stateDict()) as BlobPart[], { type: 'application/octet-stream' });
  },
};

/** The pictures in a result, moved rather than copied to the page. */
function transferablesOf(result: unknown): Transferable[] {
  if (result === null || typeof result !== 'object') return [];
  const pictures: Picture[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    if ('bitmap' in value && value.bitmap instanceof ImageBitmap) pictures.push(value as Picture);
    else for (const v of Object.values(value)) visit(v);
  };
  visit(result);
  return transferables(pictures);
}

function run<K extends RequestName>(type: K, params: Params<K>): Promise<Result<K>> {
  const handler = handlers[type] as Handler<K>;
  // Training controls answer at once; model work waits its turn.
  if (type === 'trainStop' || type === 'trainStart' || type === 'trainReset') return Promise.resolve().then(() => handler(params));
  return queue.run(() => handler(params));
}

scope.addEventListener('message', (event) => {
  const { id, type, params } = event.data;
  run(type, params as never).then(
    (result) => scope.postMessage({ kind: 'response', id, ok: true, result }, transferablesOf(result)),
    (error: unknown) => scope.postMessage({ kind: 'response', id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
