/** Thrown from a @Render handler that must answer with a redirect instead; the error filter sends it. */
export class RedirectException extends Error {
  constructor(
    readonly location: string,
    readonly status: 301 | 302 | 303 | 307 | 308 = 301,
  ) {
    super(`Redirect to ${location}`);
  }
}
