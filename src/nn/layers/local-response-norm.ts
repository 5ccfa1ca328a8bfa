/**
 * torch.nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1), plus
 * `groups`: the channels split into that many consecutive groups, each
 * normalized on its own (a window never reaches into the next group). The
 * paper's two GPUs each normalized only the kernel maps they held, so its
 * two-tower AlexNet normalizes with groups = 2; groups = 1 is torch's layer.
 */
import { localResponseNorm } from '../../ops/local-response-norm.js';
import { shapeToString } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { pythonNumber } from '../python-repr.js';

export class LocalResponseNorm extends Module {
  readonly k: number;
  /** Whether k was given: torch's default is the float 1.0 (repr k=1.0), a given k prints as given (k=2). */
  private readonly kGiven: boolean;

  constructor(
    readonly size: number,
    readonly alpha = 1e-4,
    readonly beta = 0.75,
    k?: number,
    readonly groups = 1,
  ) {
    super();
    this.k = k ?? 1;
    this.kGiven = k !== undefined;
    if (!Number.isInteger(groups) || groups < 1) throw new Error(`LocalResponseNorm: groups must be a positive integer, got ${groups}`);
  }

  override forward(x: Tensor): Tensor {
    const options = { alpha: this.alpha, beta: this.beta, k: this.k, label: `LocalResponseNorm(${this.size})` };
    if (this.groups === 1) return localResponseNorm(x, this.size, options);
    const [n, c, ...spatial] = x.shape;
    if (x.ndim < 3 || c % this.groups !== 0) {
      throw new Error(
        `LocalResponseNorm(${this.size}, groups=${this.groups}): expected [N, C, ...] with C a multiple of ${this.groups}, got ${shapeToString(x.shape)}`,
      );
    }
    // [N, C, ...] holds each group's channels consecutively: as [N·G, C/G, ...] every group is a sample of its own.
    const grouped = x.reshape([n * this.groups, c / this.groups, ...spatial]);
    return localResponseNorm(grouped, this.size, options).reshape(x.shape);
  }

  override extraRepr(): string {
    const groups = this.groups === 1 ? '' : `, groups=${this.groups}`;
    const k = this.kGiven ? pythonNumber(this.k) : '1.0';
    return `${this.size}, alpha=${pythonNumber(this.alpha)}, beta=${pythonNumber(this.beta)}, k=${k}${groups}`;
  }
}
