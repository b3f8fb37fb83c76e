import { beforeEach, describe, expect, it } from "vitest";
import type { SyncState, SyncStatus } from "./api";
import { fakeApi, settle, syncedState } from "./fakeApi";
import { syncScreen, syncView } from "./screens/sync";
import { badge, chinaDateTime, progressPercent, syncTrouble } from "./sync";

const status = (over: Partial<SyncStatus>): SyncState => ({ ...syncedState, status: { ...syncedState.status!, ...over } });

describe("sync badge", () => {
  it("says online, pending, offline, syncing and blocked plainly", () => {
    expect(badge("zh-CN", syncedState)).toEqual({ text: "已全部同步", tone: "ok" });
    expect(badge("zh-CN", status({ pending: ["p/2026-11-22"] })).text).toBe("已连接服务器 · 1 项待同步");
    expect(badge("en", status({ online: false, pending: ["p/2026-11-22", "p/2026-11-23"] }))).toEqual({ text: "Working offline: every action is saved on this device · 2 to sync", tone: "offline" });
    expect(badge("zh-CN", status({ progress: { docs_total: 40, docs_done: 10 } }))).toEqual({ text: "正在同步 10/40", tone: "syncing" });
    expect(badge("zh-CN", status({ blocked: "device revoked" })).tone).toBe("blocked");
    expect(badge("zh-CN", { enrolled: true, server: "", status: null }).text).toBe("未设置同步服务器");
  });

  it("gives the progress bar a share only while a sync runs", () => {
    expect(progressPercent(status({ progress: { docs_total: 40, docs_done: 10 } }))).toBe(25);
    expect(progressPercent(status({ progress: { docs_total: 40, docs_done: 40 } }))).toBeNull();
    expect(progressPercent(syncedState)).toBeNull();
    expect(chinaDateTime(1_795_312_800_000)).toBe("2026-11-22 10:00");
  });
});

describe("sync screen", () => {
  beforeEach(() => {
    document.body.replaceChildren();
  });

  const html = (state: SyncState, lang: "zh-CN" | "en" = "zh-CN") => {
    const div = document.createElement("div");
    div.replaceChildren(...syncView(lang, state));
    return div;
  };

  it("says offline with the retry and the error, and a refusal as an alert", () => {
    const v = html(
      status({
        online: false,
        pending: ["p/2026-11-22"],
        retry_in_ms: 2500,
        last_error: "IO error: Connection refused (os error 111)",
        last_error_code: "unreachable",
      }),
    );
    expect(v.querySelector(".sync-banner")?.className).toContain("offline");
    expect(v.querySelector(".pending")?.textContent).toBe("1 天的本机改动还没传到服务器");
    expect(v.querySelector(".retry")?.textContent).toBe("3 秒后自动重试");
    // The reason in the leader's words; the loop's English only as the support detail.
    expect(v.querySelector(".last-error")?.textContent).toBe("上次连接失败原因：连不上服务器（网络断开，或服务器地址不对、服务器没开）");
    expect(v.querySelector(".error-detail")?.textContent).toContain("Connection refused (os error 111)");
    const revoked = "revoked_device: this device was revoked";
    const blocked = html(status({ blocked: revoked, last_error: revoked, last_error_code: "revoked_device" }));
    expect(blocked.querySelector("[role=alert]")?.textContent).toContain("本机已被平台停用");
    expect(blocked.querySelector("[role=alert]")?.textContent).not.toContain("revoked_device");
    expect(blocked.querySelector(".error-detail")?.textContent).toContain(revoked);
  });

  it("words each kind of sync failure, and falls back to the loop's text without a code", () => {
    expect(syncTrouble("zh-CN", "lost")).toBe("连接中途断开了");
    expect(syncTrouble("en", "bad_proof")).toBe("the server does not know this device's enrollment; enroll it again");
    expect(syncTrouble("zh-CN", "change_not_allowed")).toBe("服务器拒收了本机的一处改动");
    expect(syncTrouble("zh-CN", null)).toBeNull();
    const old = html(status({ online: false, last_error: "connection refused", retry_in_ms: 1000 }), "en");
    expect(old.querySelector(".last-error")?.textContent).toBe("Why the last connection failed: connection refused");
    expect(old.querySelector(".error-detail")).toBeNull();
  });

  it("shows a progress bar during a large sync and the last sync time", () => {
    const v = html(status({ progress: { docs_total: 40, docs_done: 10 } }));
    const bar = v.querySelector<HTMLProgressElement>("progress.sync-progress")!;
    expect([bar.max, bar.value]).toEqual([40, 10]);
    expect(v.querySelector(".last-sync")?.textContent).toBe("上次成功同步：2026-11-22 10:00");
    expect(html(syncedState).querySelector("progress")).toBeNull();
  });

  it("redraws the banner and pending count on each sync-status event, and stops listening once left", async () => {
    const api = fakeApi();
    const root = document.createElement("div");
    document.body.append(root);
    await syncScreen(root, { api, lang: "zh-CN", go: () => {}, setLang: () => {} });
    expect(root.querySelector(".sync-banner")?.className).toContain("online");
    expect(api.syncListeners()).toBe(1);
    api.pushSync({ ...syncedState, status: { ...syncedState.status!, online: false, pending: ["p/2026-11-22"] } });
    await settle();
    expect(root.querySelector(".sync-banner")?.className).toContain("offline");
    expect(root.querySelector(".pending")?.textContent).toMatch(/^1 天/);
    api.pushSync(syncedState);
    await settle();
    expect(root.querySelector(".sync-banner")?.className).toContain("online");
    expect(root.querySelector(".pending")?.textContent).toMatch(/^本机改动已全部/);
    root.remove();
    api.pushSync(syncedState);
    expect(api.syncListeners(), "a screen no longer shown stops listening").toBe(0);
  });

  it("has a sync now button that asks the shell", async () => {
    const api = fakeApi();
    const root = document.createElement("div");
    document.body.append(root);
    await syncScreen(root, { api, lang: "zh-CN", go: () => {}, setLang: () => {} });
    root.querySelector<HTMLButtonElement>("button.sync-now")!.click();
    await settle();
    expect(api.calls.some((c) => c[0] === "syncNow")).toBe(true);
    expect(root.querySelector(".message .success")?.textContent).toBe("已请求同步");
    root.remove();
  });
});
