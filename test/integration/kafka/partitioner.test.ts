import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { murmur2 as clientMurmur2 } from '@platformatic/kafka';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kafkaLibsDir } from '../../../scripts/kafka/broker.js';
import { javaCompatiblePartitioner, javaPartition, murmur2 } from '../../../src/transport/kafka/index.js';

const javaAvailable = spawnSync('java', ['-version']).status === 0;

describe('murmur2 partitioning', () => {
  it('matches the Java client bit for bit (Utils.murmur2 and the default partitioner)', () => {
    if (!javaAvailable) return expect.fail('java is needed to compare with the Java client');
    const keys = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 40 }), { numRuns: 400, seed: 42 });
    keys.push(new TextEncoder().encode('order-42'), new TextEncoder().encode('tâche-ü-🚀'));
    const partitions = 7;
    const result = spawnSync(
      'java',
      [
        '-cp',
        `${kafkaLibsDir}/*`,
        join(import.meta.dirname, 'fixtures', 'JavaPartitions.java'),
        String(partitions),
      ],
      {
        input: keys.map((k) => Buffer.from(k).toString('base64')).join('\n'),
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    const java = result.stdout.trim().split('\n');
    expect(java).toHaveLength(keys.length);
    keys.forEach((key, i) => {
      const [hash, partition] = java[i]!.split(' ').map(Number);
      expect(murmur2(key)).toBe(hash);
      expect(javaPartition(key, partitions)).toBe(partition);
    });
  }, 60_000);

  it('agrees with the client library murmur2 on every input (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(murmur2(bytes)).toBe(clientMurmur2(Buffer.from(bytes)) | 0);
      }),
      { numRuns: 500 },
    );
  });

  it('javaCompatiblePartitioner hashes keys and spreads keyless records round-robin per topic', () => {
    const partitioner = javaCompatiblePartitioner();
    const key = Buffer.from('order-42');
    expect(partitioner({ topic: 'a' }, key) % 6).toBe(javaPartition(key, 6));
    expect([0, 1, 2].map(() => partitioner({ topic: 'a' }, undefined))).toEqual([0, 1, 2]);
    expect(partitioner({ topic: 'b' }, undefined)).toBe(0);
  });
});
