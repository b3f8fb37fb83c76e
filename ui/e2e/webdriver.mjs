// A small W3C WebDriver client over fetch: just what the counter E2E needs, with
// no dependency to install. tauri-driver listens on WEBDRIVER_URL.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
export const ENTER = "\uE007";
export const ESC = "\uE00C";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value ?? {};
    throw new Error(`${method} ${path}: ${res.status} ${v.error ?? ""} ${v.message ?? JSON.stringify(json)}`);
  }
  return json.value;
}

export class Session {
  static async start(base, application) {
    const value = await call(base, "POST", "/session", {
      // tauri-driver takes its options from alwaysMatch; no browserName.
      capabilities: { alwaysMatch: { "tauri:options": { application } } },
    });
    return new Session(base, value.sessionId);
  }

  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async find(css) {
    const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return v[ELEMENT];
  }

  /** Waits until `css` matches an element whose text satisfies `test`. */
  async waitFor(css, test = () => true, what = css, timeoutMs = 10_000) {
    const until = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      try {
        const el = await this.find(css);
        last = await this.cmd("GET", `/element/${el}/text`);
        if (test(last)) return { el, text: last };
      } catch {
        // not there yet
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last text: ${JSON.stringify(last)}`);
      await sleep(100);
    }
  }

  async click(css) {
    const el = await this.find(css);
    await this.cmd("POST", `/element/${el}/click`, {});
  }

  async type(css, text) {
    const el = await this.find(css);
    await this.cmd("POST", `/element/${el}/value`, { text });
  }

  async clear(css) {
    const el = await this.find(css);
    await this.cmd("POST", `/element/${el}/clear`, {});
  }

  script(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  end() {
    return this.cmd("DELETE", "");
  }
}
