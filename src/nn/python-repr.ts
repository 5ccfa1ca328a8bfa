/**
 * Numbers as Python's repr() prints them, for layer reprs that read like
 * torch's: a float with an exponent below −4 or from 16 up is written in
 * scientific notation with a two-digit exponent (1e-05, 1.5e+16), where
 * JavaScript writes 0.00001 and 1e-7. Integral values print as integers: a
 * JavaScript number cannot tell torch's `k=2` from `k=2.0`, and the layers'
 * integral arguments are ints in torch.
 */
export function pythonNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  // toExponential() without digits gives the shortest digits that read back to the value, as Python's repr.
  const [digits, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return String(value);
  return `${digits}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}
