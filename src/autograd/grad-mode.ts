/**
 * Whether ops record the graph. Inside noGrad() nothing is recorded, like
 * torch.no_grad(): inference then keeps no activations alive.
 */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Async variant: the flag stays off until the promise settles (no other graph work may interleave). */
export async function noGradAsync<T>(fn: () => Promise<T>): Promise<T> {
  const previous = enabled;
  enabled = false;
  try {
    return await fn();
  } finally {
    enabled = previous;
  }
}
