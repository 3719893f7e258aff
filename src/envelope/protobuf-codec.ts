/**
 * The Protobuf codec over protobufjs, with our own nesting limit on decode.
 *
 * protobufjs (>= 8.0.2) stops decoding past `Reader.recursionLimit` (a process-wide setting, default 100, like
 * protoc). We never change that global; instead the decode starts at a depth of `recursionLimit - maxDepth`,
 * so protobufjs's own check, which also covers skipped unknown groups, enforces our smaller limit at no cost.
 *
 * @module
 */
import protobuf from 'protobufjs';
import { isSwitchboardError } from '../errors.js';
import { decodeFailed, depthExceeded, encodeFailed } from './fail.js';
import type { Codec } from './types.js';

/** Options of {@link protobufCodec}. */
export interface ProtobufCodecOptions {
  /** Deepest nesting of messages below the root accepted on decode. Default 64, at most protobufjs's limit. */
  readonly maxDepth?: number;
  /**
   * Decode into plain objects with these protobufjs conversion options (`type.toObject`), for example
   * `{ longs: String, enums: String }`. Default: decode into protobufjs message instances, the cheapest form.
   */
  readonly toObject?: protobuf.IConversionOptions;
  /** Encode with `type.fromObject` (accepts enum names, long strings) instead of verifying the value as is. */
  readonly fromObject?: boolean;
}

/** A codec for Protobuf binary data. */
export interface ProtobufCodec<T = unknown> extends Codec<T> {
  /** The message type. */
  readonly type: protobuf.Type;
}

type GeneratedDecode = (
  reader: protobuf.Reader,
  length?: number,
  endGroup?: number,
  depth?: number,
) => protobuf.Message;

const PROTO_KEY = Buffer.from('__proto__');

/**
 * Creates a Protobuf codec (`application/protobuf`) for one message type.
 *
 * Encoding verifies the value against the type first (`SWB_ENCODE_FAILED` naming the problem instead of silent
 * coercion). Decoding rejects nesting deeper than `maxDepth` with `SWB_DEPTH_EXCEEDED`. For types with map
 * fields, bytes holding `__proto__` are rejected: protobufjs writes map entries into ordinary objects, where
 * that key would replace the prototype.
 *
 * @example
 * ```ts
 * const root = protobuf.parse('syntax = "proto3"; message Task { string id = 1; int32 priority = 2; }').root;
 * const codec = protobufCodec(root.lookupType('Task'));
 * codec.decode(codec.encode({ id: 't-1', priority: 2 }));
 * ```
 */
export function protobufCodec<T = unknown>(
  type: protobuf.Type,
  options: ProtobufCodecOptions = {},
): ProtobufCodec<T> {
  const limit = protobuf.Reader.recursionLimit;
  const maxDepth = Math.min(options.maxDepth ?? 64, limit);
  const startDepth = limit - maxDepth;
  const conversion = options.toObject;
  const hasMaps = typeHasMaps(type);
  const useFromObject = options.fromObject === true;
  type.setup();
  return {
    contentType: 'application/protobuf',
    type,
    encode(value: T): Uint8Array {
      let message: protobuf.Message | T = value;
      if (useFromObject) {
        try {
          message = type.fromObject(value as Record<string, unknown>);
        } catch {
          throw encodeFailed('value does not match the protobuf type', {
            codec: 'protobuf',
            type: type.name,
          });
        }
      } else {
        const problem = type.verify(value as Record<string, unknown>);
        if (problem !== null) {
          throw encodeFailed('value does not match the protobuf type', {
            codec: 'protobuf',
            type: type.name,
            problem: problem.slice(0, 200),
          });
        }
      }
      try {
        return type.encode(message as protobuf.Message).finish();
      } catch {
        throw encodeFailed('protobuf encoding failed', { codec: 'protobuf', type: type.name });
      }
    },
    decode(bytes: Uint8Array): T {
      if (hasMaps && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(PROTO_KEY)) {
        throw decodeFailed('protobuf data holds a __proto__ key', { codec: 'protobuf', type: type.name });
      }
      try {
        const reader = protobuf.Reader.create(bytes);
        // After setup() protobufjs's generated decoder takes (reader, length, endGroup, depth).
        const message = (type.decode as GeneratedDecode)(reader, undefined, undefined, startDepth);
        return (conversion === undefined ? message : type.toObject(message, conversion)) as T;
      } catch (error) {
        if (isSwitchboardError(error)) throw error;
        if (error instanceof Error && error.message === 'max depth exceeded') {
          throw depthExceeded(maxDepth, { codec: 'protobuf', type: type.name });
        }
        throw decodeFailed('protobuf data does not match the type', { codec: 'protobuf', type: type.name });
      }
    },
  };
}

function typeHasMaps(root: protobuf.Type): boolean {
  const seen = new Set<protobuf.Type>();
  const visit = (t: protobuf.Type): boolean => {
    if (seen.has(t)) return false;
    seen.add(t);
    for (const field of t.fieldsArray) {
      field.resolve();
      if (field.map) return true;
      if (field.resolvedType instanceof protobuf.Type && visit(field.resolvedType)) return true;
    }
    return false;
  };
  return visit(root);
}
