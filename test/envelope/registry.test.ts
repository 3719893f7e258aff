import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { createEnvelope } from '../../src/envelope/create.js';
import { createSchemaRegistry } from '../../src/envelope/registry.js';
import { createEnvelopeSerializer } from '../../src/envelope/serializer.js';
import { isSwitchboardError } from '../../src/errors.js';

const taskV1 = {
  type: 'record',
  name: 'TaskCreated',
  fields: [
    { name: 'taskId', type: 'string' },
    { name: 'title', type: 'string' },
  ],
};
const taskV2 = {
  type: 'record',
  name: 'TaskCreated',
  fields: [
    { name: 'taskId', type: 'string' },
    { name: 'title', type: 'string' },
    { name: 'priority', type: 'int', default: 3 },
  ],
};
const taskV3WithoutTitle = {
  type: 'record',
  name: 'TaskCreated',
  fields: [
    { name: 'taskId', type: 'string' },
    { name: 'priority', type: 'int', default: 3 },
  ],
};
const TYPE = 'task.created.v1';

function errorOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isSwitchboardError(error)) return error;
    throw error;
  }
  throw new Error('expected a SwitchboardError');
}

function avroRegistry() {
  const registry = createSchemaRegistry({ compatibility: 'backward' });
  registry.register({ type: TYPE, version: '1.0.0', format: 'avro', schema: taskV1 });
  registry.register({ type: TYPE, version: '2.0.0', format: 'avro', schema: taskV2 });
  return registry;
}

