/**
 * A growable little-endian byte buffer for the small parts of a file we
 * write (pickles, headers). Bulk tensor data is never copied through it:
 * writers hand out chunk lists that reference tensor memory directly.
 */

const utf8 = new TextEncoder();

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }

  i32(v: number): this {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
    return this;
  }

  u64(v: number): this {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
    return this;
  }

  f64be(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.length, v, false);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** Appends raw UTF-8 (no length prefix). */
  text(s: string): this {
    return this.bytes(utf8.encode(s));
  }

  /** A copy of what was written, trimmed to length. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Joins chunks into one array (used when a caller wants a single buffer). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
