/**
 * A zip reader for PyTorch checkpoints: parses the central directory (with
 * zip64, which torch always writes) and hands out entry contents. Entries
 * stored uncompressed, as torch writes them, come back as views of the input
 * bytes: no copy, so a 244 MB checkpoint costs 244 MB. Deflated entries
 * (an archive re-zipped by another tool) are inflated with fflate.
 *
 * Every size and offset is checked against the bytes actually present
 * before it is used.
 */
import { inflateSync } from 'fflate';
import { ByteReader, readU32 } from '../byte-reader.js';
import { fail } from '../errors.js';
import { crc32 } from './crc32.js';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const CENTRAL_HEADER_SIZE = 46;
const MAX_COMMENT = 0xffff;
/** DEFLATE cannot expand data by more than ~1032:1; a larger claimed size is a lie. */
const MAX_DEFLATE_RATIO = 1032;

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

export class ZipArchive {
  readonly entries: readonly ZipEntry[];
  private readonly bytes: Uint8Array;
  private readonly source: string;
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(bytes: Uint8Array, source: string, entries: ZipEntry[]) {
    this.bytes = bytes;
    this.source = source;
    this.entries = entries;
    for (const e of entries) {
      // torch.load reads the first of two entries with one name, a reader keyed by name the last: refused, so no two
      // readers of this file can see different weights.
      if (this.byName.has(e.name)) fail(source, `zip entry '${e.name}' appears twice (expected each name once)`);
      this.byName.set(e.name, e);
    }
  }

