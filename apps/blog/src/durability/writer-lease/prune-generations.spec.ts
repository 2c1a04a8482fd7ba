import { generationsToDelete, type GenerationInBucket, KEEP_FOR_MS, KEEP_GENERATIONS } from './prune-generations.js';

const now = new Date('2026-12-02T12:00:00Z');
const gen = (n: number, hoursAgo: number): GenerationInBucket => ({
  generation: n.toString(16).padStart(16, '0'),
  objects: 3,
  bytes: 1000,
  lastWrite: new Date(now.getTime() - hoursAgo * 3600_000),
});
const names = (gs: GenerationInBucket[]) => gs.map((g) => g.generation).sort();

describe('generationsToDelete', () => {
  it('keeps the live generation and the one it was restored from, however old', () => {
    const all = [gen(1, 500), gen(2, 400)];
    expect(generationsToDelete(all, { live: all[1].generation, restoredFrom: all[0].generation }, now)).toEqual([]);
  });

  it('keeps only the most recently written others, and none past the retention', () => {
    const all = Array.from({ length: 10 }, (_, n) => gen(n + 1, n)); // gen 1 written now, gen 10 nine hours ago
    const doomed = generationsToDelete(all, { live: all[0].generation, restoredFrom: all[1].generation }, now);
    // Others: gens 3..10; the KEEP_GENERATIONS newest of them stay.
    expect(names(doomed)).toEqual(names(all.slice(2 + KEEP_GENERATIONS)));

    const old = [gen(1, 0), gen(2, 1), gen(3, KEEP_FOR_MS / 3600_000 + 1)];
    expect(names(generationsToDelete(old, { live: old[0].generation, restoredFrom: null }, now))).toEqual([old[2].generation]);
  });
});
