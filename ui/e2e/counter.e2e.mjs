// The counter day as a person does it, through the real app window: First run
// (a wrong enrollment code refused in the server's words, then the right one),
// the first sync from a real sync server, Today, a refusal before the goods arrive, a delivery check with one short line, a code
// typed, a scanner burst ending in Enter, the live camera view over a replayed
// camera (and a missing camera said plainly), every refusal, a partial handover, orders, a printed pick list (checked
// with pdftotext), bag labels (pdftotext, and pdftoppm pages in ARTIFACTS),
// commission, the sync server stopped (offline banner, a handover kept pending) and
// restarted (back online by itself, nothing pending), a refund after a handover
// (the conflict with what to do, marked handled) and settings. Screenshots of each
// screen go to ARTIFACTS. After handovers, the consumer API must say the server saw them.
// Run by scripts/app-e2e.sh, which starts tauri-driver and the sync server and
// writes SEED_DIR/seed.json (scripts/sync-demo-day.sh: the consumer API's codes).
//
//   node e2e/counter.e2e.mjs APP_BINARY SEED_DIR ARTIFACTS

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ENTER, ESC, Session, sleep } from "./webdriver.mjs";

const [app, seedDir, artifacts] = process.argv.slice(2);
if (!app || !seedDir || !artifacts) throw new Error("usage: counter.e2e.mjs APP SEED_DIR ARTIFACTS");
const base = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
mkdirSync(artifacts, { recursive: true });

let step = 0;
const passed = [];
function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  passed.push(what);
  console.log(`  ok  ${what}`);
}

const s = await Session.start(base, app);
// WebKitWebDriver's own screenshot hangs under Xvfb here, so the window is
// captured from the X server, as scripts/app-smoke.sh does.
const shot = async (name) => {
  step += 1;
  const file = join(artifacts, `${String(step).padStart(2, "0")}-${name}.png`);
  await sleep(150); // let the last change paint
  const window = execFileSync("xdotool", ["search", "--onlyvisible", "--name", "邻里 Linli"], { encoding: "utf8" }).split("\n")[0];
  execFileSync("import", ["-window", window, file]);
  console.log(`  shot ${file}`);
};
const go = async (screen) => {
  await s.click(`nav button[data-screen=${screen}]`);
  await sleep(300);
};
/** Types like a person: one key at a time, a fifth of a second apart. */
const typeSlowly = async (css, text) => {
  for (const ch of text) {
    await s.type(css, ch);
    await sleep(200);
  }
};
const verifyInput = "#pickup-input";
const freshInput = async () => {
  await s.clear(verifyInput);
};
const refusal = async (input, reason, name, slowly = false) => {
  await freshInput();
  if (slowly) await typeSlowly(verifyInput, input);
  else await s.type(verifyInput, input);
  await s.type(verifyInput, ENTER);
  const { text } = await s.waitFor(`.refusal[data-reason=${reason}]`, () => true, `refusal ${reason}`);
  check(text.length > 0, `refusal "${reason}" shown: ${text.replace(/\n/g, " / ")}`);
  await shot(name);
};

// The sync server's process, as scripts/app-e2e.sh started it: stopped and
// started again here (the pid file tells the script's cleanup which one to end).
const serverPidFile = process.env.LINLI_E2E_SERVER_PIDFILE;
const stopServer = async () => {
  const pid = Number(readFileSync(serverPidFile, "utf8"));
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && alive(); i++) await sleep(100);
  if (alive()) process.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && alive(); i++) await sleep(100);
  if (alive()) throw new Error(`the sync server (pid ${pid}) did not stop`);
};
const startServer = async (url) => {
  const [cmd, ...args] = JSON.parse(process.env.LINLI_E2E_SERVER_CMD);
  const log = openSync(process.env.LINLI_E2E_SERVER_LOG, "a");
  const child = spawn(cmd, args, { stdio: ["ignore", log, log], detached: true });
  child.unref();
  writeFileSync(serverPidFile, String(child.pid));
  for (let i = 0; i < 300; i++) {
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await sleep(100);
  }
  throw new Error("the restarted sync server did not answer /healthz");
};

