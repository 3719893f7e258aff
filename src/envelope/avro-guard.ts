/**
 * A pre-decode walk over Avro bytes, driven by the writer schema, that rejects what would make avsc spend
 * unbounded time or memory: array and map block counts larger than the bytes left could hold (avsc 5.7.9
 * spends seconds on a six-byte array bomb), nesting deeper than the limit, truncated data and trailing bytes.
 *
 * The walk only reads varints and skips lengths; it builds no values. Schemas without arrays, maps or
 * recursion cannot hide such work, so they get no walk at all.
 *
 * @internal
 */
import type { Type } from 'avsc';
import { decodeFailed, depthExceeded } from './fail.js';

interface Cursor {
  buf: Uint8Array;
  pos: number;
}

type Walk = (cursor: Cursor, depth: number) => void;

/** The parts of avsc's type objects the walk reads (they are public in avsc's JavaScript, not in its typings). */
interface AvroTypeView {
  readonly typeName: string;
  readonly fields?: readonly { readonly type: AvroTypeView }[];
  readonly types?: readonly AvroTypeView[];
  readonly itemsType?: AvroTypeView;
  readonly valuesType?: AvroTypeView;
  readonly underlyingType?: AvroTypeView;
  readonly size?: number;
}

const truncated = () => decodeFailed('avro data is truncated', { codec: 'avro' });
const bomb = () => decodeFailed('avro block count exceeds the remaining bytes', { codec: 'avro' });

/**
 * Compiles the walk for a writer type. Returns `undefined` when the schema needs none.
 *
 * @example
 * ```ts
 * const guard = compileAvroGuard(type, 64);
 * guard?.(bytes); // throws SWB_DECODE_FAILED or SWB_DEPTH_EXCEEDED
 * ```
 */
export function compileAvroGuard(type: Type, maxDepth: number): ((bytes: Uint8Array) => void) | undefined {
  const root = type as unknown as AvroTypeView;
  if (!needsGuard(root)) return undefined;
  const walks = new Map<AvroTypeView, Walk>();
  const minSizes = new Map<AvroTypeView, number>();

  const minSize = (t: AvroTypeView): number => {
    const known = minSizes.get(t);
    if (known !== undefined) return known;
    minSizes.set(t, 0); // a recursive reference counts as zero: still a lower bound
    let size: number;
    switch (kind(t)) {
      case 'null':
        size = 0;
        break;
      case 'float':
        size = 4;
        break;
      case 'double':
        size = 8;
        break;
      case 'fixed':
        size = t.size ?? 0;
        break;
      case 'record':
        size = (t.fields ?? []).reduce((sum, f) => sum + minSize(f.type), 0);
        break;
      case 'logical':
        size = minSize(t.underlyingType!);
        break;
      default: // boolean, int, long, string, bytes, enum, array, map, union: at least one byte
        size = 1;
    }
    minSizes.set(t, size);
    return size;
  };

  const build = (t: AvroTypeView): Walk => {
    const cached = walks.get(t);
    if (cached !== undefined) return cached;
    let impl: Walk | undefined;
    // Records may refer to themselves: hand out a forwarder before building the body.
    const forward: Walk = (c, d) => impl!(c, d);
    walks.set(t, forward);
    impl = buildBody(t);
    walks.set(t, impl);
    return impl;
  };

  const buildBody = (t: AvroTypeView): Walk => {
    switch (kind(t)) {
      case 'null':
        return () => {};
      case 'boolean':
        return (c) => skip(c, 1);
      case 'int':
      case 'long':
      case 'enum':
        return (c) => {
          readLong(c);
        };
      case 'float':
        return (c) => skip(c, 4);
      case 'double':
        return (c) => skip(c, 8);
      case 'fixed': {
        const size = t.size ?? 0;
        return (c) => skip(c, size);
      }
      case 'string':
      case 'bytes':
        return skipBytes;
      case 'logical':
        return build(t.underlyingType!);
      case 'record': {
        const fields = (t.fields ?? []).map((f) => build(f.type));
        return (c, d) => {
          if (d >= maxDepth) throw depthExceeded(maxDepth, { codec: 'avro' });
          for (const field of fields) field(c, d + 1);
        };
      }
      case 'union': {
        const branches = (t.types ?? []).map(build);
        return (c, d) => {
          const branch = branches[readLong(c)];
          if (branch === undefined) throw decodeFailed('avro union index out of range', { codec: 'avro' });
          branch(c, d);
        };
      }
      case 'array': {
        const items = build(t.itemsType!);
        const itemMin = Math.max(1, minSize(t.itemsType!));
        return (c, d) => walkBlocks(c, d, itemMin, items);
      }
      case 'map': {
        const values = build(t.valuesType!);
        const entryMin = 1 + minSize(t.valuesType!);
        const entry: Walk = (c, d) => {
          skipBytes(c);
          values(c, d);
        };
        return (c, d) => walkBlocks(c, d, entryMin, entry);
      }
      default:
        throw decodeFailed(`unsupported avro type ${t.typeName}`, { codec: 'avro' });
    }
  };

  const walkBlocks = (c: Cursor, d: number, itemMin: number, item: Walk): void => {
    if (d >= maxDepth) throw depthExceeded(maxDepth, { codec: 'avro' });
    for (;;) {
      let count = readLong(c);
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        const blockBytes = readLong(c);
        if (blockBytes < 0 || blockBytes > c.buf.length - c.pos) throw bomb();
      }
      // Every item takes at least itemMin bytes, so a larger count is a lie told to make the decoder loop.
      if (count > (c.buf.length - c.pos) / itemMin) throw bomb();
      for (let i = 0; i < count; i++) item(c, d + 1);
    }
  };

  const walk = build(root);
  return (bytes: Uint8Array): void => {
    const cursor: Cursor = { buf: bytes, pos: 0 };
    walk(cursor, 0);
    if (cursor.pos !== bytes.length) throw decodeFailed('avro data has trailing bytes', { codec: 'avro' });
  };
}

