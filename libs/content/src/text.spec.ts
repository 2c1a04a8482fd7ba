import { cleanText } from './text.js';

describe('cleanText', () => {
  it('drops NUL and the other C0 controls XML forbids, keeps tab, newline and carriage return', () => {
    expect(cleanText('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg')).toBe('abcdefg');
    expect(cleanText('line\tone\r\nline two\n')).toBe('line\tone\r\nline two\n');
  });

  it('drops the non-characters U+FFFE/U+FFFF and replaces lone surrogates', () => {
    expect(cleanText('x\uFFFEy\uFFFFz')).toBe('xyz');
    expect(cleanText('a\uD800b\uDC00c')).toBe('a\uFFFDb\uFFFDc');
    expect(cleanText('emoji 😀 and 𝄞 stay')).toBe('emoji 😀 and 𝄞 stay');
  });
});
