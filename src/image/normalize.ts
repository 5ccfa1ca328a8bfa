/**
 * torchvision's `Normalize(mean, std)`: (x - mean[c]) / std[c] per channel,
 * in float32 like torch (mean and std are float32 tensors there; the
 * subtraction is rounded to float32 before the division).
 */
import type { ImageTensor } from './image.js';

/** A new tensor, normalized per channel; `tensor` is [C, H, W] or [N, C, H, W]. */
export function normalize(tensor: ImageTensor, mean: readonly number[], std: readonly number[]): ImageTensor {
  const { data, shape } = tensor;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new Error(`normalize: expected a [C, H, W] or [N, C, H, W] tensor, got shape [${shape.join(', ')}]`);
  }
  const channels = shape[shape.length - 3];
  const plane = shape[shape.length - 2] * shape[shape.length - 1];
  const count = shape.length === 4 ? shape[0] : 1;
  if (data.length !== count * channels * plane) {
    throw new Error(`normalize: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  }
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`normalize: mean and std need one value per channel (${channels}), got ${mean.length} and ${std.length}`);
  }
  const mean32 = Float32Array.from(mean);
  const std32 = Float32Array.from(std);
  std32.forEach((s, c) => {
    if (s === 0) throw new Error(`normalize: std evaluated to zero for channel ${c}, leading to division by zero`);
  });
  const out = new Float32Array(data.length);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      const m = mean32[c];
      const s = std32[c];
      const start = (n * channels + c) * plane;
      for (let i = start; i < start + plane; i++) out[i] = Math.fround(data[i] - m) / s;
    }
  }
  return { data: out, shape: [...shape] };
}
