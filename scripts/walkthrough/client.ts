/** A minimal HTTP client for the OpenXP API, as any AEP API user would write one. */
export class ApiClient {
  constructor(readonly baseUrl: string, readonly apiKey: string, readonly sandbox = 'prod') {}

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; text: string; headers: Headers }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': this.apiKey, 'x-sandbox-name': this.sandbox, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = /[/+]json\b/.test(res.headers.get('content-type') ?? '') && text;
    return { status: res.status, body: (json ? JSON.parse(text) : text) as T, text, headers: res.headers };
  }

  /** Like call, but throws with the problem detail unless the status is 2xx. */
  async ok<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const r = await this.call<T>(method, path, body, headers);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Polls until `done` says so (or the time runs out), calling `progress` on every poll. */
  async waitFor<T>(fetchIt: () => Promise<T>, done: (v: T) => boolean, opts: { timeoutMs?: number; progress?: (v: T) => void } = {}): Promise<T> {
    const end = Date.now() + (opts.timeoutMs ?? 300_000);
    for (;;) {
      const v = await fetchIt();
      opts.progress?.(v);
      if (done(v)) return v;
      if (Date.now() > end) throw new Error(`timed out waiting; last state: ${JSON.stringify(v).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
