/**
 * protobufjs decodes int64 fields as Long objects (when the long package is
 * present, as it is through protobufjs' own dependencies), as numbers
 * otherwise, and as strings after some conversions: one reader for all.
 */
export type Int64 = number | string | { low: number; high: number; unsigned?: boolean; toString(): string };

/** The value as a number; beyond ±2^53 it is inexact, which the callers' range checks then refuse. */
export function int64Value(v: number | Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  const high = v.unsigned === true ? v.high >>> 0 : v.high;
  return high * 4294967296 + (v.low >>> 0);
}