describe('Avro schema evolution', () => {
  it('v1 -> v2 with an added defaulted field passes the backward (and full) check', () => {
    const registry = createSchemaRegistry();
    registry.register({ type: TYPE, version: '1.0.0', format: 'avro', schema: taskV1 });
    expect(registry.checkCompatibility(TYPE, taskV2, 'backward')).toEqual({ compatible: true, problems: [] });
    expect(registry.checkCompatibility(TYPE, taskV2, 'full')).toEqual({ compatible: true, problems: [] });
  });

  it('a consumer reading v2 decodes data written with v1 (the default fills the new field)', () => {
    const registry = avroRegistry();
    const producer = createEnvelopeSerializer({ style: 'kafka', registry });
    const consumer = createEnvelopeSerializer({
      style: 'kafka',
      registry,
      readerVersions: { [TYPE]: '2.0.0' },
    });
    const envelope = createEnvelope({
      type: TYPE,
      source: 'api',
      schemaversion: '1.0.0',
      data: { taskId: 't-1', title: 'Write' },
    });
    const wire = producer.encode(envelope);
    expect(wire.headers['content-type']).toBe('application/avro');
    expect(wire.headers.ce_schemaversion).toBe('1.0.0');
    const decoded = consumer.decode(wire);
    expect({ ...(decoded.data as object) }).toEqual({ taskId: 't-1', title: 'Write', priority: 3 });
    expect(decoded.schemaversion).toBe('1.0.0');
    expect(decoded.datacontenttype).toBe('application/avro');
  });

  it('a consumer reading v1 decodes data written with v2 (the new field is skipped)', () => {
    const registry = avroRegistry();
    const producer = createEnvelopeSerializer({ style: 'nats', registry });
    const consumer = createEnvelopeSerializer({
      style: 'nats',
      registry,
      readerVersions: { [TYPE]: '1.0.0' },
    });
    const envelope = createEnvelope({
      type: TYPE,
      source: 'api',
      schemaversion: '2.0.0',
      data: { taskId: 't-1', title: 'Write', priority: 1 },
    });
    const decoded = consumer.decode(producer.encode(envelope));
    expect({ ...(decoded.data as object) }).toEqual({ taskId: 't-1', title: 'Write' });
  });

  it('without a reader version, data decodes as the version it was written with; no version means latest', () => {
    const registry = avroRegistry();
    const serializer = createEnvelopeSerializer({ style: 'kafka', registry, mode: 'structured' });
    const envelope = createEnvelope({
      type: TYPE,
      source: 'api',
      data: { taskId: 't', title: 'x', priority: 5 },
    });
    const wire = serializer.encode(envelope);
    const event = JSON.parse(Buffer.from(wire.body).toString()) as Record<string, unknown>;
    expect(event.schemaversion).toBe('2.0.0');
    expect(typeof event.data_base64).toBe('string');
    const decoded = serializer.decode(wire);
    expect(decoded.schemaversion).toBe('2.0.0');
    expect({ ...(decoded.data as object) }).toEqual({ taskId: 't', title: 'x', priority: 5 });
  });

  it('removing a field without a default fails the forward check, naming the field', () => {
    const registry = avroRegistry();
    const forward = registry.checkCompatibility(TYPE, taskV3WithoutTitle, 'forward');
    expect(forward.compatible).toBe(false);
    expect(forward.problems.join('\n')).toMatch(/field 'title' was removed/);
    const full = registry.checkCompatibility(TYPE, taskV3WithoutTitle, 'full');
    expect(full.compatible).toBe(false);
    expect(full.problems.some((p) => p.includes("'title'"))).toBe(true);
    // New readers simply skip the removed field, so the backward check passes.
    expect(registry.checkCompatibility(TYPE, taskV3WithoutTitle, 'backward').compatible).toBe(true);
  });

  it('adding a field without a default fails the backward check, naming the field', () => {
    const registry = avroRegistry();
    const result = registry.checkCompatibility(
      TYPE,
      { ...taskV2, fields: [...taskV2.fields, { name: 'owner', type: 'string' }] },
      'backward',
    );
    expect(result.compatible).toBe(false);
    expect(result.problems).toEqual([
      expect.stringContaining("field 'owner' was added in the new schema without a default"),
    ]);
  });

  it('names fields whose type changed beyond promotion, also inside nested records', () => {
    const registry = createSchemaRegistry();
    const nested = (t: string) => ({
      type: 'record',
      name: 'Outer',
      fields: [{ name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'n', type: t }] } }],
    });
    registry.register({ type: 'x', version: '1.0.0', format: 'avro', schema: nested('int') });
    expect(registry.checkCompatibility('x', nested('long'), 'backward').compatible).toBe(true);
    const result = registry.checkCompatibility('x', nested('string'), 'backward');
    expect(result.compatible).toBe(false);
    expect(result.problems[0]).toMatch(/field 'inner\.n' changed type from int to string/);
  });

  it('register enforces the compatibility mode', () => {
    const registry = avroRegistry();
    const error = errorOf(() =>
      registry.register(
        { type: TYPE, version: '3.0.0', format: 'avro', schema: taskV3WithoutTitle },
        { compatibility: 'full' },
      ),
    );
    expect(error.code).toBe('SWB_SCHEMA_INCOMPATIBLE');
    expect(error.message).toContain("'title'");
    expect(error.details?.problems).toBeInstanceOf(Array);
    expect(registry.has(TYPE, '3.0.0')).toBe(false);
    registry.register({ type: TYPE, version: '3.0.0', format: 'avro', schema: taskV3WithoutTitle });
    expect(registry.latest(TYPE)?.version).toBe('3.0.0');
  });

  it('codecFor refuses a reader that cannot read the writer', () => {
    const registry = createSchemaRegistry();
    registry.register({ type: TYPE, version: '1.0.0', format: 'avro', schema: taskV3WithoutTitle });
    registry.register({ type: TYPE, version: '2.0.0', format: 'avro', schema: taskV1 });
    expect(errorOf(() => registry.codecFor(TYPE, '1.0.0', { readerVersion: '2.0.0' })).code).toBe(
      'SWB_SCHEMA_INCOMPATIBLE',
    );
  });
});