/** What the consumer API says about order `o` (as its consumer). */
const consumerStatus = async (seed, o) => {
  const r = await fetch(`${seed.server}/api/consumer/orders/${o.id}`, { headers: { authorization: `Bearer ${o.token}` } });
  if (!r.ok) throw new Error(`consumer API ${r.status}: ${await r.text()}`);
  return (await r.json()).status;
};
const serverSays = async (seed, o, want) => {
  let got = "";
  for (let i = 0; i < 100; i++) {
    got = await consumerStatus(seed, o);
    if (got === want) break;
    await sleep(200);
  }
  check(got === want, `the server saw order ${o.number} as ${want} (consumer API: ${got})`);
};

try {
  const seedFile = join(seedDir, "seed.json");
  for (let i = 0; i < 50 && !existsSync(seedFile); i++) await sleep(100);
  const seed = JSON.parse(readFileSync(seedFile, "utf8"));
  const orders = seed.orders;

  // First run: the server's address and a code; a wrong code first.
  await s.waitFor("h2", (t) => t.startsWith("首次设置"), "the First run screen");
  await s.clear("#fr-server");
  await s.type("#fr-server", seed.server);
  await s.type("#fr-code", "AAAAA-BBBBB");
  await s.type("#fr-leader", "李姐");
  await shot("first-run");
  await s.type("#fr-leader", ENTER);
  const { text: wrong } = await s.waitFor("#first-run-message [role=alert]", () => true, "the refusal of a wrong code");
  check(wrong.includes("没有这个绑定码") && wrong.includes("no such enrollment code"), `a wrong code is refused in both languages with the server's words: ${wrong.replace(/\n/g, " / ")}`);
  await shot("first-run-wrong-code");
  await s.clear("#fr-code");
  await s.type("#fr-code", seed.enrollmentCode + ENTER);

  // Today: the first sync brought the point's day.
  await s.waitFor("h2", (t) => t === "今日", "the Today screen after enrolling");
  const { text: delivery } = await s.waitFor(".delivery", (t) => t.startsWith("待验收"), "the synced delivery");
  const { text: badge } = await s.waitFor("#sync-badge", (t) => t === "已全部同步", "the sync badge");
  check(true, `the sync badge says ${badge}`);
  check(delivery.includes("已清点 0/"), `Today says the delivery waits for its check: ${delivery}`);
  await shot("today-before-check");

  // Pickup before the delivery is accepted: not arrived.
  await go("pickup");
  await refusal(orders[0].code, "not_arrived", "pickup-not-arrived", true);

  // Delivery check: the first line one short, with a note; accept.
  await go("delivery");
  await s.waitFor("table.check tbody tr");
  await s.click("table.check tbody tr:first-child button.step");
  const { text: diff } = await s.waitFor("table.check tbody tr:first-child .diff", (t) => t !== "");
  check(diff === "短 1", `the − button makes the first line short by one (${diff})`);
  await s.type("table.check tbody tr:first-child .note", "少到一件，司机已签字");
  await shot("delivery-check-short-line");
  await s.click("button.accept");
  await s.waitFor(".message .success", (t) => t.includes("验收完成"));
  check(true, "the delivery is accepted");
  await shot("delivery-accepted");

  // Bag labels for the accepted day, one per order to pick up: the order numbers in
  // the PDF (pdftotext), and its first pages as PNG (pdftoppm) to look at.
  await go("printing");
  // The demo city has orders of its own at this point; the seed's are among them.
  const { text: labelsButton } = await s.waitFor("button.print-bag-labels", (t) => /\d+ 张/.test(t));
  const toLabel = Number(/(\d+) 张/.exec(labelsButton)[1]);
  check(toLabel >= 5, `the Printing screen offers ${labelsButton}`);
  await s.click("button.print-bag-labels");
  const { text: labelsSaved } = await s.waitFor(".print-path", (t) => t.includes("bag-labels"));
  const labelsPdf = labelsSaved.replace(/^已保存：/, "").trim();
  const labelsText = execFileSync("pdftotext", ["-layout", labelsPdf, "-"], { encoding: "utf8" });
  const live = orders.filter((o) => !o.cancelled);
  const labelPages = labelsText.split("\f").filter((p) => p.trim() !== "");
  check(labelPages.length === toLabel, `one bag label per order to pick up (${labelPages.length} labels, ${toLabel} orders)`);
  const unlabelled = live.filter((o) => !labelPages.some((p) => p.includes(o.number)));
  check(unlabelled.length === 0, `every order to pick up has its label (missing: ${unlabelled.map((o) => o.number).join(", ") || "none"})`);
  check(!labelsText.includes(orders[1].number), "the cancelled order gets no label");
  check(labelsText.includes("尾号") && labelsText.includes("单号"), "the labels print their Chinese captions");
  execFileSync("pdftoppm", ["-r", "150", "-png", "-f", "1", "-l", "2", labelsPdf, join(artifacts, "bag-labels")]);
  await s.click(".bag-label-choice summary");
  await shot("printing-bag-labels");

  // A typed code: the card, then Enter hands everything over.
  await go("pickup");
  await freshInput();
  await typeSlowly(verifyInput, orders[0].code);
  await s.type(verifyInput, ENTER);
  const { text: title } = await s.waitFor(".order-title");
  check(title.includes(orders[0].number), `a typed code shows order ${orders[0].number}`);
  await shot("pickup-typed-card");
  await s.type(verifyInput, ENTER);
  const { text: typedOk } = await s.waitFor(".success", (t) => t.includes(orders[0].number));
  check(typedOk.includes("键盘输入"), `Enter hands it over, recorded as typed: ${typedOk}`);
  await shot("pickup-typed-done");
  await serverSays(seed, orders[0], "picked_up");

  // A handheld scanner: the QR payload in one burst ending with Enter.
  await freshInput();
  await s.type(verifyInput, orders[3].qr + ENTER);
  await s.waitFor(".order-title", (t) => t.includes(orders[3].number));
  await s.type(verifyInput, ENTER);
  const { text: scanOk } = await s.waitFor(".success", (t) => t.includes(orders[3].number));
  check(scanOk.includes("扫码枪"), `a scanner burst is verified and handed over: ${scanOk}`);

  // The camera: the live view over a replayed camera (an empty counter, then order
  // 3's label); the code it reads is verified like a typed one, and Esc closes it.
  await s.click("#camera-button");
  await s.waitFor("#camera-view .camera-stage[data-live]", () => true, "the live camera preview");
  const preview = await s.script("return document.querySelector('.camera-preview').getAttribute('src')");
  check(preview.startsWith("data:image/jpeg;base64,"), `the live view shows the camera's frames (${preview.length} bytes of data URL)`);
  await s.waitFor(".order-title", (t) => t.includes(orders[2].number), "the camera's order card");
  check(true, `the live view read order ${orders[2].number}'s QR and shows its card`);
  // The shot waits for a preview of the label itself (the empty counter's is tiny).
  let labelPreview = 0;
  for (let i = 0; i < 50 && labelPreview < 4000; i++) {
    labelPreview = await s.script("return document.querySelector('.camera-preview').getAttribute('src').length");
    if (labelPreview < 4000) await sleep(50);
  }
  check(labelPreview >= 4000, `the live preview shows the label (${labelPreview} bytes of data URL)`);
  await shot("pickup-camera-live");
  await s.click("button.confirm");
  const { text: camOk } = await s.waitFor(".success", (t) => t.includes(orders[2].number));
  check(camOk.includes("摄像头"), `the code the camera read is handed over, recorded as the camera: ${camOk}`);
  await s.type(verifyInput, ESC);
  let viewOpen = true;
  for (let i = 0; i < 50 && viewOpen; i++) {
    viewOpen = await s.script("return document.querySelector('#camera-view') !== null");
    if (viewOpen) await sleep(100);
  }
  check(!viewOpen, "Esc closes the live camera view");

  // Every refusal.
  const known = new Set(orders.map((o) => o.code));
  let unknown = "1000000";
  while (known.has(unknown)) unknown = String(Number(unknown) + 1);
  await refusal(unknown, "unknown", "pickup-refused-unknown");
  await refusal(seed.otherPointQr, "other_point", "pickup-refused-other-point");
  await refusal(orders[0].code, "already_picked_up", "pickup-refused-already-used");
  await refusal(orders[1].code, "cancelled", "pickup-refused-cancelled");

  // A partial handover: the first order with two lines gives only its first line.
  let partial = null;
  for (const o of orders.slice(4)) {
    await freshInput();
    await s.type(verifyInput, o.code + ENTER);
    await s.waitFor(".order-title", (t) => t.includes(o.number));
    const lines = await s.script("return document.querySelectorAll('.line').length");
    if (lines >= 2) {
      partial = o;
      break;
    }
  }
  check(partial !== null, "a sample order has two lines");
  await s.click(".line:nth-child(2) input[type=checkbox]");
  await shot("pickup-partial-choice");
  await s.click("button.confirm");
  await s.waitFor(".success", (t) => t.includes(partial.number));
  await freshInput();
  await s.type(verifyInput, partial.code + ENTER);
  const { text: partStatus } = await s.waitFor(".order-status");
  check(partStatus === "部分已提", `after a partial handover the order is partly picked up (${partStatus})`);
  await serverSays(seed, partial, "partly_picked_up");

  // Sync: online, nothing pending, no conflicts.
  await go("sync");
  await s.waitFor(".sync-banner.online", () => true, "the online banner");
  const { text: pending } = await s.waitFor(".pending", (t) => t.startsWith("本机改动已全部"), "nothing pending");
  check(true, `the Sync screen: ${pending}`);
  await s.click("button.sync-now");
  await s.waitFor(".message .success", (t) => t === "已请求同步");
  await shot("sync");

  // Orders: lists and search.
  await go("orders");
  await s.waitFor("table.orders tbody tr");
  await shot("orders-to-pick-up");
  await s.type("#orders-search", partial.number + ENTER);
  await s.waitFor(`tr[data-number="${partial.number}"]`);
  const rows = await s.script("return document.querySelectorAll('table.orders tbody tr').length");
  check(rows === 1, `search by order number finds exactly ${partial.number}`);
  await s.clear("#orders-search");
  await s.click("button[data-tab=pickedUp]");
  await s.waitFor(`tr[data-number="${orders[0].number}"]`);
  check(true, "the picked-up list holds the typed order");
  await shot("orders-picked-up");

  // Printing: the pick list, checked with pdftotext.
  await go("printing");
  await s.click("button.print-pick-list");
  const { text: saved } = await s.waitFor(".print-path");
  const pdf = saved.replace(/^已保存：/, "").trim();
  const text = execFileSync("pdftotext", ["-layout", pdf, "-"], { encoding: "utf8" });
  check(text.includes("当日提货清单"), "the pick list PDF has its Chinese title");
  const missing = orders.filter((o) => !o.cancelled).filter((o) => !text.includes(o.number));
  check(missing.length === 0, `the pick list PDF lists every order (missing: ${missing.map((o) => o.number).join(", ") || "none"})`);
  await shot("printing-pick-list");
  await s.click("button.print-statement");
  const { text: stSaved } = await s.waitFor(".print-path", (t) => t.includes("commission-statement"));
  const stText = execFileSync("pdftotext", ["-layout", stSaved.replace(/^已保存：/, "").trim(), "-"], { encoding: "utf8" });
  check(stText.includes("佣金对账单") && stText.includes(orders[0].number), "the commission statement PDF lists the handed-over order");
  check(stText.replace(/\s/g, "").includes("佣金账本取自服务器") && stText.includes("Unsettled"), "the statement is the ledger pulled from the server, with its totals");

  // Commission: the server booked the handovers and the ledger came back in a pull.
  await go("commission");
  const { text: ledgerText } = await s.waitFor("table.ledger tbody", (t) => t.includes(orders[0].number), "the pulled ledger");
  check(ledgerText.includes(orders[0].number), "the pulled ledger books the handed-over order's commission");
  await s.click("button.export");
  const { text: xlsxSaved } = await s.waitFor(".export-path");
  const xlsx = readFileSync(xlsxSaved.replace(/^已保存：/, "").trim());
  check(xlsx.subarray(0, 2).toString() === "PK", "the commission export is an xlsx (zip) file");
  // Only settled commission may be withdrawn (none is settled yet today): the core
  // refuses and says how much could be. (A granted request is tests/tests/pulls.rs.)
  await s.clear("#withdraw-amount");
  await s.type("#withdraw-amount", "999999" + ENTER);
  const { text: tooMuch } = await s.waitFor("div.message .error", () => true, "a refused withdrawal");
  check(tooMuch.length > 0, `too large a withdrawal is refused: ${tooMuch.replace(/\n/g, " / ")}`);
  await shot("commission");

  // Team: the promoters the demo city gave this point, pulled from the server.
  await go("team");
  const { text: team } = await s.waitFor("ul.team", (t) => t.length > 0, "the pulled team");
  check(team.length > 0, `the team lists promoters: ${team.split("\n").slice(0, 3).join(" / ")}`);
  await shot("team");

  // Offline: the sync server stops. The banner says so, a handover is kept as
  // pending, and once the server is back the loop reconnects by itself and sends it.
  const full = orders.slice(4).find((o) => o !== partial);
  await go("sync");
  await stopServer();
  await s.waitFor(".sync-banner.offline", () => true, "the offline banner", 15_000);
  check(true, "the Sync screen says offline once the server stops");
  await go("pickup");
  await freshInput();
  await s.type(verifyInput, full.code + ENTER);
  await s.waitFor(".order-title", (t) => t.includes(full.number));
  await s.type(verifyInput, ENTER);
  await s.waitFor(".success", (t) => t.includes(full.number));
  await go("sync");
  const { text: waiting } = await s.waitFor(".pending", (t) => t.startsWith("1 天"), "one day pending while offline");
  const { text: offBadge } = await s.waitFor("#sync-badge", (t) => t.startsWith("离线") && t.includes("1 项待同步"), "the offline badge");
  check(true, `offline, the handover waits: ${waiting} / ${offBadge}`);
  // Why, in the leader's words; the socket's English error only as the detail line.
  const { text: why } = await s.waitFor(".last-error", (t) => t.includes("连不上服务器"), "the reason in Chinese", 15_000);
  const { text: detail } = await s.waitFor(".error-detail", (t) => t.startsWith("技术细节"), "the technical detail");
  check(!/[A-Za-z]{4,}/.test(why), `the reason has no English in it: ${why} / ${detail}`);
  await shot("sync-offline");
  const restartedAt = Date.now();
  await startServer(seed.server);
  await s.waitFor(".sync-banner.online", () => true, "the online banner after the restart", 45_000);
  await s.waitFor(".pending", (t) => t.startsWith("本机改动已全部"), "nothing pending after reconnecting", 15_000);
  check(true, `back online by itself ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the server came back; nothing pending`);
  await serverSays(seed, full, "picked_up");
  await shot("sync-back-online");

  // The platform refunds the partly picked-up order: the counter hears of it at
  // once, and the conflict says what happened and what to do (call the consumer,
  // by phone tail). Marked handled, it moves to the history and syncs.
  const refund = await fetch(`${seed.server}/api/platform/orders/${partial.id}/refund`, {
    method: "POST",
    headers: { authorization: `Bearer ${seed.staffToken}`, "content-type": "application/json", "idempotency-key": `e2e-refund-${partial.id}` },
    body: JSON.stringify({ reason: "顾客要求整单退款（测试）" }),
  });
  check(refund.ok, `the platform refunds order ${partial.number} (HTTP ${refund.status})`);
  const conflictCard = `.conflict-card[data-number="${partial.number}"][data-conflict="handed_over_when_void"]`;
  const { text: conflict } = await s.waitFor(conflictCard, () => true, "the refund conflict on the Sync screen", 15_000);
  check(conflict.includes("订单已退款，但商品已经交给了顾客") && /请联系顾客（尾号 \d{4}）/.test(conflict), `the conflict says what happened and what to do: ${conflict.split("\n").slice(0, 3).join(" / ")}`);
  await s.script("document.querySelector(arguments[0]).scrollIntoView({ block: 'center' })", [conflictCard]);
  await shot("sync-conflict");
  await s.type(`${conflictCard} .conflict-note`, "已电话联系顾客，商品已取回");
  await s.click(`${conflictCard} .mark-handled`);
  const { text: handledRow } = await s.waitFor(`table.handled-conflicts tr[data-number="${partial.number}"]`);
  check(handledRow.includes("商品已取回") && handledRow.includes("李姐"), `the handled conflict stays in the history: ${handledRow}`);
  const stillOpen = await s.script("return document.querySelectorAll(arguments[0]).length", [conflictCard]);
  check(stillOpen === 0, "and leaves the open list");
  await s.waitFor(".pending", (t) => t.startsWith("本机改动已全部"), "the resolution synced", 15_000);
  check(true, "the resolution reached the server (nothing pending)");
  await s.script("document.querySelector('table.handled-conflicts').scrollIntoView({ block: 'center' })");
  await shot("sync-conflict-handled");

  // A camera that is not there (Settings names camera 5): said in both languages,
  // and the desk goes on with typed codes.
  await go("settings");
  await s.waitFor("#set-printer");
  await s.clear("#set-camera");
  await s.type("#set-camera", "5");
  await s.click(".actions button.primary");
  await s.waitFor(".success", () => true, "the camera setting saved");
  await shot("settings");
  await go("pickup");
  await s.click("#camera-button");
  const { text: noCamera } = await s.waitFor("[data-reason=no_camera]", () => true, "the no-camera message");
  check(noCamera.includes("找不到摄像头 5") && noCamera.includes("Camera 5"), `a missing camera is said in both languages: ${noCamera.replace(/\n/g, " / ")}`);
  await shot("pickup-no-camera");
  await refusal(orders[0].code, "already_picked_up", "pickup-after-no-camera");
  await go("settings");
  await s.clear("#set-camera");
  await s.type("#set-camera", "0");
  await s.click(".actions button.primary");
  await s.waitFor(".success", () => true, "the camera setting restored");
  await go("today");
  const { text: after } = await s.waitFor(".delivery", (t) => t.startsWith("已于"));
  check(after.includes("1 行短缺"), `Today shows the accepted delivery with its short line: ${after}`);
  await shot("today-after");

  // English, second language: a refusal reads in English first.
  await s.click(".lang-toggle");
  await go("pickup");
  await refusal(orders[0].code, "already_picked_up", "pickup-refused-english");
  const { text: en } = await s.waitFor(".refusal .reason");
  check(en.startsWith("already picked up at"), `the English reason leads: ${en}`);

  console.log(`e2e: ${passed.length} checks passed`);
} finally {
  await s.end().catch(() => {});
}
