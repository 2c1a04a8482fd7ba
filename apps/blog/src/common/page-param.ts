import { NotFoundException } from '@nestjs/common';

/** Largest ?page= accepted; beyond it the number cannot be a real page of a small blog. */
const MAX_PAGE = 100_000;

/** `?page=` as a page number: absent means 1; anything else that is not 1…MAX_PAGE is a 404. */
export function parsePage(raw: unknown): number {
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,5}$/.test(raw)) throw new NotFoundException();
  const page = Number(raw);
  if (page > MAX_PAGE) throw new NotFoundException();
  return page;
}

/** A page past the last one does not exist, except page 1 of an empty list. */
export function assertPageExists(page: number, totalPages: number): void {
  if (page > totalPages) throw new NotFoundException();
}
