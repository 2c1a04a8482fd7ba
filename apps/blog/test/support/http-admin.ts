/** An upload or an import also makes renditions (2–6 s a photo here) before it answers. */
const SLOW_WRITE_MS = 90_000;

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
    return this.send(method, path, {
      headers: form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {},
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
  }

  /**
   * An image as the editor's paste or drop sends it (public/js/editor.js): multipart field `file`,
   * the CSRF token in a header, JSON asked for. Resolves to the status and the answer's JSON.
   */
  async uploadImage(data: Buffer, filename: string, type: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)], { type }), filename);
    const res = await this.send('POST', '/admin/media', {
      headers: { Accept: 'application/json', 'X-CSRF-Token': this.csrf },
      body: form,
      timeoutMs: SLOW_WRITE_MS,
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  }

  /** The backup page's import form (multipart field `files`, token in the query), not a dry run. */
  async importFiles(files: { name: string; data: Buffer; type: string }[]): Promise<Response> {
    const form = new FormData();
    for (const f of files) form.append('files', new Blob([new Uint8Array(f.data)], { type: f.type }), f.name);
    return this.send('POST', `/admin/backup/import?_csrf=${encodeURIComponent(this.csrf)}`, {
      body: form,
      timeoutMs: SLOW_WRITE_MS,
    });
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    init: { headers?: Record<string, string>; body?: BodyInit; timeoutMs?: number },
  ): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: { Cookie: this.cookieHeader(), ...init.headers },
      body: init.body,
      // Longer than a save may rightly take: instances started the image's way wait up to 20 s for
      // replication (container.ts), plus a lease check on each side (5 s each, gcs-lease-store.ts).
      signal: AbortSignal.timeout(init.timeoutMs ?? 45_000),
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