describe('registry bookkeeping', () => {
  it('orders versions by semver precedence and finds them', () => {
    const registry = createSchemaRegistry();
    for (const version of ['1.10.0', '1.2.0', '1.2.0-beta.1', '1.2.0-alpha', '0.9.9']) {
      registry.register({ type: 'j', version, format: 'json', schema: { type: 'object' } });
    }
    expect(registry.versions('j')).toEqual(['0.9.9', '1.2.0-alpha', '1.2.0-beta.1', '1.2.0', '1.10.0']);
    expect(registry.latest('j')?.version).toBe('1.10.0');
    expect(registry.get('j', '1.2.0')?.format).toBe('json');
    expect(registry.has('j')).toBe(true);
    expect(registry.has('nope')).toBe(false);
    expect(registry.latest('nope')).toBeUndefined();
    expect(registry.checkCompatibility('nope', {}, 'full')).toEqual({ compatible: true, problems: [] });
  });

  it('treats re-registering the same schema as a no-op and a different one as an error', () => {
    const registry = createSchemaRegistry();
    const first = registry.register({ type: TYPE, version: '1.0.0', format: 'avro', schema: taskV1 });
    expect(registry.register({ type: TYPE, version: '1.0.0', format: 'avro', schema: taskV1 })).toBe(first);
    expect(
      errorOf(() => registry.register({ type: TYPE, version: '1.0.0', format: 'avro', schema: taskV2 })).code,
    ).toBe('SWB_SCHEMA_INVALID');
  });

  it('rejects bad versions, bad schemas and unknown lookups', () => {
    const registry = createSchemaRegistry();
    expect(
      errorOf(() => registry.register({ type: TYPE, version: 'v1', format: 'json', schema: {} })).code,
    ).toBe('SWB_SCHEMA_INVALID');
    expect(
      errorOf(() => registry.register({ type: '', version: '1.0.0', format: 'json', schema: {} })).code,
    ).toBe('SWB_SCHEMA_INVALID');
    expect(
      errorOf(() =>
        registry.register({ type: TYPE, version: '1.0.0', format: 'avro', schema: { type: 'nope' } }),
      ).code,
    ).toBe('SWB_SCHEMA_INVALID');
    expect(
      errorOf(() =>
        registry.register({ type: TYPE, version: '1.0.0', format: 'protobuf', schema: 'message' }),
      ).code,
    ).toBe('SWB_SCHEMA_INVALID');
    expect(
      errorOf(() => registry.register({ type: TYPE, version: '1.0.0', format: 'xml' as never, schema: {} }))
        .code,
    ).toBe('SWB_SCHEMA_INVALID');
    expect(errorOf(() => registry.codecFor(TYPE, '9.9.9')).code).toBe('SWB_SCHEMA_NOT_FOUND');
  });

  it('flags a format change between versions', () => {
    const registry = createSchemaRegistry({ compatibility: 'backward' });
    registry.register({ type: TYPE, version: '1.0.0', format: 'json', schema: {} });
    expect(
      errorOf(() => registry.register({ type: TYPE, version: '2.0.0', format: 'avro', schema: taskV1 })).code,
    ).toBe('SWB_SCHEMA_INCOMPATIBLE');
  });
});

const protoV1 = `syntax = "proto2";
message Task {
  required string id = 1;
  optional string title = 2;
  optional int32 priority = 3;
  optional Owner owner = 4;
  repeated string tags = 5;
}
message Owner { optional string name = 1; optional int32 age = 2; }`;

function proto(source: string): protobuf.Type {
  const root = protobuf.parse(source).root;
  root.resolveAll();
  return root.lookupType('Task');
}

