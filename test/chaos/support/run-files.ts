/**
 * Names of the files the global setup and the scenarios share in the run directory.
 *
 * @module
 */

/** Written by the global setup once the background Kafka broker answers: `{ bootstrap, dir }`. */
export const KAFKA_READY_FILE = 'kafka.json';
/** Written instead when the broker could not start: the error message. */
export const KAFKA_ERROR_FILE = 'kafka.error';
