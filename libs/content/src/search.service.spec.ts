import { MAX_QUERY_LENGTH, toFtsQuery } from './search.service.js';

describe('toFtsQuery: what a reader types, as an FTS5 query that cannot fail', () => {
  it('quotes each word and makes the last one a prefix, as the reader is still typing it', () => {
    expect(toFtsQuery('sea boats')).toBe('"sea" "boats"*');
    expect(toFtsQuery('Ünïcode 42')).toBe('"Ünïcode" "42"*');
  });

  it('keeps a quoted phrase whole, and does not prefix it', () => {
    expect(toFtsQuery('"tall ships" sail')).toBe('"tall ships" "sail"*');
    expect(toFtsQuery('sail "tall ships"')).toBe('"sail" "tall ships"');
    expect(toFtsQuery('"unclosed phrase')).toBe('"unclosed phrase"');
  });

  it('drops FTS5 syntax: operators, columns, parentheses and stray quotes are only words or nothing', () => {
    expect(toFtsQuery('title:boats OR (sea* NOT "x')).toBe('"title" "boats" "OR" "sea" "NOT" "x"');
    expect(toFtsQuery('*** ^ - ()')).toBeNull();
    expect(toFtsQuery('   ')).toBeNull();
  });

  it('is bounded: a long query is cut, and without its prefix when terms were dropped', () => {
    const many = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const query = toFtsQuery(many)!;
    expect(query.endsWith('*')).toBe(false);
    expect(query.split(' ').length).toBeLessThan(200);
    expect(toFtsQuery('a'.repeat(MAX_QUERY_LENGTH + 50))!.length).toBeLessThanOrEqual(MAX_QUERY_LENGTH + 3);
  });
});
