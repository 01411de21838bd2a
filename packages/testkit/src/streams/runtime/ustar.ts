// POSIX ustar archives (POSIX.1-1988 / IEEE 1003.1 "ustar" interchange format), enough for `kubectl cp`:
// kubectl reads the entries `tar cf -` writes and writes regular files and directories itself with Go's
// archive/tar, which uses PAX ('x') or GNU ('L') records for names longer than the ustar fields.

/** One archive member. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated, without a trailing slash. */
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits. */
  readonly mode: number;
  readonly mtime: Date;
  /** File content; empty for other types. */
  readonly data: Buffer;
  /** Target of a symlink entry. */
  readonly linkName?: string;
}

const BLOCK = 512;
// GNU tar's default record: 20 blocks (blocking factor 20). `tar cf -` pads the archive, after its
// two zero blocks, to a whole number of records.
const RECORD = 20 * BLOCK;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(
  name: string,
  prefix: string,
  entry: Omit<TarEntry, 'name' | 'data'>,
  size: number,
  typeflag: string,
): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(entry.mode & 0o7777, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(Math.max(0, Math.floor(entry.mtime.getTime() / 1000)), 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(typeflag, 156, 'ascii');
  if (entry.linkName) block.write(entry.linkName, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let index = name.indexOf('/'); index >= 0; index = name.indexOf('/', index + 1)) {
    const prefix = name.slice(0, index);
    const rest = name.slice(index + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0)
      return { name: rest, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/**
 * Writes a whole archive as GNU `tar cf -` does: each entry's header and data, the two zero blocks
 * that end it, then zeros up to a whole 10,240-byte record (a reader stops at the two zero blocks;
 * what follows is still on the wire, as it would be from a real container).
 */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const fullName = entry.type === 'directory' ? `${entry.name.replace(/\/+$/, '')}/` : entry.name;
    const typeflag = entry.type === 'directory' ? '5' : entry.type === 'symlink' ? '2' : '0';
    const size = entry.type === 'file' ? entry.data.length : 0;
    let split = splitName(fullName);
    if (!split) {
      // A PAX extended header carries the long path; the ustar name field keeps a truncated copy.
      const pax = Buffer.from(paxRecord('path', fullName), 'utf8');
      parts.push(
        header('PaxHeader', '', { ...entry, mode: 0o644 }, pax.length, 'x'),
        pax,
        padding(pax.length),
      );
      split = { name: fullName.slice(0, 100), prefix: '' };
    }
    parts.push(header(split.name, split.prefix, entry, size, typeflag));
    if (size > 0) parts.push(entry.data, padding(size));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  parts.push(Buffer.alloc((RECORD - (length % RECORD)) % RECORD));
  return Buffer.concat(parts);
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  // GNU base-256 encoding for large values: top bit of the first byte set.
  if ((field[0]! & 0x80) !== 0) {
    let value = field[0]! & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return text.length === 0 ? 0 : Number.parseInt(text, 8);
}

/** Why an archive could not be read. */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

/** Reads every entry of an archive (ustar, with PAX `path`/`linkpath` and GNU long-name records). */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const stored = readOctal(block, 148, 8);
    let sum = 0;
    for (let index = 0; index < BLOCK; index++) sum += index >= 148 && index < 156 ? 0x20 : block[index]!;
    if (sum !== stored) throw new TarFormatError(`bad header checksum at byte ${offset}`);
    const size = readOctal(block, 124, 12);
    const typeflag = String.fromCharCode(block[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) throw new TarFormatError('archive ends inside an entry');
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (typeflag === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (typeflag === 'K') {
      longLink = readString(data, 0, data.length);
      continue;
    }
    if (typeflag === 'x' || typeflag === 'g') {
      const records = parsePax(data);
      if (typeflag === 'x') pax = records;
      continue;
    }
    const prefix = readString(block, 345, 155);
    const magic = readString(block, 257, 6);
    const baseName = readString(block, 0, 100);
    const name =
      pax.path ?? longName ?? (magic.startsWith('ustar') && prefix ? `${prefix}/${baseName}` : baseName);
    const linkName = pax.linkpath ?? longLink ?? readString(block, 157, 100);
    const type =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'directory'
          : typeflag === '2'
            ? 'symlink'
            : 'other';
    entries.push({
      name: name.replace(/\/+$/, ''),
      type,
      mode: readOctal(block, 100, 8) & 0o7777,
      mtime: new Date(readOctal(block, 136, 12) * 1000),
      data: type === 'file' ? Buffer.from(data) : Buffer.alloc(0),
      ...(type === 'symlink' ? { linkName } : {}),
    });
    longName = undefined;
    longLink = undefined;
    pax = {};
  }
  return entries;
}

function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number.parseInt(data.toString('ascii', offset, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.toString('utf8', space + 1, offset + length - 1);
    const equals = record.indexOf('=');
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}
