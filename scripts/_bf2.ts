import { createModel, Tensor, noGrad, manualSeed, setBackend } from '../src/index.js';
import { nativeBackend } from '../src/node/native/load.js';
setBackend(nativeBackend()!);
manualSeed(0);
const model = createModel('alexnet').eval();
for (const prec of ['fp32', 'bf16', 'fp32', 'bf16'] as const) {
  model.setPrecision(prec);
  for (const b of [1, 32]) {
    const x = Tensor.randn([b, 3, 224, 224]);
    const times: number[] = [];
    for (let i = 0; i < (b === 1 ? 40 : 8); i++) { const t = performance.now(); noGrad(() => model.call(x)); times.push(performance.now() - t); }
    times.sort((a, b) => a - b);
    console.log(prec, 'b' + b, 'median ms', times[times.length >> 1].toFixed(1), 'min', times[0].toFixed(1));
  }
}
