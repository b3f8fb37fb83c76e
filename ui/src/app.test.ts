import { beforeEach, describe, expect, it } from "vitest";
import { LANG_STORAGE_KEY, mountApp, type Deps } from "./app";
import type { StatusState } from "./status";

const ready: StatusState = {
  kind: "ready",
  status: { dataDir: "/data/com.linli.counter", coreVersion: "0.1.0" },
};

function deps(status: StatusState = ready): Deps {
  return {
    loadStatus: async () => status,
    storage: localStorage,
    now: () => new Date(2026, 10, 22),
  };
}

const text = (root: HTMLElement, selector: string) => root.querySelector(selector)?.textContent;

describe("app shell", () => {
  let root: HTMLElement;
  beforeEach(() => {
    localStorage.clear();
    root = document.createElement("div");
  });

  it("opens in Chinese with the status from the shell", async () => {
    await mountApp(root, deps());
    expect(document.documentElement.lang).toBe("zh-CN");
    expect(text(root, "h1")).toBe("邻里 Linli");
    expect(text(root, "h2")).toBe("今日");
    expect(text(root, ".lang-toggle")).toBe("English");
    expect(root.querySelectorAll(".step")).toHaveLength(3);
    expect(text(root, "[role=status]")).toBe("数据目录：/data/com.linli.counter · linli-core 0.1.0");
  });

  it("switches to English and remembers the choice", async () => {
    await mountApp(root, deps());
    root.querySelector<HTMLButtonElement>(".lang-toggle")!.click();
    expect(text(root, "h2")).toBe("Today");
    expect(text(root, ".lang-toggle")).toBe("中文");
    expect(document.documentElement.lang).toBe("en");
    expect(localStorage.getItem(LANG_STORAGE_KEY)).toBe("en");

    const again = document.createElement("div");
    await mountApp(again, deps());
    expect(text(again, "h2")).toBe("Today");
  });

  it("keeps the keyboard focus on the toggle", async () => {
    document.body.append(root);
    await mountApp(root, deps());
    const before = root.querySelector<HTMLButtonElement>(".lang-toggle")!;
    before.focus();
    before.click();
    expect(document.activeElement).toBe(root.querySelector(".lang-toggle"));
    expect(document.activeElement).not.toBe(before);
    root.remove();
  });

  it("says plainly when the status cannot be read", async () => {
    await mountApp(root, deps({ kind: "error", error: "disk full" }));
    expect(text(root, "[role=status]")).toBe("无法读取本机状态：disk full");
  });
});
