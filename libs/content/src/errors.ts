/**
 * Typed domain errors. Each carries the status it answers with (a number, not an HTTP type), so
 * the app's one error filter needs no list of them; `message` is written for the author and shown
 * as is (but for "not found", whose page says it all).
 */
export abstract class ContentError extends Error {
  abstract readonly status: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ContentNotFoundError extends ContentError {
  readonly status = 404;
}

/** Input the author can fix: the message is shown to them as is. */
export class ContentValidationError extends ContentError {
  readonly status: number = 400;

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
