/**
 * The subset of ZIP that PyTorch's archive format uses: stored (uncompressed)
 * records, ZIP64 directories, data aligned to 64 bytes. Reading goes through the
 * central directory only, so a record's bytes are located without reading any
 * other record; sizes are checked against the file before anything is allocated.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { WeightsError } from './errors.js';
import type { RandomAccessFile } from './file.js';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const SIG_CEN = 0x02014b50;
const SIG_LOC = 0x04034b50;

export function isZipMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

export class ZipDirectory {
  private constructor(
    private readonly file: RandomAccessFile,
    readonly entries: ReadonlyMap<string, ZipEntry>,
    /** Where the central directory starts: no record data may extend past it. */
    private readonly dataEnd: number,
  ) {}

  static async read(file: RandomAccessFile): Promise<ZipDirectory> {
    const bad = (why: string): never => {
      throw new WeightsError('corrupt', `${file.path}: ${why}`);
    };
    const tailLen = Math.min(file.size, 22 + 0xffff);
    const tail = await file.read(file.size - tailLen, tailLen, 'zip end record');
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD && i + 22 + tail.readUInt16LE(i + 20) === tail.length) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw new WeightsError(
        'truncated',
        `${file.path}: no zip end-of-directory record; the file is truncated or not a PyTorch checkpoint`,
      );
    }
    const eocdPos = file.size - tailLen + eocd;
    if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0)
      bad('multi-disk zip archives are not supported');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    let cdEndLimit = eocdPos;
    if (eocdPos >= 20) {
      const loc = await file.read(eocdPos - 20, 20, 'zip64 locator');
      if (loc.readUInt32LE(0) === SIG_LOC64) {
        const off = Number(loc.readBigUInt64LE(8));
        const rec = await file.read(off, 56, 'zip64 end record');
        if (rec.readUInt32LE(0) !== SIG_EOCD64) bad('zip64 end record missing');
        count = safe(rec.readBigUInt64LE(32), 'entry count');
        cdSize = safe(rec.readBigUInt64LE(40), 'directory size');
        cdOffset = safe(rec.readBigUInt64LE(48), 'directory offset');
        cdEndLimit = off;
      }
    }
    if (cdOffset + cdSize > cdEndLimit)
      bad(
        `zip directory (${cdSize} bytes at ${cdOffset}) extends past its end record; the file is truncated or corrupt`,
      );
    if (count * 46 > cdSize) bad(`zip directory declares ${count} entries in ${cdSize} bytes`);
    const cd = await file.read(cdOffset, cdSize, 'zip central directory');
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CEN) bad(`zip directory entry ${i} is damaged`);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) bad(`zip directory entry ${i} is damaged`);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      const e: ZipEntry = {
        name,
        flags: cd.readUInt16LE(p + 8),
        method: cd.readUInt16LE(p + 10),
        crc32: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        localHeaderOffset: cd.readUInt32LE(p + 42),
      };
      applyZip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), bad);
      if (e.flags & 1) bad(`zip entry '${name}' is encrypted`);
      entries.set(name, e);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return new ZipDirectory(file, entries, cdOffset);
  }

  /** File offset and length of a stored record's bytes, after checking they lie inside the file. */
  async locate(e: ZipEntry): Promise<{ offset: number; length: number }> {
    const path = this.file.path;
    if (e.method !== 0) {
      throw new WeightsError(
        'unsupported',
        `${path}: zip entry '${e.name}' is compressed (method ${e.method}); torch.save writes uncompressed records — re-save the checkpoint with torch.save`,
      );
    }
    if (e.compressedSize !== e.size) {
      throw new WeightsError(
        'corrupt',
        `${path}: zip entry '${e.name}' declares ${e.size} bytes but stores ${e.compressedSize}`,
      );
    }
    if (e.localHeaderOffset + 30 > this.dataEnd)
      throw new WeightsError('corrupt', `${path}: zip entry '${e.name}' points past the end of the data`);
    const h = await this.file.read(e.localHeaderOffset, 30, `local header of '${e.name}'`);
    if (h.readUInt32LE(0) !== SIG_LOC)
      throw new WeightsError('corrupt', `${path}: zip entry '${e.name}' has no local header`);
    const offset = e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (offset + e.size > this.dataEnd) {
      throw new WeightsError(
        'corrupt',
        `${path}: zip entry '${e.name}' declares ${e.size} bytes at offset ${offset}, past the end of the data (${this.dataEnd}); the file is truncated or corrupt`,
      );
    }
    return { offset, length: e.size };
  }

  /**
   * A whole member of an ordinary zip (stored or deflated), CRC-checked: the pretrained models
   * some projects publish as one zip of checkpoints. Held in memory, so meant for members of a
   * few hundred MB at most.
   */
  async extract(e: ZipEntry): Promise<Buffer> {
    if (e.method === 0) return this.readAll(e);
    const path = this.file.path;
    if (e.method !== 8)
      throw new WeightsError('unsupported', `${path}: zip entry '${e.name}' uses compression method ${e.method} (only stored and deflate are read)`);
    if (e.localHeaderOffset + 30 > this.dataEnd)
      throw new WeightsError('corrupt', `${path}: zip entry '${e.name}' points past the end of the data`);
    const h = await this.file.read(e.localHeaderOffset, 30, `local header of '${e.name}'`);
    if (h.readUInt32LE(0) !== SIG_LOC) throw new WeightsError('corrupt', `${path}: zip entry '${e.name}' has no local header`);
    const offset = e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (offset + e.compressedSize > this.dataEnd)
      throw new WeightsError('corrupt', `${path}: zip entry '${e.name}' extends past the end of the data; the file is truncated or corrupt`);
    const packed = await this.file.read(offset, e.compressedSize, `zip entry '${e.name}'`);
    let b: Buffer;
    try {
      b = inflateRawSync(packed, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      throw new WeightsError('corrupt', `${path}: zip entry '${e.name}' does not inflate: ${(err as Error).message}`);
    }
    if (b.length !== e.size || crc32(b) !== e.crc32)
      throw new WeightsError('corrupt', `${path}: zip entry '${e.name}' fails its size or CRC check; the file is corrupt`);
    return b;
  }

  /**
   * The entry named `name`, else the one entry whose last path component is `name` (archives
   * differ in their top folder); macOS resource forks (__MACOSX/) never count.
   */
  find(name: string): ZipEntry | undefined {
    const exact = this.entries.get(name);
    if (exact) return exact;
    const base = name.split('/').pop();
    const hits = [...this.entries.values()].filter((e) => !e.name.startsWith('__MACOSX/') && e.name.split('/').pop() === base);
    return hits.length === 1 ? hits[0] : undefined;
  }

  /** A whole record, CRC-checked (meant for small records such as data.pkl). */
  async readAll(e: ZipEntry): Promise<Buffer> {
    const { offset, length } = await this.locate(e);
    const b = await this.file.read(offset, length, `zip entry '${e.name}'`);
    if (crc32(b) !== e.crc32)
      throw new WeightsError(
        'corrupt',
        `${this.file.path}: zip entry '${e.name}' fails its CRC check; the file is corrupt`,
      );
    return b;
  }
}

