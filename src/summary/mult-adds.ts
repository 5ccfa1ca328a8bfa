/**
 * torchinfo's mult-add count of one call of a leaf layer. It is an estimate
 * from parameter counts, not a FLOP count: every weight and bias element is
 * used once per output position.
 *   - convolutions: params × batch × output spatial size (H·W);
 *   - Linear: params × every output dim but the features (batch for [N, F]);
 *   - other layers with a `weight`/`bias`: params × batch;
 *   - parameters named like RNN weights (`weight_ih_l0`): params × output[0] × output[1].
 */
import { numel } from '../tensor/shape.js';

export interface NamedCount {
  readonly name: string;
  readonly count: number;
}

export function layerMultAdds(typeName: string, params: readonly NamedCount[], outputShape: readonly number[]): number {
  const batch = outputShape[0] ?? 1;
  let total = 0;
  for (const { name, count } of params) {
    if (name === 'weight' || name === 'bias') {
      if (typeName.includes('Conv')) total += count * batch * numel(outputShape.slice(2));
      else if (typeName.includes('Linear')) total += count * numel(outputShape.slice(0, -1));
      else total += count * batch;
    } else if (name.includes('weight') || name.includes('bias')) {
      total += count * numel(outputShape.slice(0, 2));
    }
  }
  return total;
}
