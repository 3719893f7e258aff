/**
 * A small HTTP client of the gateway, used by the demo, the load scenario and the tests.
 *
 * @module
 */

/** An HTTP answer: status, JSON body and the trace id header. */
export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly traceId: string | null;
}

/**
 * Calls the gateway.
 *
 * @example
 * ```ts
 * const { body } = await http(url, 'POST', '/auth/token', { body: { userId: 'ada' } });
 * ```
 */
export async function http<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as T,
    traceId: response.headers.get('x-trace-id'),
  };
}

/**
 * A token for `userId` from the gateway.
 *
 * @example
 * ```ts
 * const token = await login(url, 'ada');
 * ```
 */
export async function login(baseUrl: string, userId: string): Promise<string> {
  const answer = await http<{ token: string }>(baseUrl, 'POST', '/auth/token', { body: { userId } });
  if (answer.status !== 200) throw new Error(`login failed with ${answer.status}`);
  return answer.body.token;
}
