/** The summary as data: what torchinfo prints, as numbers a program can use. */

/** One module of the model, in the order torchinfo lists them. */
export interface LayerSummary {
  /** Dotted path as in the state_dict ('' for the model itself, 'features.0', ...). */
  readonly path: string;
  /** PyTorch's class name: 'Conv2d', 'Sequential', 'AlexNet', ... */
  readonly typeName: string;
  /** 0 for the model, 1 for its children, ... */
  readonly depth: number;
  /** torchinfo's "idx": the 1-based position among all layers of the same depth. */
  readonly depthIndex: number;
  /** True when the module has no children. */
  readonly isLeaf: boolean;
  /** Output shape of its (last) call; null when the forward pass never called it (or for the model itself). */
  readonly outputShape: readonly number[] | null;
  /** Parameter elements of this module and all its descendants. */
  readonly numParams: number;
  readonly trainableParams: number;
  /** Parameters held by this module itself, outside its children (torchinfo's "leftover" params). */
  readonly ownParams: number;
  readonly ownTrainableParams: number;
  /** torchinfo's mult-adds of this leaf layer over all its calls (0 for containers). */
  readonly multAdds: number;
  /** Bytes of all its calls' outputs (float32). */
  readonly outputBytes: number;
  /** The same module instance appeared earlier under another path (shared weights). */
  readonly isRecursive: boolean;
}

export interface SummaryResult {
  /** Class name of the model. */
  readonly modelName: string;
  readonly inputShape: readonly number[];
  /** Deepest level the table shows (torchinfo's `depth`). */
  readonly depth: number;
  /** Every module, including those deeper than `depth` (the table hides those). */
  readonly layers: readonly LayerSummary[];
  readonly totalParams: number;
  readonly trainableParams: number;
  readonly nonTrainableParams: number;
  /** Sum of the leaf layers' mult-adds, batch included. */
  readonly totalMultAdds: number;
  /** What torchinfo reports as the input size: the tensor's bytes plus Python's storage-object overhead. */
  readonly inputBytes: number;
  /** 2 × output bytes of the leaf layers that hold parameters (activations + their gradients). */
  readonly forwardBackwardBytes: number;
  /** Bytes of the leaf layers' parameters. */
  readonly paramBytes: number;
  readonly totalBytes: number;
}
