/**
 * Fuzzing the consumer pipeline: raw bytes and headers into a subscribed topic, plain and with message security.
 * CI: 2 x 80 batches of 1 to 40 messages (about 3 000 messages). Scale with FUZZ_SCALE.
 */
import { describe, expect, it } from 'vitest';
import { fuzzPipeline } from './pipeline.js';
import { FUZZ_SEED, runs } from './scale.js';

describe('fuzz: consumer pipeline', () => {
  for (const secure of [false, true]) {
    it(`dead-letters whatever it cannot read and keeps consuming${secure ? ' (with security)' : ''}`, {
      timeout: 120_000,
    }, async () => {
      const sent = await fuzzPipeline({ runs: runs(80), batch: 40, secure, seed: FUZZ_SEED });
      // Reported so a CI log shows how many messages the run pushed through.
      console.info(`pipeline fuzz${secure ? ' (secure)' : ''}: ${sent} raw messages`);
      expect(sent).toBeGreaterThan(runs(80));
    });
  }
});
