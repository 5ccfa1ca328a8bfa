/**
 * What each convolution of a model responds to in one image: the output of
 * every Conv2d layer, in the order the forward pass runs them, for the first
 * image of the batch. A conv followed at once by a ReLU that reads its output
 * (every conv of AlexNet) is captured after that ReLU, as the next layer sees
 * it and as visualizations usually show it; `afterRelu` says which.
 *
 * The models' forward code is untouched: forward hooks on the leaf layers see
 * every call the forward steps make (Sequential and ONNX graphs alike), and a
 * hooked layer is never fused with its ReLU, so both outputs are observed.
 */
import { noGrad, noGradAsync } from '../autograd/grad-mode.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { ReLU } from '../nn/layers/relu.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

export interface FeatureMaps {
  /** The conv layer's state_dict-style path, e.g. "features.0". */
  name: string;
  /** For people: "conv1 + ReLU" (or "conv1" when no ReLU follows). */
  label: string;
  /** [channels, height, width] of the first image's output. */
  shape: [number, number, number];
  /** C × H × W values, row-major: map c is maps[c·H·W, (c+1)·H·W). */
  maps: Float32Array;
  /** True when the values are ReLU(conv(x)), false when conv(x). */
  afterRelu: boolean;
}

/** Each Conv2d's output for input[0], run synchronously (the `js` backend in a browser). */
export function convFeatureMaps(model: Module, input: Tensor): FeatureMaps[] {
  const { capture, restore } = install(model);
  try {
    noGrad(() => model.call(input));
  } finally {
    restore();
  }
  return capture.records;
}

/** The same with model.callAsync, so a backend's kernels run off the main thread. */
export async function convFeatureMapsAsync(model: Module, input: Tensor): Promise<FeatureMaps[]> {
  const { capture, restore } = install(model);
  try {
    await noGradAsync(() => model.callAsync(input));
  } finally {
    restore();
  }
  return capture.records;
}

interface Capture {
  records: FeatureMaps[];
  /** The output of the conv whose record the next layer call may update (when it is a ReLU reading it). */
  pending: Tensor | null;
}

/** The first image's [C, H, W] as a copy: the model may reuse its buffers once the pass moves on. */
function firstImage(output: Tensor): { shape: [number, number, number]; maps: Float32Array } {
  if (output.ndim !== 4) throw new Error(`convFeatureMaps: expected a conv output [N, C, H, W], got [${output.shape.join(', ')}]`);
  const [, c, h, w] = output.shape;
  return { shape: [c, h, w], maps: output.data.slice(0, c * h * w) };
}

/** The same array (a graph may wrap the conv's output in a new Tensor before its Relu reads it). */
const sameValues = (a: Tensor, b: Tensor): boolean => a === b || (a.data === b.data && a.shape.join() === b.shape.join());

/** Hooks every leaf layer, puts the model in eval mode, and undoes both afterwards. */
function install(model: Module): { capture: Capture; restore: () => void } {
  const capture: Capture = { records: [], pending: null };
  const names = new Map<Module, string>();
  const removers: Array<() => void> = [];
  for (const [name, m] of model.namedModules()) {
    if (m.children().length > 0) continue; // containers: their leaves are hooked
    names.set(m, name);
    removers.push(
      m.registerForwardHook((layer, x, y) => {
        const pending = capture.pending;
        capture.pending = null;
        if (layer instanceof Conv2d) {
          const index = capture.records.length + 1;
          capture.records.push({ name: names.get(layer)!, label: `conv${index}`, ...firstImage(y), afterRelu: false });
          capture.pending = y;
        } else if (layer instanceof ReLU && pending !== null && sameValues(x, pending)) {
          const record = capture.records[capture.records.length - 1];
          Object.assign(record, { label: `${record.label} + ReLU`, ...firstImage(y), afterRelu: true });
        }
      }),
    );
  }
  const modes = [...model.namedModules()].map(([, m]) => [m, m.training] as const);
  model.eval();
  const restore = (): void => {
    for (const remove of removers) remove();
    // train() also frees the weights eval mode prepared; then each module gets its own flag back.
    if (modes.some(([, training]) => training)) model.train();
    for (const [m, training] of modes) m.training = training;
  };
  return { capture, restore };
}
