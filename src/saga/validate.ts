/**
 * Checks a saga definition once, when the orchestrator is created.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';
import type { SagaDefinition } from './types.js';

function invalid(path: string, problem: string): SwitchboardError {
  return new SwitchboardError('SWB_CONFIG_INVALID', `saga definition: ${path} ${problem}`, {
    details: { path, problem },
  });
}

function checkDuration(value: unknown, path: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw invalid(path, 'must be a finite number >= 0');
}

/** Throws `SWB_CONFIG_INVALID` naming the first problem of `definition`. */
export function validateDefinition(definition: SagaDefinition<never>): void {
  if (typeof definition?.name !== 'string' || definition.name.length === 0)
    throw invalid('name', 'must be a non-empty string');
  if (!Array.isArray(definition.steps)) throw invalid('steps', 'must be an array');
  checkDuration(definition.timeout, 'timeout');
  const names = new Set<string>();
  definition.steps.forEach((step, index) => {
    const at = `steps[${index}]`;
    if (typeof step?.name !== 'string' || step.name.length === 0)
      throw invalid(`${at}.name`, 'must be a non-empty string');
    if (names.has(step.name)) throw invalid(`${at}.name`, `repeats '${step.name}'`);
    names.add(step.name);
    if (typeof step.action !== 'function') throw invalid(`${at}.action`, 'must be a function');
    if (step.compensation !== undefined && typeof step.compensation !== 'function')
      throw invalid(`${at}.compensation`, 'must be a function');
    checkDuration(step.timeout, `${at}.timeout`);
    checkDuration(step.compensationTimeout, `${at}.compensationTimeout`);
  });
}
