/**
 * Fixed-size float rows in one SharedArrayBuffer, lent out and given back:
 * where a server's preprocessing workers write model inputs, so that no
 * image's tensor (600 KB at 224×224) is allocated, transferred and
 * collected. A fresh array per image made the main thread run a major
 * garbage collection four times a second at 130 images/s (V8 collects when
 * external memory has grown by 64 MB), and each one marks the whole heap.
 * Only rows in use are ever touched, so the memory a server holds grows
 * with its load, not with the slab's size.
 */
export class RowSlab {
  readonly buffer: SharedArrayBuffer;
  /** Free row indices; the most recently returned is lent first (its memory is likely still in cache). */
  private readonly free: number[];
  private readonly lent: Uint8Array;

  constructor(
    readonly rows: number,
    readonly rowLength: number,
  ) {
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(rowLength) || rowLength < 1)
      throw new Error(`RowSlab: rows and rowLength must be positive integers, got ${rows} and ${rowLength}`);
    this.buffer = new SharedArrayBuffer(rows * rowLength * Float32Array.BYTES_PER_ELEMENT);
    this.free = Array.from({ length: rows }, (_, i) => rows - 1 - i);
    this.lent = new Uint8Array(rows);
  }

  /** Row `index` as an array over the shared memory. */
  view(index: number): Float32Array {
    return RowSlab.view(this.buffer, this.rowLength, index);
  }

  /** The same view from the buffer alone (a worker holds the buffer, not the slab). */
  static view(buffer: SharedArrayBuffer, rowLength: number, index: number): Float32Array {
    return new Float32Array(buffer, index * rowLength * Float32Array.BYTES_PER_ELEMENT, rowLength);
  }

  /** A free row's index, or null when every row is lent. */
  acquire(): number | null {
    const index = this.free.pop();
    if (index === undefined) return null;
    this.lent[index] = 1;
    return index;
  }

  /** Gives row `index` back; giving back a row that is not lent throws (it would be lent twice). */
  release(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.rows) throw new Error(`RowSlab: no row ${index}`);
    if (this.lent[index] === 0) throw new Error(`RowSlab: row ${index} is not lent`);
    this.lent[index] = 0;
    this.free.push(index);
  }

  /** Rows lent out now. */
  get inUse(): number {
    return this.rows - this.free.length;
  }
}
