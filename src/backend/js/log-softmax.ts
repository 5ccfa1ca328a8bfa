/** Row-wise log-softmax, stabilised by subtracting the row maximum. */

export function logSoftmaxForward(rows: number, cols: number, x: Float32Array, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) if (x[o + c] > max || Number.isNaN(x[o + c])) max = x[o + c];
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[o + c] - max);
    // (x − max) − log(sum), as torch: max + log(sum) would lose log(sum) when the maximum is large.
    const logSum = Math.log(sum);
    for (let c = 0; c < cols; c++) out[o + c] = x[o + c] - max - logSum;
  }
}

export function logSoftmaxBackward(rows: number, cols: number, gradOut: Float32Array, out: Float32Array, gradIn: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += gradOut[o + c];
    for (let c = 0; c < cols; c++) gradIn[o + c] = gradOut[o + c] - Math.exp(out[o + c]) * sum;
  }
}
