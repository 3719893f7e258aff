/**
 * The Backend API's error responses in the seed's format:
 * `{ "error": { code, message, details, timestamp, trace_id } }`.
 *
 * @module
 */

/** The seed's error codes and the status each answers with. */
export const API_ERRORS = {
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  VALIDATION_ERROR: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

/** One of {@link API_ERRORS}. */
export type ApiErrorCode = keyof typeof API_ERRORS;

/**
 * An error the API answers with: a status, the seed's code, a message and details. Thrown inside the API's
 * handlers and turned into a response by the router; it never leaves the service.
 *
 * @example
 * ```ts
 * throw new ApiError('VALIDATION_ERROR', 'Title must be between 1 and 500 characters', { field: 'title', value: '' });
 * ```
 */
export class ApiError extends Error {
  readonly status: number;
  /** Fields of the error body beside the standard ones (`retry_after`). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Response headers that go with the error (`Retry-After`, `X-RateLimit-*`, `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options: { extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERRORS[code];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

/**
 * The response body of an error.
 *
 * @example
 * ```ts
 * errorBody(new ApiError('NOT_FOUND', 'Task not found'), traceId);
 * ```
 */
export function errorBody(error: ApiError, traceId: string): { error: Record<string, unknown> } {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.code === 'RATE_LIMIT_EXCEEDED' ? {} : { details: error.details }),
      ...error.extra,
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      trace_id: traceId,
    },
  };
}
