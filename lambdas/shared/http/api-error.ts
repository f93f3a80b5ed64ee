/** One problem with a request, named by the field it concerns (dotted path, e.g. "quiet_hours.timezone"). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * An answer the caller can act on: a 4xx for what they sent, a 503 for what a retry can fix.
 * Thrown anywhere in a request; the API middleware turns it into `{error: {code, message, details?}}`.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: readonly FieldProblem[],
    /** Seconds; sent as Retry-After where waiting and retrying can help. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found`);

export const invalidRequest = (details: readonly FieldProblem[]) =>
  new ApiError(
    400,
    'invalid_request',
    details.length === 1 && details[0]
      ? `${details[0].field}: ${details[0].message}`
      : `${details.length} fields are invalid: ${details.map((detail) => detail.field).join(', ')}`,
    details,
  );