  static parse(bytes: Uint8Array, source: string): ZipArchive {
    return new ZipArchive(bytes, source, readCentralDirectory(bytes, source));
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * The entry's contents: a view of the archive bytes for stored entries.
   * With `verifyCrc` the checksum is compared (catches bit rot in tensors).
   */
  read(entry: ZipEntry, options: { verifyCrc?: boolean } = {}): Uint8Array {
    const what = `zip entry '${entry.name}'`;
    const start = dataStart(this.bytes, this.source, entry);
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size)
        fail(this.source, `${what} is stored uncompressed but its sizes differ (${entry.compressedSize} vs ${entry.size})`);
      data = this.bytes.subarray(start, start + entry.size);
    } else if (entry.method === 8) {
      if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
        fail(this.source, `${what} claims ${entry.size} bytes from ${entry.compressedSize} compressed bytes, more than DEFLATE can produce`);
      }
      const out = new Uint8Array(entry.size);
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(this.bytes.subarray(start, start + entry.compressedSize), { out });
      } catch (error) {
        fail(this.source, `${what} is corrupt (cannot inflate: ${error instanceof Error ? error.message : String(error)})`);
      }
      if (inflated.length !== entry.size) fail(this.source, `${what} inflates to ${inflated.length} bytes, expected ${entry.size}`);
      data = inflated;
    } else {
      fail(this.source, `${what} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
    }
    if (options.verifyCrc !== false) {
      const actual = crc32(data);
      if (actual !== entry.crc32) {
        fail(this.source, `${what} is corrupt: CRC-32 is ${hex8(actual)}, the archive says ${hex8(entry.crc32)}`);
      }
    }
    return data;
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Where an entry's data begins: after its local header, whose name/extra lengths may differ from the central ones. */
function dataStart(bytes: Uint8Array, source: string, entry: ZipEntry): number {
  const what = `zip entry '${entry.name}'`;
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length) fail(source, `truncated: ${what} has its local header at offset ${at}, beyond the end of the file (${bytes.length} bytes)`);
  if (readU32(bytes, at) !== SIG_LOCAL) fail(source, `corrupt zip: ${what} has no local header at offset ${at}`);
  const nameLength = bytes[at + 26] | (bytes[at + 27] << 8);
  const extraLength = bytes[at + 28] | (bytes[at + 29] << 8);
  const start = at + 30 + nameLength + extraLength;
  if (start + entry.compressedSize > bytes.length) {
    fail(source, `truncated: ${what} needs ${entry.compressedSize} bytes at offset ${start}, but the file ends at ${bytes.length}`);
  }
  return start;
}

interface DirectoryLocation {
  count: number;
  offset: number;
  size: number;
  end: number;
}

/**
 * The end record: the one whose comment ends the file, as a zip is written; failing that, the last one whose
 * central directory is where it says (bytes appended after an archive, which torch.load reads too). A
 * signature whose record fits neither is a stray one inside the data.
 */
function findEndOfCentralDirectory(bytes: Uint8Array, source: string): DirectoryLocation {
  if (bytes.length < EOCD_SIZE) fail(source, `truncated zip archive: ${bytes.length} bytes cannot hold an end-of-central-directory record`);
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
  const candidates: number[] = [];
  for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
    if (bytes[at] === 0x50 && readU32(bytes, at) === SIG_EOCD) candidates.push(at);
  }
  const commentEnd = (at: number): number => at + EOCD_SIZE + (bytes[at + 20] | (bytes[at + 21] << 8));
  const exact = candidates.find((at) => commentEnd(at) === bytes.length);
  if (exact !== undefined) return directoryLocation(bytes, source, exact);
  for (const at of candidates) {
    if (commentEnd(at) > bytes.length) continue;
    try {
      const loc = directoryLocation(bytes, source, at);
      if (loc.offset + loc.size <= loc.end && (loc.count === 0 || readU32(bytes, loc.offset) === SIG_CENTRAL)) return loc;
    } catch {
      // not an end record after all: look further back
    }
  }
  return fail(source, 'not a zip archive or truncated: no end-of-central-directory record found');
}

/** The central directory an end record at `at` points to (its zip64 record's where torch writes one). */
function directoryLocation(bytes: Uint8Array, source: string, at: number): DirectoryLocation {
  const r = new ByteReader(bytes, source, at + 10);
  let count = r.u16('zip entry count');
  let size = r.u32('zip central directory size');
  let offset = r.u32('zip central directory offset');
  let end = at;
  // torch always adds zip64 records; prefer them when the locator is there.
  const locator = at - 20;
  if (locator >= 0 && readU32(bytes, locator) === SIG_ZIP64_LOCATOR) {
    const z = new ByteReader(bytes, source, locator + 8);
    const recordAt = z.u64('zip64 end record offset');
    if (recordAt + 56 > locator) fail(source, `corrupt zip: zip64 end record offset ${recordAt} is out of place`);
    const rec = new ByteReader(bytes, source, recordAt);
    if (rec.u32('zip64 end record signature') !== SIG_ZIP64_EOCD) fail(source, `corrupt zip: no zip64 end record at offset ${recordAt}`);
    rec.pos = recordAt + 32;
    count = rec.u64('zip64 entry count');
    size = rec.u64('zip64 central directory size');
    offset = rec.u64('zip64 central directory offset');
    end = recordAt;
  }
  return { count, size, offset, end };
}

function readCentralDirectory(bytes: Uint8Array, source: string): ZipEntry[] {
  const loc = findEndOfCentralDirectory(bytes, source);
  if (loc.offset + loc.size > loc.end) {
    fail(source, `corrupt or truncated zip: central directory (offset ${loc.offset}, ${loc.size} bytes) overlaps the end records at ${loc.end}`);
  }
  if (loc.count * CENTRAL_HEADER_SIZE > loc.size) {
    fail(source, `corrupt zip: ${loc.count} entries cannot fit in a ${loc.size}-byte central directory`);
  }
  const dir = new ByteReader(bytes.subarray(0, loc.offset + loc.size), source, loc.offset);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < loc.count; i++) {
    const what = `zip central directory entry ${i}`;
    if (dir.u32(what) !== SIG_CENTRAL) fail(source, `corrupt zip: ${what} has a bad signature at offset ${dir.pos - 4}`);
    dir.pos += 4; // versions
    const flags = dir.u16(what);
    const method = dir.u16(what);
    dir.pos += 4; // time, date
    const crc = dir.u32(what);
    let compressedSize = dir.u32(what);
    let size = dir.u32(what);
    const nameLength = dir.u16(what);
    const extraLength = dir.u16(what);
    const commentLength = dir.u16(what);
    dir.pos += 8; // disk, attributes
    let localHeaderOffset = dir.u32(what);
    const name = dir.utf8(nameLength, `${what} name`);
    const extra = new ByteReader(dir.take(extraLength, `${what} extra field`), source);
    dir.take(commentLength, `${what} comment`);
    if (flags & 1) fail(source, `zip entry '${name}' is encrypted`);
    // zip64: 0xFFFFFFFF fields move into extra field 0x0001, in this order.
    while (extra.remaining >= 4) {
      const id = extra.u16('zip extra field id');
      const length = extra.u16('zip extra field length');
      const body = new ByteReader(extra.take(length, `zip extra field of '${name}'`), source);
      if (id !== 1) continue;
      if (size === 0xffffffff) size = body.u64(`zip64 size of '${name}'`);
      if (compressedSize === 0xffffffff) compressedSize = body.u64(`zip64 compressed size of '${name}'`);
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = body.u64(`zip64 header offset of '${name}'`);
    }
    if (localHeaderOffset >= loc.offset)
      fail(source, `corrupt zip: entry '${name}' has its local header at ${localHeaderOffset}, inside or after the central directory`);
    entries.push({ name, method, crc32: crc, compressedSize, size, localHeaderOffset });
  }
  refuseOverlappingEntries(bytes, source, entries);
  return entries;
}

/**
 * Each entry's local header and data must be its own bytes: entries that share them would each be read (and
 * inflated) separately, so a small file could ask for many times the memory its size bounds. torch never writes
 * them; a zip bomb does. (The last entry's data is checked against the file's length when it is read.)
 */
function refuseOverlappingEntries(bytes: Uint8Array, source: string, entries: readonly ZipEntry[]): void {
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 0; i + 1 < byOffset.length; i++) {
    const entry = byOffset[i];
    const next = byOffset[i + 1];
    const end = localRecordEnd(bytes, entry);
    if (end > next.localHeaderOffset) {
      fail(
        source,
        `corrupt zip: entry '${entry.name}' (offset ${entry.localHeaderOffset} to ${end}) overlaps entry '${next.name}' at offset ${next.localHeaderOffset} (expected each entry's bytes to be its own)`,
      );
    }
  }
}

/** Where an entry's local header plus data end (its header's own name and extra lengths where the header is in the file). */
function localRecordEnd(bytes: Uint8Array, entry: ZipEntry): number {
  const at = entry.localHeaderOffset;
  const headerLength = at + 30 <= bytes.length ? 30 + (bytes[at + 26] | (bytes[at + 27] << 8)) + (bytes[at + 28] | (bytes[at + 29] << 8)) : 30;
  return at + headerLength + entry.compressedSize;
}
