/** Metadata key: the handler is an author write, run by the write pipeline (set by AdminController). */
export const AUTHOR_WRITE = 'inkstone:author-write';
/** Metadata key: a POST handler of an admin controller that writes no content (set by @NotAWrite()). */
export const NOT_A_WRITE = 'inkstone:not-a-write';
