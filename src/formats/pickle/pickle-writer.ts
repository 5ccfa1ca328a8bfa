/**
 * Emits protocol-2 pickle opcodes, the protocol torch.save uses by default.
 * Only the opcodes needed for checkpoints: containers, numbers, strings,
 * globals, REDUCE and persistent ids. The memo gives shared objects (and
 * cycles) the same identity when Python loads them.
 */
import { ByteWriter, utf8Bytes } from '../byte-writer.js';

export class PickleWriter {
  readonly out = new ByteWriter();
  private memo = new Map<unknown, number>();

  proto(): this {
    this.out.u8(0x80).u8(2);
    return this;
  }

  stop(): Uint8Array {
    this.out.u8(0x2e);
    return this.out.toBytes();
  }

  mark(): this {
    this.out.u8(0x28);
    return this;
  }
  none(): this {
    this.out.u8(0x4e);
    return this;
  }
  bool(v: boolean): this {
    this.out.u8(v ? 0x88 : 0x89);
    return this;
  }
  emptyTuple(): this {
    this.out.u8(0x29);
    return this;
  }
  emptyList(): this {
    this.out.u8(0x5d);
    return this;
  }
  emptyDict(): this {
    this.out.u8(0x7d);
    return this;
  }
  appends(): this {
    this.out.u8(0x65);
    return this;
  }
  setitems(): this {
    this.out.u8(0x75);
    return this;
  }
  reduce(): this {
    this.out.u8(0x52);
    return this;
  }
  binpersid(): this {
    this.out.u8(0x51);
    return this;
  }

  /** Closes a tuple of `n` items already pushed (after a mark() when n > 3). */
  tuple(n: number): this {
    if (n === 0) this.out.u8(0x29);
    else if (n <= 3)
      this.out.u8(0x84 + n); // TUPLE1..TUPLE3
    else this.out.u8(0x74); // TUPLE (to the mark)
    return this;
  }

  int(v: number | bigint): this {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < 256) this.out.u8(0x4b).u8(v);
    else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < 65536) this.out.u8(0x4d).u16(v);
    else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) this.out.u8(0x4a).i32(v);
    else this.long(BigInt(v));
    return this;
  }

  /** LONG1: little-endian two's complement, as short as possible. */
  private long(v: bigint): void {
    const digits: number[] = [];
    let rest = v;
    for (;;) {
      const byte = Number(rest & 0xffn);
      digits.push(byte);
      rest >>= 8n;
      // Stop once the remaining value is pure sign extension of the last byte.
      if ((rest === 0n && (byte & 0x80) === 0) || (rest === -1n && (byte & 0x80) !== 0)) break;
    }
    if (digits.length > 255) throw new Error(`pickle: integer ${v} is too large`);
    this.out.u8(0x8a).u8(digits.length);
    for (const d of digits) this.out.u8(d);
  }

  float(v: number): this {
    this.out.u8(0x47).f64be(v);
    return this;
  }

  string(s: string): this {
    const b = utf8Bytes(s);
    this.out.u8(0x58).u32(b.length).bytes(b);
    return this;
  }

  /** A module-level Python name, memoized so repeats cost two bytes. */
  global(module: string, name: string): this {
    const key = `global:${module}\n${name}`;
    if (this.get(key)) return this;
    this.out.u8(0x63).text(`${module}\n${name}\n`);
    return this.put(key);
  }

  /** Emits a memo reference if `obj` was memoized; returns whether it did. */
  get(obj: unknown): boolean {
    const index = this.memo.get(obj);
    if (index === undefined) return false;
    if (index < 256) this.out.u8(0x68).u8(index);
    else this.out.u8(0x6a).u32(index);
    return true;
  }

  /** Memoizes the value on top of the stack under `obj`. */
  put(obj: unknown): this {
    const index = this.memo.size;
    this.memo.set(obj, index);
    if (index < 256) this.out.u8(0x71).u8(index);
    else this.out.u8(0x72).u32(index);
    return this;
  }
}
