// Measures, through the real window: app start to a usable pickup screen, Enter
// on a code to the result card drawn (at a point holding LINLI_DEMO_ORDERS
// orders), and the app's memory when idle. Prints figures; asserts no timings.
//
//   node e2e/latency.e2e.mjs APP_BINARY SEED_DIR

import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { Session, sleep } from "./webdriver.mjs";

const [app, seedDir] = process.argv.slice(2);
const base = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const SAMPLES = 60;

/** Launches the app; returns the session and the ms until the pickup input is up. */
async function launch() {
  const t0 = Date.now();
  const session = await Session.start(base, app);
  await session.waitFor("h2", (t) => t === "今日", "Today", 600_000);
  await session.script("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'F3' }))");
  await session.waitFor("#pickup-input");
  return [session, Date.now() - t0];
}

// The first launch seeds the replica (the stand-in for the first sync), so its
// start-up is not the figure; the second launch opens the same 10,000-order replica.
const [s, seedAndStartMs] = await launch();
const result = {};
try {

  const seed = JSON.parse(readFileSync(join(seedDir, "seed.json"), "utf8"));
  // Accept the delivery so codes come back as order cards, not "not arrived".
  await s.click("nav button[data-screen=delivery]");
  await s.waitFor("table.check tbody tr");
  const acceptStart = Date.now();
  await s.click("button.accept");
  await s.waitFor(".message .success", () => true, "acceptance", 600_000);
  const acceptMs = Date.now() - acceptStart;
  await s.click("nav button[data-screen=pickup]");
  await s.waitFor("#pickup-input");

  const codes = seed.orders.filter((o) => !o.cancelled).slice(0, SAMPLES).map((o) => o.code);
  // In the page: type the code, press Enter, and stop the clock on the first
  // animation frame after the result card changed (i.e. when it is drawn).
  const measure = `
    const [code, done] = arguments;
    const input = document.querySelector('#pickup-input');
    const result = document.querySelector('#pickup-result');
    input.value = code;
    const obs = new MutationObserver(() => {
      if (!result.querySelector('.order-title, .refusal')) return;
      obs.disconnect();
      requestAnimationFrame(() => done(performance.now() - start));
    });
    obs.observe(result, { childList: true, subtree: true });
    result.replaceChildren();
    const start = performance.now();
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));`;
  const times = [];
  for (const code of codes) times.push(await s.cmd("POST", "/execute/async", { script: measure, args: [code] }));
  times.sort((a, b) => a - b);
  const pct = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(1);

  Object.assign(result, {
    orders: seed.orders.length,
    firstLaunchWithSeedingMs: seedAndStartMs,
    countAndAcceptMs: acceptMs,
    enterToCardMs: { samples: times.length, p50: pct(50), p90: pct(90), max: times.at(-1).toFixed(1) },
  });
} finally {
  await s.end().catch(() => {});
}

await sleep(2000);
const [again, startMs] = await launch();
try {
  await sleep(10_000);
  result.startToPickupMs = startMs;
  result.idleRssMiB = memory(app);
} finally {
  await again.end().catch(() => {});
}
console.log(JSON.stringify(result, null, 2));

/** Resident memory (MiB) of the app process and the WebKit processes it started. */
function memory(appPath) {
  const procs = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  const info = (pid) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      let exe = "";
      try { exe = readlinkSync(`/proc/${pid}/exe`); } catch { /* not ours */ }
      return { pid: Number(pid), ppid, rssKb, exe };
    } catch {
      return null;
    }
  };
  const all = procs.map(info).filter(Boolean);
  const appProc = all.find((p) => p.exe === appPath);
  if (!appProc) return null;
  const children = all.filter((p) => p.ppid === appProc.pid);
  const mib = (kb) => Math.round(kb / 1024);
  return { app: mib(appProc.rssKb), webkit: mib(children.reduce((n, p) => n + p.rssKb, 0)), total: mib(appProc.rssKb + children.reduce((n, p) => n + p.rssKb, 0)) };
}
