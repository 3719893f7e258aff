/**
 * Header values survive byte for byte.
 *
 * @module
 */
import { expect } from 'vitest';
import type { WireHeaders } from '../../../envelope/types.js';
import type { Scenario } from '../scenario.js';

let printable = '';
for (let c = 0x20; c <= 0x7e; c++) printable += String.fromCharCode(c);

/**
 * Header names (lower-case) and values a CloudEvents binding puts on the wire, plus awkward printable ASCII:
 * spaces (also leading and trailing), `%` sequences that must not be decoded, quotes, separators, every printable
 * ASCII character, and a long value.
 */
export const AWKWARD_HEADERS: Readonly<WireHeaders> = Object.freeze({
  ce_id: '0190b7e4-8d1c-7c3a-9f2e-1a2b3c4d5e6f',
  ce_source: '/services/billing?region=eu-west-1&tier=2',
  ce_type: 'task.created.v1',
  ce_specversion: '1.0',
  ce_time: '2026-11-21T20:39:37.123456789Z',
  'ce-source': 'backend-api',
  'ce-datacontenttype': 'application/json; charset=utf-8',
  'content-type': 'application/cloudevents+json; charset=UTF-8',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
  'x-spaces': 'a value with  two  spaces',
  'x-padded': '  leading and trailing  ',
  'x-percent': '100% sure: %20 and %2F and %zz stay as they are',
  'x-quotes': `"double" and 'single' and \`back\``,
  'x-separators': 'a=b; c=d, e:f/g\\h|i',
  'x-json': '{"a":[1,2,{"b":null}],"c":"d e"}',
  'x-printable': printable,
  'x-long': 'abcdefghij'.repeat(400),
});

/** Ours: every header of {@link AWKWARD_HEADERS} arrives with the same name and value. */
export const headerValuesIntact: Scenario = {
  name: 'header-values-intact',
  timeoutMs: 15_000,
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('headers'));
    const received = ctx.received();
    await ctx.subscribe(topic, received.handler, { group: ctx.group('g'), startFrom: 'earliest' });
    const sent = ctx.message(1, { key: 'header-key', headers: { ...AWKWARD_HEADERS } });
    await ctx.transport.publish(topic, sent);
    await ctx.waitFor(() => received.size >= 1, 10_000, 'the message');
    const got = received.ids().map((id) => received.get(id)!)[0]!;
    const mismatches = Object.entries(AWKWARD_HEADERS)
      .filter(([name, value]) => got.headers[name] !== value)
      .map(([name]) => name);
    expect(mismatches, 'headers whose value changed on the way').toEqual([]);
  },
};
