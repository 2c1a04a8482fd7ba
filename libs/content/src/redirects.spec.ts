import { isLocalTarget, oldPathKey } from './redirects.js';

describe('old addresses', () => {
  it('keys an address one way, however it was written', () => {
    expect(oldPathKey('https://old.example/2024/05/12/Hello-World/')).toBe('/2024/05/12/hello-world');
    expect(oldPathKey('/2024/05/12/hello-world')).toBe('/2024/05/12/hello-world');
    expect(oldPathKey('/a//b///')).toBe('/a/b');
    expect(oldPathKey('/caf%C3%A9/')).toBe('/café');
    expect(oldPathKey('/?p=12')).toBe('/?p=12');
    expect(oldPathKey('/?utm_source=x&page_id=3')).toBe('/?page_id=3');
    expect(oldPathKey('/feed/?utm_source=x')).toBe('/feed');
    expect(oldPathKey('/')).toBe('/');
    expect(oldPathKey(`/${'a'.repeat(600)}`)).toBeNull();
    expect(oldPathKey('/%E0%A4%A')).toBe('/%e0%a4%a'); // not decodable: kept as written
  });

  it('sends readers only to a path of this blog', () => {
    expect(isLocalTarget('/posts/x')).toBe(true);
    expect(isLocalTarget('/')).toBe(true);
    expect(isLocalTarget('//evil.example/')).toBe(false);
    expect(isLocalTarget('/\\evil.example')).toBe(false);
    expect(isLocalTarget('https://evil.example/')).toBe(false);
    expect(isLocalTarget('/a\nLocation: x')).toBe(false);
    expect(isLocalTarget('posts/x')).toBe(false);
  });
});
