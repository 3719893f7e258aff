/**
 * Avro compatibility between two schema versions. avsc's `createResolver` is the authority on whether a
 * reader can read a writer's data; this module adds explanations that name the fields at fault.
 *
 * @internal
 */
import type avro from 'avsc';

/** Which way data flows: `backward` = the new schema reads old data; `forward` = the old schema reads new data. */
export type Direction = 'backward' | 'forward';

interface TypeView {
  readonly typeName: string;
  readonly name?: string;
  readonly fields?: readonly FieldView[];
  readonly types?: readonly TypeView[];
  readonly itemsType?: TypeView;
  readonly valuesType?: TypeView;
  readonly underlyingType?: TypeView;
  readonly symbols?: readonly string[];
  readonly size?: number;
  createResolver(writer: TypeView): unknown;
}

interface FieldView {
  readonly name: string;
  readonly type: TypeView;
  readonly aliases: readonly string[];
  defaultValue(): unknown;
}

/**
 * Lists why `reader` cannot read data written with `writer`; empty when it can.
 *
 * @example
 * ```ts
 * avroProblems(v2, v1, 'backward'); // ["field 'priority' was added in the new schema without a default ..."]
 * ```
 */
export function avroProblems(reader: avro.Type, writer: avro.Type, direction: Direction): string[] {
  const r = reader as unknown as TypeView;
  const w = writer as unknown as TypeView;
  if (canResolve(r, w)) return [];
  const problems: string[] = [];
  diff(r, w, '', direction, problems, new Set());
  if (problems.length === 0) {
    try {
      r.createResolver(w);
    } catch (error) {
      problems.push(`${label(direction)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

function label(direction: Direction): string {
  return direction === 'backward'
    ? 'the new schema cannot read old data'
    : 'the old schema cannot read new data';
}

function canResolve(reader: TypeView, writer: TypeView): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

function unwrap(t: TypeView): TypeView {
  return t.typeName.startsWith('logical') && t.underlyingType !== undefined ? t.underlyingType : t;
}

function kind(t: TypeView): string {
  if (t.typeName.startsWith('union')) return 'union';
  return t.typeName === 'error' ? 'record' : t.typeName;
}

function describe(t: TypeView): string {
  return t.name ?? kind(t);
}

function diff(
  readerType: TypeView,
  writerType: TypeView,
  path: string,
  direction: Direction,
  problems: string[],
  seen: Set<string>,
): void {
  const r = unwrap(readerType);
  const w = unwrap(writerType);
  const where = path === '' ? 'the root' : `field '${path}'`;
  const rk = kind(r);
  const wk = kind(w);
  if (rk === 'union' || wk === 'union') {
    const writerBranches = wk === 'union' ? (w.types ?? []) : [w];
    const readerBranches = rk === 'union' ? (r.types ?? []) : [r];
    for (const branch of writerBranches) {
      if (!readerBranches.some((candidate) => canResolve(candidate, branch))) {
        const side = direction === 'backward' ? 'new' : 'old';
        problems.push(`${where}: values of type ${describe(branch)} cannot be read by the ${side} schema`);
      }
    }
    return;
  }
  if (rk !== wk) {
    if (!canResolve(r, w)) problems.push(`${where} changed type from ${describeFlow(w, r, direction)}`);
    return;
  }
  switch (rk) {
    case 'record': {
      const key = `${r.name}|${w.name}`;
      if (seen.has(key)) return;
      seen.add(key);
      const writerFields = w.fields ?? [];
      for (const field of r.fields ?? []) {
        const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
        const match = writerFields.find((f) => f.name === field.name || field.aliases.includes(f.name));
        if (match === undefined) {
          if (field.defaultValue() === undefined) problems.push(missingField(fieldPath, direction));
          continue;
        }
        diff(field.type, match.type, fieldPath, direction, problems, seen);
      }
      return;
    }
    case 'array':
      diff(r.itemsType!, w.itemsType!, `${path}[]`, direction, problems, seen);
      return;
    case 'map':
      diff(r.valuesType!, w.valuesType!, `${path}{}`, direction, problems, seen);
      return;
    case 'enum': {
      const unknown = (w.symbols ?? []).filter((s) => !(r.symbols ?? []).includes(s));
      if (unknown.length > 0 && !canResolve(r, w)) {
        problems.push(
          `${where}: enum symbols ${unknown.join(', ')} are unknown to the ${direction === 'backward' ? 'new' : 'old'} schema`,
        );
      }
      return;
    }
    default:
      if (!canResolve(r, w)) problems.push(`${where} changed type from ${describeFlow(w, r, direction)}`);
  }
}

function describeFlow(writer: TypeView, reader: TypeView, direction: Direction): string {
  // Always say old -> new, whichever side reads.
  const [oldType, newType] = direction === 'backward' ? [writer, reader] : [reader, writer];
  return `${describe(oldType)} to ${describe(newType)}, which cannot be resolved`;
}

function missingField(path: string, direction: Direction): string {
  return direction === 'backward'
    ? `field '${path}' was added in the new schema without a default, so data written with the old schema cannot be read`
    : `field '${path}' was removed in the new schema but has no default in the old schema, so old readers cannot read new data`;
}
