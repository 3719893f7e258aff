/**
 * Wire messages that carry their envelope by reference, for in-process transports.
 *
 * @module
 */

/**
 * Brand of a wire message that carries its envelope object and encodes its headers and body only when read.
 * In-process transports that pass messages by reference skip their shape checks for these (the checks would
 * read the body and so encode every message for nothing).
 */
export const LOCAL_ENVELOPE: unique symbol = Symbol.for('switchboard.local-envelope');

/** Whether `message` carries its envelope by reference (see {@link LOCAL_ENVELOPE}). */
export function isLocalMessage(message: object): boolean {
  return (message as { [LOCAL_ENVELOPE]?: unknown })[LOCAL_ENVELOPE] !== undefined;
}
