/** A cookie-keeping admin client over real HTTP (fetch), for tests against a running process. */
export class HttpAdmin {
  private cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  async login(username: string, password: string): Promise<void> {
    const form = await this.request('GET', '/admin/login');
    const csrf = csrfOf(await form.text());
    const res = await this.request('POST', '/admin/login', { _csrf: csrf, username, password, next: '/admin' });
    if (res.status !== 303) throw new Error(`login answered ${res.status}`);
    this.csrf = csrfOf(await (await this.request('GET', '/admin')).text());
  }

  /** Creates a post; resolves to the redirect's Location (with its replication outcome) on success. */
  async createPost(title: string, markdown: string): Promise<{ status: number; location: string | null }> {
    const res = await this.request('POST', '/admin/posts/new', {
      _csrf: this.csrf,
      title,
      markdown,
      status: 'published',
      tags: 'durability',
    });
    return { status: res.status, location: res.headers.get('location') };
  }

  /** The Cookie header this client sends, for requests it does not make itself (multipart uploads). */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        Cookie: this.cookieHeader(),
        ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
      // Longer than a save may rightly take: instances started the image's way wait up to 20 s for
      // replication (container.ts), plus a lease check on each side (5 s each, gcs-lease-store.ts).
      signal: AbortSignal.timeout(45_000),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
}

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf on the page');
  return match[1];
}
