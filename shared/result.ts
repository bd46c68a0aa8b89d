/** Errors cross every boundary (contract, adapters → scheduler) as values, with a message written where the error is understood. */
export type ErrorInfo = Readonly<{
  code: string;
  message: string;
  /** Field-level problems, e.g. from validation: which row, which field, what is accepted. */
  issues?: readonly Issue[];
}>;

export type Issue = Readonly<{
  /** 1-based row in the user's batch file or batch builder; absent for single-job problems. */
  row?: number;
  field: string;
  message: string;
  /** What would be accepted, in words a creator understands. */
  accepted?: string;
}>;

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorInfo };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = (code: string, message: string, issues?: readonly Issue[]): Result<never> => ({
  ok: false,
  error: issues ? { code, message, issues } : { code, message },
});

/** A thrown error that carries a user-facing code and message across the contract. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly issues?: readonly Issue[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function formatIssue(issue: Issue): string {
  const where = issue.row !== undefined ? `row ${issue.row}, ${issue.field}` : issue.field;
  return `${where}: ${issue.message}${issue.accepted ? ` (accepted: ${issue.accepted})` : ''}`;
}