describe('Protobuf compatibility', () => {
  function registryWithV1() {
    const registry = createSchemaRegistry();
    registry.register({
      type: 'p',
      version: '1.0.0',
      format: 'protobuf',
      schema: { proto: protoV1, messageType: 'Task' },
    });
    return registry;
  }

  it('accepts an added optional field and wire-compatible type changes', () => {
    const next = protoV1.replace(
      'optional int32 priority = 3;',
      'optional int64 priority = 3;\n  optional bool urgent = 6;',
    );
    expect(registryWithV1().checkCompatibility('p', proto(next), 'full')).toEqual({
      compatible: true,
      problems: [],
    });
  });

  it('flags a field number reused with another type', () => {
    const next = protoV1.replace('optional int32 priority = 3;', 'optional string label = 3;');
    const result = registryWithV1().checkCompatibility('p', proto(next), 'backward');
    expect(result.compatible).toBe(false);
    expect(result.problems).toEqual([
      expect.stringMatching(/field 'priority' \(number 3, now 'label'\) changed type from int32 to string/),
    ]);
  });

  it('flags a removed field whose number is not reserved, and accepts it once reserved', () => {
    const removed = protoV1.replace('  optional string title = 2;\n', '');
    const result = registryWithV1().checkCompatibility('p', proto(removed), 'backward');
    expect(result.problems).toEqual([
      expect.stringMatching(/field 'title' \(number 2\) was removed without reserving/),
    ]);
    const reserved = removed.replace('repeated string tags = 5;', 'repeated string tags = 5;\n  reserved 2;');
    expect(registryWithV1().checkCompatibility('p', proto(reserved), 'full').compatible).toBe(true);
  });

  it('flags required-ness changes in the direction they break', () => {
    const relaxed = protoV1.replace('required string id = 1;', 'optional string id = 1;');
    expect(registryWithV1().checkCompatibility('p', proto(relaxed), 'backward').compatible).toBe(true);
    expect(registryWithV1().checkCompatibility('p', proto(relaxed), 'forward').problems).toEqual([
      expect.stringMatching(/field 'id' \(number 1\) changed from required to optional/),
    ]);
    const stricter = protoV1.replace('optional string title = 2;', 'required string title = 2;');
    expect(registryWithV1().checkCompatibility('p', proto(stricter), 'backward').problems).toEqual([
      expect.stringMatching(/field 'title' \(number 2\) changed from optional to required/),
    ]);
    const addedRequired = protoV1.replace(
      'repeated string tags = 5;',
      'repeated string tags = 5;\n  required int32 v = 7;',
    );
    expect(registryWithV1().checkCompatibility('p', proto(addedRequired), 'full').problems).toEqual([
      expect.stringMatching(/required field 'v' \(number 7\) was added/),
    ]);
  });

  it('looks inside nested messages and at cardinality', () => {
    const nested = protoV1.replace('optional int32 age = 2;', 'optional string age = 2;');
    expect(registryWithV1().checkCompatibility('p', proto(nested), 'full').problems).toEqual([
      expect.stringMatching(/field 'owner\.age' \(number 2\) changed type from int32 to string/),
    ]);
    const cardinality = protoV1.replace('repeated string tags = 5;', 'optional string tags = 5;');
    expect(registryWithV1().checkCompatibility('p', proto(cardinality), 'full').problems).toEqual([
      expect.stringMatching(/field 'tags' \(number 5\) changed from repeated to singular/),
    ]);
  });

  it('flags reuse of a reserved number', () => {
    const registry = createSchemaRegistry();
    const v1 = 'syntax = "proto3"; message Task { string id = 1; reserved 2; }';
    registry.register({
      type: 'r',
      version: '1.0.0',
      format: 'protobuf',
      schema: { proto: v1, messageType: 'Task' },
    });
    const next = proto('syntax = "proto3"; message Task { string id = 1; string title = 2; }');
    expect(registry.checkCompatibility('r', next, 'backward').problems).toEqual([
      expect.stringMatching(/field 'title' reuses number 2/),
    ]);
  });

  it('decodes across versions through the serializer', () => {
    const registry = registryWithV1();
    const v2 = protoV1.replace(
      'repeated string tags = 5;',
      'repeated string tags = 5;\n  optional bool urgent = 6;',
    );
    registry.register({
      type: 'p',
      version: '2.0.0',
      format: 'protobuf',
      schema: { proto: v2, messageType: 'Task' },
    });
    const producer = createEnvelopeSerializer({ style: 'kafka', registry });
    const consumer = createEnvelopeSerializer({ style: 'kafka', registry, readerVersions: { p: '1.0.0' } });
    const wire = producer.encode(
      createEnvelope({ type: 'p', source: 's', schemaversion: '2.0.0', data: { id: 't-1', urgent: true } }),
    );
    expect(wire.headers['content-type']).toBe('application/protobuf');
    const data = consumer.decode(wire).data as Record<string, unknown>;
    expect(data.id).toBe('t-1');
    expect(Object.keys(data)).not.toContain('urgent');
  });
});

