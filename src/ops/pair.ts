/** PyTorch accepts `k` or `[kh, kw]` for 2-D sizes; this normalizes both. */
export type Pair = number | readonly [number, number];

export function pair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}
