/** PyTorch accepts `k` or `[kh, kw]` for 2-D sizes; this normalizes both. */
export type Pair = number | readonly [number, number];

export function pair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/**
 * pair() plus the check its type cannot make at run time: a JavaScript caller may pass [3] or [3, 3, 3],
 * which would otherwise surface as "(3, undefined)" or a shape error far from the cause.
 */
export function checkedPair(value: Pair, what: string, label: string): [number, number] {
  if (typeof value !== 'number' && value?.length !== 2) {
    throw new Error(`${label}: ${what} must be a number or a pair, got ${JSON.stringify(value)}`);
  }
  return pair(value);
}