function kind(t: AvroTypeView): string {
  const name = t.typeName;
  if (name.startsWith('union')) return 'union';
  if (name.startsWith('logical')) return 'logical';
  if (name === 'error') return 'record';
  return name;
}

function needsGuard(root: AvroTypeView): boolean {
  const seen = new Set<AvroTypeView>();
  const visit = (t: AvroTypeView): boolean => {
    if (seen.has(t)) return true; // only named types repeat: recursion, or a type reused in one schema
    seen.add(t);
    switch (kind(t)) {
      case 'array':
      case 'map':
        return true;
      case 'record':
        return (t.fields ?? []).some((f) => visit(f.type));
      case 'union':
        return (t.types ?? []).some(visit);
      case 'logical':
        return visit(t.underlyingType!);
      default:
        return false;
    }
  };
  return visit(root);
}

function skip(c: Cursor, n: number): void {
  if (n > c.buf.length - c.pos) throw truncated();
  c.pos += n;
}

function skipBytes(c: Cursor): void {
  const length = readLong(c);
  if (length < 0) throw decodeFailed('avro length is negative', { codec: 'avro' });
  skip(c, length);
}

/** Reads a zig-zag varint. Beyond 2^53 precision is lost, which is fine: such values fail every bound. */
function readLong(c: Cursor): number {
  const buf = c.buf;
  let pos = c.pos;
  if (pos >= buf.length) throw truncated();
  let b = buf[pos++]!;
  if (b < 0x80) {
    c.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let n = b & 0x7f;
  let factor = 128;
  let shifts = 1;
  do {
    if (pos >= buf.length) throw truncated();
    b = buf[pos++]!;
    n += (b & 0x7f) * factor;
    factor *= 128;
  } while (b & 0x80 && ++shifts < 10);
  if (b & 0x80) throw decodeFailed('avro varint is too long', { codec: 'avro' });
  c.pos = pos;
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