function safe(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new WeightsError('corrupt', `zip64 ${what} ${v} is out of range`);
  return Number(v);
}

function applyZip64Extra(e: ZipEntry, extra: Buffer, bad: (why: string) => never): void {
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (p + 4 + len > extra.length) bad(`zip entry '${e.name}' has a damaged extra field`);
    if (id === 0x0001) {
      let q = p + 4;
      const next = (): number => {
        if (q + 8 > p + 4 + len) bad(`zip entry '${e.name}' has a short zip64 field`);
        const v = safe(extra.readBigUInt64LE(q), 'size');
        q += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = next();
    }
    p += 4 + len;
  }
}

/** Where a ZipWriter sends bytes. */
export interface ByteWriter {
  write(chunk: Uint8Array): Promise<void>;
}

const ALIGN = 64;
const MAX32 = 0xffffffff;

/**
 * Writes records the way PyTorch's PyTorchStreamWriter lays them out: stored,
 * each record's data starting on a 64-byte boundary (padding in an 'FB' extra
 * field), so torch can map storages straight from the file.
 */
export class ZipWriter {
  private offset = 0;
  private readonly central: { name: Buffer; crc: number; size: number; offset: number }[] = [];

  constructor(private readonly out: ByteWriter) {}

  async add(name: string, parts: readonly Uint8Array[]): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf8');
    let size = 0;
    let crc = 0;
    for (const p of parts) {
      size += p.byteLength;
      crc = crc32(p, crc);
    }
    const headerEnd = this.offset + 30 + nameBytes.length + 4;
    const pad = (ALIGN - (headerEnd % ALIGN)) % ALIGN;
    if (this.offset + 30 + nameBytes.length + 4 + pad + size > MAX32) {
      throw new WeightsError('unsupported', 'checkpoints over 4 GiB are not supported by this writer');
    }
    const h = Buffer.alloc(30 + nameBytes.length + 4 + pad, 0x5a);
    h.writeUInt32LE(SIG_LOC, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0, 6);
    h.writeUInt16LE(0, 8);
    h.writeUInt32LE(0, 10); // time and date: zero keeps output reproducible
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(size, 18);
    h.writeUInt32LE(size, 22);
    h.writeUInt16LE(nameBytes.length, 26);
    h.writeUInt16LE(4 + pad, 28);
    nameBytes.copy(h, 30);
    h.writeUInt16LE(0x4246, 30 + nameBytes.length); // 'FB', as torch names its padding field
    h.writeUInt16LE(pad, 32 + nameBytes.length);
    this.central.push({ name: nameBytes, crc, size, offset: this.offset });
    await this.out.write(h);
    for (const p of parts) if (p.byteLength) await this.out.write(p);
    this.offset += h.length + size;
  }

  async finish(): Promise<void> {
    const cdStart = this.offset;
    const chunks: Buffer[] = [];
    for (const c of this.central) {
      const r = Buffer.alloc(46 + c.name.length);
      r.writeUInt32LE(SIG_CEN, 0);
      r.writeUInt16LE(20, 4);
      r.writeUInt16LE(20, 6);
      r.writeUInt32LE(c.crc, 16);
      r.writeUInt32LE(c.size, 20);
      r.writeUInt32LE(c.size, 24);
      r.writeUInt16LE(c.name.length, 28);
      r.writeUInt32LE(c.offset, 42);
      c.name.copy(r, 46);
      chunks.push(r);
    }
    const cd = Buffer.concat(chunks);
    if (cdStart + cd.length > MAX32 || this.central.length > 0xffff) {
      throw new WeightsError(
        'unsupported',
        'checkpoints over 4 GiB or 65535 records are not supported by this writer',
      );
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(SIG_EOCD, 0);
    end.writeUInt16LE(this.central.length, 8);
    end.writeUInt16LE(this.central.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(cdStart, 16);
    await this.out.write(cd);
    await this.out.write(end);
    this.offset += cd.length + end.length;
  }
}
