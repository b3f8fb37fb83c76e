import { beforeEach, describe, expect, it } from "vitest";
import { LANG_STORAGE_KEY, mountApp } from "./app";
import { fakeApi, settle, syncedState } from "./fakeApi";

const text = (root: HTMLElement, selector: string) => root.querySelector(selector)?.textContent;

describe("app shell", () => {
  let root: HTMLElement;
  beforeEach(() => {
    localStorage.clear();
    root = document.createElement("div");
    document.body.replaceChildren(root);
  });

  it("opens in Chinese on Today with the day's numbers", async () => {
    await mountApp(root, { api: fakeApi(), storage: localStorage });
    expect(document.documentElement.lang).toBe("zh-CN");
    expect(text(root, "h1")).toBe("邻里 Linli");
    expect(text(root, "h2")).toBe("今日");
    expect(text(root, ".delivery")).toBe("待验收：已清点 0/12 行");
    expect(text(root, ".to-pick-up .tile-value")).toBe("29");
    expect(text(root, ".unsettled .tile-value")).toBe("¥12.34");
    expect(text(root, "#sync-badge")).toBe("已全部同步");
    expect(root.querySelectorAll("nav button")).toHaveLength(9);
  });

  it("updates the sync badge from the shell's sync-status event, with no polling", async () => {
    const api = fakeApi();
    await mountApp(root, { api, storage: localStorage });
    expect(text(root, "#sync-badge")).toBe("已全部同步");
    const reads = api.calls.filter((c) => c[0] === "syncState").length;
    const offline = { ...syncedState.status!, online: false, pending: ["p/2026-11-22"], last_error: "connection refused", retry_in_ms: 4000 };
    api.pushSync({ ...syncedState, status: offline });
    expect(text(root, "#sync-badge")).toBe("离线工作中：所有操作都保存在本机 · 1 项待同步");
    expect(root.querySelector("#sync-badge")?.getAttribute("data-tone")).toBe("offline");
    api.pushSync({ ...syncedState, status: { ...offline, online: true, pending: [] } });
    expect(text(root, "#sync-badge")).toBe("已全部同步");
    await new Promise((r) => setTimeout(r, 1200));
    expect(api.calls.filter((c) => c[0] === "syncState").length, "the badge never polls").toBe(reads);
  });

  it("switches to English, remembers it, and keeps the focus on the toggle", async () => {
    await mountApp(root, { api: fakeApi(), storage: localStorage });
    root.querySelector<HTMLButtonElement>(".lang-toggle")!.click();
    await settle();
    expect(text(root, "h2")).toBe("Today");
    expect(localStorage.getItem(LANG_STORAGE_KEY)).toBe("en");
    expect(document.activeElement).toBe(root.querySelector(".lang-toggle"));
  });

  it("moves between screens with F-keys", async () => {
    const shell = await mountApp(root, { api: fakeApi(), storage: localStorage });
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "F3" }));
    await settle();
    expect(shell.current()).toBe("pickup");
    expect(document.activeElement?.id).toBe("pickup-input");
  });

  it("opens on First run when not enrolled, shows the server's refusal in both languages, then Today", async () => {
    const api = fakeApi(
      {},
      {
        sync: { enrolled: false, server: "", status: null },
        enrollRefusals: [{ reason: "enroll_refused", zh: "绑定码已过期，请向平台索取新码（服务器：this enrollment code has expired; ask for a new code）", en: "The server refused the enrollment: this enrollment code has expired; ask for a new code" }],
      },
    );
    await mountApp(root, { api, storage: localStorage });
    expect(text(root, "h2")).toBe("首次设置：绑定自提点");
    expect(root.querySelectorAll("nav button")).toHaveLength(0);
    expect(document.activeElement?.id).toBe("fr-server");
    const input = (id: string, v: string) => {
      const i = root.querySelector<HTMLInputElement>(`#${id}`)!;
      i.value = v;
      i.dispatchEvent(new Event("input"));
    };
    input("fr-server", "http://127.0.0.1:8087");
    input("fr-code", "K7QM4-XR2PD");
    input("fr-leader", "李姐");
    // What was typed survives a switch to English and back.
    root.querySelector<HTMLButtonElement>(".lang-toggle")!.click();
    await settle();
    expect(text(root, "h2")).toBe("First run: enroll this counter");
    root.querySelector<HTMLButtonElement>(".lang-toggle")!.click();
    await settle();
    expect(root.querySelector<HTMLInputElement>("#fr-code")!.value).toBe("K7QM4-XR2PD");
    root.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(text(root, "[role=alert] .reason")).toContain("绑定码已过期");
    expect(text(root, "[role=alert] .reason-other")).toContain("has expired");
    expect(document.activeElement?.id).toBe("fr-code");
    root.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(api.calls.filter((c) => c[0] === "enroll")[1][1]).toEqual({ server: "http://127.0.0.1:8087", code: "K7QM4-XR2PD", deviceName: "收银台电脑", leader: "李姐" });
    expect(text(root, ".success")).toBe("已绑定到 幸福里自提点，正在同步…");
    await new Promise((r) => setTimeout(r, 700));
    expect(text(root, "h2")).toBe("今日");
    expect(root.querySelectorAll("nav button")).toHaveLength(9);
    expect(text(root, "#sync-badge")).toBe(syncedState.status && "已全部同步");
  });
});
