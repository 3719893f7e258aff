/**
 * Protobuf compatibility between two versions of a message type: the wire format identifies fields by
 * number, so what breaks readers is a number reused with an incompatible type, a change of cardinality or
 * of required-ness, and a removed field whose number is not reserved (the next field to take it would be
 * misread by old data).
 *
 * @internal
 */
import protobuf from 'protobufjs';
import type { Direction } from './avro-compat.js';

/** Which mode a check runs in. */
export type CheckMode = 'backward' | 'forward' | 'full';

// Scalar types that share a wire encoding and so read each other's data (protobuf language guide, "Updating
// a message type"). Enums read as varints.
const WIRE_GROUPS: Readonly<Record<string, string>> = {
  int32: 'varint',
  uint32: 'varint',
  int64: 'varint',
  uint64: 'varint',
  bool: 'varint',
  sint32: 'zigzag',
  sint64: 'zigzag',
  fixed32: 'fixed32',
  sfixed32: 'fixed32',
  fixed64: 'fixed64',
  sfixed64: 'fixed64',
  float: 'float',
  double: 'double',
  string: 'bytes',
  bytes: 'bytes',
};

/**
 * Lists the problems that make `next` incompatible with `previous` in `mode`; empty when compatible.
 *
 * @example
 * ```ts
 * protobufProblems(v1Type, v2Type, 'full'); // ["field 'title' (number 2) was removed without reserving its number"]
 * ```
 */
export function protobufProblems(previous: protobuf.Type, next: protobuf.Type, mode: CheckMode): string[] {
  resolveAll(previous);
  resolveAll(next);
  const problems: string[] = [];
  compare(previous, next, '', mode, problems, new Set());
  return problems;
}

function resolveAll(type: protobuf.Type): void {
  try {
    type.root.resolveAll();
  } catch {
    type.resolveAll();
  }
}

function applies(mode: CheckMode, direction: Direction): boolean {
  return mode === 'full' || mode === direction;
}

function compare(
  previous: protobuf.Type,
  next: protobuf.Type,
  prefix: string,
  mode: CheckMode,
  problems: string[],
  seen: Set<string>,
): void {
  const key = `${previous.fullName}|${next.fullName}`;
  if (seen.has(key)) return;
  seen.add(key);
  for (const old of previous.fieldsArray) {
    const path = `${prefix}${old.name}`;
    const current = next.fieldsById[old.id];
    if (current === undefined) {
      if (!next.isReservedId(old.id)) {
        problems.push(`field '${path}' (number ${old.id}) was removed without reserving its number`);
      }
      if (isRequired(old) && applies(mode, 'forward')) {
        problems.push(`required field '${path}' (number ${old.id}) was removed: old readers need it`);
      }
      continue;
    }
    const fieldProblem = compareField(old, current, path);
    if (fieldProblem !== undefined) {
      problems.push(fieldProblem);
      continue;
    }
    if (!isRequired(old) && isRequired(current) && applies(mode, 'backward')) {
      problems.push(
        `field '${path}' (number ${old.id}) changed from optional to required: old data may lack it`,
      );
    }
    if (isRequired(old) && !isRequired(current) && applies(mode, 'forward')) {
      problems.push(
        `field '${path}' (number ${old.id}) changed from required to optional: old readers need it`,
      );
    }
    if (old.resolvedType instanceof protobuf.Type && current.resolvedType instanceof protobuf.Type) {
      compare(old.resolvedType, current.resolvedType, `${path}.`, mode, problems, seen);
    }
  }
  for (const added of next.fieldsArray) {
    if (previous.fieldsById[added.id] !== undefined) continue;
    const path = `${prefix}${added.name}`;
    if (previous.isReservedId(added.id)) {
      problems.push(`field '${path}' reuses number ${added.id}, which the previous version reserved`);
    } else if (previous.isReservedName(added.name)) {
      problems.push(`field '${path}' reuses a name the previous version reserved`);
    }
    if (isRequired(added) && applies(mode, 'backward')) {
      problems.push(`required field '${path}' (number ${added.id}) was added: old data lacks it`);
    }
  }
}

function compareField(old: protobuf.Field, current: protobuf.Field, path: string): string | undefined {
  const where = `field '${path}' (number ${old.id}${current.name === old.name ? '' : `, now '${current.name}'`})`;
  if (old.map !== current.map) return `${where} changed between map and non-map`;
  const oldKey = (old as unknown as { keyType?: string }).keyType;
  const newKey = (current as unknown as { keyType?: string }).keyType;
  if (old.map && oldKey !== newKey) return `${where} changed its map key type from ${oldKey} to ${newKey}`;
  if (old.repeated !== current.repeated && !old.map) {
    return `${where} changed from ${old.repeated ? 'repeated' : 'singular'} to ${current.repeated ? 'repeated' : 'singular'}`;
  }
  const oldKind = kindOf(old);
  const newKind = kindOf(current);
  if (oldKind !== newKind) return `${where} changed type from ${describe(old)} to ${describe(current)}`;
  return undefined;
}

function kindOf(field: protobuf.Field): string {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return `message:${resolved.fullName}`;
  if (resolved instanceof protobuf.Enum) return 'varint';
  return WIRE_GROUPS[field.type] ?? field.type;
}

function describe(field: protobuf.Field): string {
  return field.resolvedType?.name ?? field.type;
}

function isRequired(field: protobuf.Field): boolean {
  return field.required || field.rule === 'required';
}
