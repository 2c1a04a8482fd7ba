/** Typed domain errors; the app maps them to pages and status codes in one filter. */
export class ContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ContentNotFoundError extends ContentError {}

/** Input the author can fix: the message is shown to them as is. */
export class ContentValidationError extends ContentError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
