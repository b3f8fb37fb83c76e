import { beforeEach, describe, expect, it } from "vitest";
import { LANG_STORAGE_KEY, mountApp } from "./app";
import { fakeApi, settle } from "./fakeApi";

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
    expect(text(root, "#sync-badge")).toContain("本机数据已保存");
    expect(root.querySelectorAll("nav button")).toHaveLength(7);
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
});
