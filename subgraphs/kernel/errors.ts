/**
 * Coded errors. Services throw these; subgraphs surface them as `extensions.code` (never
 * `extensions.http`), and the REST bridge maps each code to an HTTP status in one table.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  /** It existed and is gone for good (a revoked or expired token): 410. */
  | 'GONE'
  | 'VALIDATION_FAILED'
  | 'LOCKED'
  | 'RATE_LIMITED'
  | 'FEATURE_DISABLED'
  | 'SERVICE_UNAVAILABLE'
  /** An upstream provider (OpenAI …) failed or refused the call (502). */
  | 'BAD_GATEWAY';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** No credential, or one that failed verification. */
export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required.') {
    super('UNAUTHENTICATED', message);
  }
}

/** A valid credential without the right to do this. */
export class ForbiddenError extends AppError {
  constructor(message = 'Insufficient privileges for this operation.') {
    super('FORBIDDEN', message);
  }
}

/** The row does not exist, or belongs to another tenant (the two are indistinguishable on purpose). */
export class NotFoundError extends AppError {
  constructor(what: string, id?: string) {
    super('NOT_FOUND', id ? `${what} ${id} not found` : `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** Input that is well-typed but not acceptable (the contract's 400s). */
export class BadRequestError extends AppError {
  constructor(message: string, details?: unknown) {
    super('BAD_REQUEST', message, details);
  }
}

/** Input that fails validation rules (the contract's 422 envelope). `details` lists the issues. */
export class ValidationError extends AppError {
  constructor(message: string, details: { loc: (string | number)[]; msg: string; type: string }[]) {
    super('VALIDATION_FAILED', message, details);
  }
}

/** Prisma's unique-constraint violation, for translating into ConflictError. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2002';
}
