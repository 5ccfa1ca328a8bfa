/**
 * Whether ops record the graph. Inside noGrad() nothing is recorded, like
 * torch.no_grad(): inference then keeps no activations alive. The mode is
 * process-wide (JavaScript has no thread-local state): it is off while any
 * noGrad or noGradAsync scope is open, so that two overlapping async calls
 * cannot turn it back on under each other (each restoring what it saw).
 */
let openScopes = 0;

export function isGradEnabled(): boolean {
  return openScopes === 0;
}

/**
 * Runs `fn` with recording off. The scope ends when `fn` returns: an async callback's work after its first await
 * records again (use noGradAsync); `noGrad(() => model.callAsync(x))` is fine, a call keeping the mode it started in.
 */
export function noGrad<T>(fn: () => T): T {
  openScopes++;
  try {
    return fn();
  } finally {
    openScopes--;
  }
}

/** Async variant: recording stays off until the promise settles (and for every other graph built meanwhile). */
export async function noGradAsync<T>(fn: () => Promise<T>): Promise<T> {
  openScopes++;
  try {
    return await fn();
  } finally {
    openScopes--;
  }
}
