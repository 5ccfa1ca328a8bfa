/**
 * Number formatting exactly as Python's format specs print it, because the
 * summary must match torchinfo's text byte for byte.
 */

/** Python's `f"{n:,}"` for an integer: thousands separated by commas. */
export function withThousands(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`withThousands: expected a safe integer, got ${n}`);
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

/**
 * Python's `f"{x:.2f}"` for a non-negative number. JavaScript's toFixed and
 * Python agree except on exact binary ties (x·100 ending in exactly .5, e.g.
 * 0.125), where Python rounds half to even and toFixed rounds up.
 */
export function fixed2(x: number): string {
  if (!Number.isFinite(x) || x < 0) throw new Error(`fixed2: expected a finite non-negative number, got ${x}`);
  // Exact ties at the third decimal are the doubles j/8 with j odd (x·8 is exact).
  const eighths = x * 8;
  const isTie = Number.isSafeInteger(eighths) && eighths % 2 === 1;
  if (!isTie) return x.toFixed(2);
  const hundredths = Math.floor(x * 100); // x·100 = 12.5·j, exact in this range
  const even = hundredths % 2 === 0 ? hundredths : hundredths + 1;
  return `${Math.floor(even / 100)}.${String(even % 100).padStart(2, '0')}`;
}
