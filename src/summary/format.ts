/**
 * formatSummary(): the table torchinfo 1.7 prints for the default columns
 * (Output Shape, Param #) and row setting (depth-idx), character for character:
 *   - the layer column is 40 wide, or the longest "prefix + name" (+1) rounded
 *     up to a multiple of 5; every other column is `colWidth` wide; cells are
 *     left-aligned and followed by one space; trailing spaces are stripped;
 *   - the tree prefix is "├─" at depth 1 and "│    " × (depth − 1) + "└─" below;
 *   - layers deeper than `depth` are hidden, and a layer at exactly `depth`
 *     shows the parameters of everything under it;
 *   - mult-adds in M, G or T with two decimals; sizes in MB (10⁶ bytes).
 */
import { fixed2, withThousands } from './python-format.js';
import type { LayerSummary, SummaryResult } from './types.js';

export interface FormatOptions {
  /** Width of the Output Shape and Param # columns (torchinfo's col_width, default 25). */
  colWidth?: number;
  /** Deepest level shown (default: the depth the summary was made with). */
  depth?: number;
}

export const DEFAULT_COL_WIDTH = 25;
/** Wider columns only pad lines with spaces; far wider ones ran out of string length (a --col-width of 1e11). */
export const MAX_COL_WIDTH = 1000;
const MIN_LAYER_COLUMN_WIDTH = 40;
const LAYER_COLUMN_ALIGN = 5;
const INDENT = 5;

export function formatSummary(result: SummaryResult, options: FormatOptions = {}): string {
  const colWidth = options.colWidth ?? DEFAULT_COL_WIDTH;
  const maxDepth = options.depth ?? result.depth;
  if (!Number.isInteger(colWidth) || colWidth <= 0 || colWidth > MAX_COL_WIDTH)
    throw new Error(`formatSummary: colWidth must be an integer from 1 to ${MAX_COL_WIDTH}, got ${colWidth}`);
  if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new Error(`formatSummary: depth must be a non-negative integer, got ${maxDepth}`);

  const nameWidth = layerColumnWidth(result.layers);
  const row = (name: string, cells: readonly string[]): string => `${name.padEnd(nameWidth)} ${cells.map((c) => `${c.padEnd(colWidth)} `).join('')}`.trimEnd();
  const divider = '='.repeat(nameWidth + 2 * colWidth);

  const lines = [divider, row('Layer (type:depth-idx)', ['Output Shape', 'Param #']), divider];
  for (const layer of result.layers) {
    if (layer.depth > maxDepth) continue;
    lines.push(row(treePrefix(layer.depth) + layerTitle(layer), [shapeCell(layer), paramsCell(layer, layer.depth === maxDepth)]));
  }
  const [unit, macs] = readableMultAdds(result.totalMultAdds);
  const mb = (bytes: number): string => fixed2(bytes / 1e6);
  lines.push(
    divider,
    `Total params: ${withThousands(result.totalParams)}`,
    `Trainable params: ${withThousands(result.trainableParams)}`,
    `Non-trainable params: ${withThousands(result.nonTrainableParams)}`,
    `Total mult-adds (${unit}): ${fixed2(macs)}`,
    divider,
    `Input size (MB): ${mb(result.inputBytes)}`,
    `Forward/backward pass size (MB): ${mb(result.forwardBackwardBytes)}`,
    `Params size (MB): ${mb(result.paramBytes)}`,
    `Estimated Total Size (MB): ${mb(result.totalBytes)}`,
    divider,
  );
  return lines.join('\n');
}

/** "Conv2d: 2-1"; the model itself has no depth suffix. */
function layerTitle(layer: LayerSummary): string {
  return layer.depth === 0 ? layer.typeName : `${layer.typeName}: ${layer.depth}-${layer.depthIndex}`;
}

function treePrefix(depth: number): string {
  if (depth === 0) return '';
  if (depth === 1) return '├─';
  return `${'│    '.repeat(depth - 1)}└─`;
}

/** Measured over every layer, shown or not, as torchinfo does. */
function layerColumnWidth(layers: readonly LayerSummary[]): number {
  let longest = 0;
  for (const layer of layers) longest = Math.max(longest, layerTitle(layer).length + layer.depth * INDENT + 1);
  return longest >= MIN_LAYER_COLUMN_WIDTH ? Math.ceil(longest / LAYER_COLUMN_ALIGN) * LAYER_COLUMN_ALIGN : MIN_LAYER_COLUMN_WIDTH;
}

function shapeCell(layer: LayerSummary): string {
  return layer.outputShape === null || layer.outputShape.length === 0 ? '--' : `[${layer.outputShape.join(', ')}]`;
}

function paramsCell(layer: LayerSummary, reachedMaxDepth: boolean): string {
  // torchinfo never counts parameters on the model's own row (it is not hooked).
  if (layer.depth === 0 && !layer.isLeaf) return '--';
  if (layer.numParams === 0) return '--';
  if (layer.isRecursive) return '(recursive)';
  if (reachedMaxDepth || layer.isLeaf) {
    const count = withThousands(layer.numParams);
    return layer.trainableParams > 0 ? count : `(${count})`;
  }
  return layer.ownParams > 0 ? withThousands(layer.ownParams) : '--';
}

/** torchinfo 1.7's unit choice: T from 10¹², G from 10⁹, M below (even for tiny counts). */
function readableMultAdds(n: number): [string, number] {
  if (n >= 1e12) return ['T', n / 1e12];
  if (n >= 1e9) return ['G', n / 1e9];
  return ['M', n / 1e6];
}