describe('serializer fallbacks', () => {
  it('uses JSON for unregistered types and for JSON data of a registered type', () => {
    const registry = avroRegistry();
    const serializer = createEnvelopeSerializer({ style: 'nats', registry });
    const other = createEnvelope({ type: 'other', source: 's', data: { a: 1 } });
    expect(serializer.decode(serializer.encode(other))).toEqual(other);
    // A producer without the registry sent JSON for a registered type: decode by media type.
    const plain = createEnvelopeSerializer({ style: 'nats' });
    const json = createEnvelope({ type: TYPE, source: 's', schemaversion: '1.0.0', data: { taskId: 'x' } });
    expect(serializer.decode(plain.encode(json)).data).toEqual({ taskId: 'x' });
  });

  it('refuses to encode a version that is not registered', () => {
    const serializer = createEnvelopeSerializer({ style: 'nats', registry: avroRegistry() });
    const envelope = createEnvelope({ type: TYPE, source: 's', schemaversion: '9.0.0', data: {} });
    expect(errorOf(() => serializer.encode(envelope)).code).toBe('SWB_SCHEMA_NOT_FOUND');
  });

  it('reports data that does not fit the schema as SWB_ENCODE_FAILED with the path', () => {
    const serializer = createEnvelopeSerializer({ style: 'nats', registry: avroRegistry() });
    const envelope = createEnvelope({
      type: TYPE,
      source: 's',
      schemaversion: '1.0.0',
      data: { taskId: 1, title: 'x' },
    });
    const error = errorOf(() => serializer.encode(envelope));
    expect(error.code).toBe('SWB_ENCODE_FAILED');
    expect(error.details?.paths).toEqual(['taskId']);
  });

  it('validates an envelope it did not build when stamping the latest version', () => {
    const serializer = createEnvelopeSerializer({ style: 'kafka', registry: avroRegistry() });
    const raw = {
      id: '1',
      source: 's',
      type: TYPE,
      specversion: '1.0' as const,
      time: '2026-01-01T00:00:00Z',
      datacontenttype: 'application/json',
      data: { taskId: 'a', title: 'b' },
    };
    expect(serializer.encode(raw).headers.ce_schemaversion).toBe('2.0.0');
    expect(errorOf(() => serializer.encode({ ...raw, time: 'yesterday' })).code).toBe('SWB_ENVELOPE_INVALID');
  });
});

describe('Avro compatibility explanations for complex types', () => {
  const wrap = (type: unknown) => ({ type: 'record', name: 'R', fields: [{ name: 'f', type }] });
  function check(from: unknown, to: unknown, mode: 'backward' | 'forward' | 'full' = 'backward') {
    const registry = createSchemaRegistry();
    registry.register({ type: 'c', version: '1.0.0', format: 'avro', schema: wrap(from) });
    return registry.checkCompatibility('c', wrap(to), mode);
  }

  it('names union branches the reader cannot take', () => {
    const result = check(['null', 'string'], ['null', 'int']);
    expect(result.compatible).toBe(false);
    expect(result.problems).toEqual([
      expect.stringMatching(/field 'f': values of type string cannot be read by the new schema/),
    ]);
    expect(check('string', ['null', 'string']).compatible).toBe(true);
    expect(check(['null', 'string'], 'string').problems[0]).toMatch(/values of type null/);
  });

  it('names enum symbols the reader does not know', () => {
    const e = (symbols: string[]) => ({ type: 'enum', name: 'Status', symbols });
    const result = check(e(['OPEN', 'DONE', 'HOLD']), e(['OPEN', 'DONE']));
    expect(result.problems).toEqual([
      expect.stringMatching(/field 'f': enum symbols HOLD are unknown to the new schema/),
    ]);
    expect(check(e(['OPEN']), e(['OPEN', 'DONE'])).compatible).toBe(true);
  });

  it('looks inside arrays and maps', () => {
    expect(check({ type: 'array', items: 'string' }, { type: 'array', items: 'int' }).problems[0]).toMatch(
      /field 'f\[\]' changed type from string to int/,
    );
    expect(check({ type: 'map', values: 'int' }, { type: 'map', values: 'long' }).compatible).toBe(true);
    expect(check({ type: 'map', values: 'long' }, { type: 'map', values: 'int' }).problems[0]).toMatch(
      /field 'f\{\}' changed type from long to int/,
    );
    expect(check({ type: 'array', items: 'int' }, { type: 'map', values: 'int' }).problems[0]).toMatch(
      /field 'f' changed type from array to map/,
    );
  });

  it('falls back to the resolver message when no field explains the failure', () => {
    const registry = createSchemaRegistry();
    registry.register({
      type: 'n',
      version: '1.0.0',
      format: 'avro',
      schema: { type: 'fixed', name: 'F', size: 4 },
    });
    const result = registry.checkCompatibility('n', { type: 'fixed', name: 'F', size: 8 }, 'backward');
    expect(result.compatible).toBe(false);
    expect(result.problems).toHaveLength(1);
  });
});
