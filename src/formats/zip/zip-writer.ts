/**
 * Writes an uncompressed zip the way torch does: every entry STORED, its
 * data aligned to 64 bytes (padding goes in an extra field of the local
 * header), so readers can map tensors in place. Returns a list of chunks
 * that reference the entry data rather than copying it.
 */
import { ByteWriter, utf8Bytes } from '../byte-writer.js';
import { crc32 } from './crc32.js';

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
}

const ALIGNMENT = 64;
/** Extra-field id torch uses for its alignment padding ("FB"). */
const PADDING_FIELD_ID = 0x4246;
/** 1980-01-01, the earliest DOS date: fixed so the same input gives the same bytes. */
const DOS_DATE = (1 << 5) | 1;
const FLAG_UTF8_NAMES = 0x0800;
const LIMIT_32 = 0xffffffff;

export function writeStoredZip(inputs: readonly ZipInput[]): Uint8Array[] {
  if (inputs.length >= 0xffff) throw new Error(`zip: ${inputs.length} entries need zip64, which this writer does not produce`);
  const chunks: Uint8Array[] = [];
  const central = new ByteWriter();
  let offset = 0;
  for (const input of inputs) {
    const name = utf8Bytes(input.name);
    const crc = crc32(input.data);
    const size = input.data.length;
    const headerOffset = offset;
    let padding = (ALIGNMENT - ((headerOffset + 30 + name.length + 4) % ALIGNMENT)) % ALIGNMENT;
    const local = new ByteWriter()
      .u32(0x04034b50)
      .u16(20)
      .u16(FLAG_UTF8_NAMES)
      .u16(0)
      .u16(0)
      .u16(DOS_DATE)
      .u32(crc)
      .u32(size)
      .u32(size)
      .u16(name.length)
      .u16(4 + padding)
      .bytes(name)
      .u16(PADDING_FIELD_ID)
      .u16(padding);
    while (padding-- > 0) local.u8(0x5a); // 'Z', as torch pads
    const header = local.toBytes();
    chunks.push(header, input.data);
    offset += header.length + size;
    if (offset > LIMIT_32) throw new Error(`zip: archive grows beyond 4 GiB at '${input.name}'; zip64 output is not supported`);
    central
      .u32(0x02014b50)
      .u16(20)
      .u16(20)
      .u16(FLAG_UTF8_NAMES)
      .u16(0)
      .u16(0)
      .u16(DOS_DATE)
      .u32(crc)
      .u32(size)
      .u32(size)
      .u16(name.length)
      .u16(0)
      .u16(0)
      .u16(0)
      .u16(0)
      .u32(0)
      .u32(headerOffset)
      .bytes(name);
  }
  const directory = central.toBytes();
  const end = new ByteWriter().u32(0x06054b50).u16(0).u16(0).u16(inputs.length).u16(inputs.length).u32(directory.length).u32(offset).u16(0);
  chunks.push(directory, end.toBytes());
  return chunks;
}
