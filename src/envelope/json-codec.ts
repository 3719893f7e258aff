/**
 * The JSON codec: `JSON.stringify` out, {@link safeJsonParse} in.
 *
 * @module
 */
import { decodeFailed, encodeFailed } from './fail.js';
import { type ProtoAction, safeJsonParse } from './safe-json.js';
import type { Codec } from './types.js';

/** Options of {@link jsonCodec}. */
export interface JsonCodecOptions {
  /** Deepest nesting accepted on decode. Default 64. */
  readonly maxDepth?: number;
  /** `__proto__` / `constructor.prototype` keys: `'error'` (default) rejects the message, `'remove'` drops them. */
  readonly protoAction?: ProtoAction;
  /** Media type written and announced. Default `application/json`. */
  readonly contentType?: string;
}

/** A codec that is JSON on the wire; the serializer uses this to place its data inline in structured mode. */
export interface JsonCodec<T = unknown> extends Codec<T> {
  /** Always `true`: data goes inline (`data`), not as `data_base64`, in structured mode. */
  readonly json: true;
  /** The depth limit this codec enforces. */
  readonly maxDepth: number;
  /** How forbidden keys are handled. */
  readonly protoAction: ProtoAction;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A JSON codec. Encoding `undefined` gives an empty body, which decodes back to `undefined`.
 *
 * Decoding checks nesting depth before parsing, rejects invalid UTF-8, and rejects (or removes, with
 * `protoAction: 'remove'`) `__proto__` and `constructor.prototype` keys; results are ordinary objects whose
 * prototype is `Object.prototype`.
 *
 * @example
 * ```ts
 * const codec = jsonCodec({ maxDepth: 16 });
 * const bytes = codec.encode({ taskId: 't-1' });
 * codec.decode(bytes); // { taskId: 't-1' }
 * ```
 */
export function jsonCodec<T = unknown>(options: JsonCodecOptions = {}): JsonCodec<T> {
  const maxDepth = options.maxDepth ?? 64;
  const protoAction = options.protoAction ?? 'error';
  const parseOptions = { maxDepth, protoAction };
  return {
    contentType: options.contentType ?? 'application/json',
    json: true,
    maxDepth,
    protoAction,
    encode(value: T): Uint8Array {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        throw encodeFailed('value is not JSON-serialisable (BigInt or a cycle)', { codec: 'json' });
      }
      return text === undefined ? new Uint8Array(0) : Buffer.from(text, 'utf8');
    },
    decode(bytes: Uint8Array): T {
      if (bytes.byteLength === 0) return undefined as T;
      return safeJsonParse(utf8(bytes), parseOptions) as T;
    },
  };
}

/** Decodes UTF-8 strictly: a body that is not UTF-8 is not JSON. @internal */
export function utf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw decodeFailed('body is not valid UTF-8');
  }
}

/** Tells whether a codec places JSON on the wire (and so can go inline in a structured event). @internal */
export function isJsonCodec(codec: Codec): codec is JsonCodec {
  return (codec as Partial<JsonCodec>).json === true;
}
