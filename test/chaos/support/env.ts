/**
 * What the scenarios read from the global setup, and the skip rule: a scenario whose servers cannot run is
 * skipped with the reason outside CI (in CI the global setup already failed the run).
 *
 * @module
 */
import { describe, inject } from 'vitest';
import './provided.js';
import { skipWithout } from '../../support/broker-skip.js';

/** The run's directory (pid registry, fixture files). */
export const runDir: string = inject('chaosRunDir');
/** The shared PostgreSQL, or `''`. */
export const postgresUrl: string = inject('chaosPostgresUrl');
/** Why nats-server, redis-server or PostgreSQL are missing, or `''`. */
export const unavailable: string = inject('chaosUnavailable');
/** Why Kafka cannot run, or `''`. */
export const kafkaUnavailable: string = inject('chaosKafkaUnavailable');

/** `describe` for scenarios on nats-server, redis-server and PostgreSQL; skipped (with the reason printed) without them. */
export const describeServers = describe.skipIf(
  skipWithout('nats-server, redis-server and PostgreSQL', unavailable),
);
/** `describe` for the Kafka scenarios; skipped without Java or the broker jars. */
export const describeKafka = describe.skipIf(skipWithout('Kafka', kafkaUnavailable));
