import { describe, expect, it } from "vitest";
import { fakeApi, settle, teamView } from "../fakeApi";
import { commissionScreen, kindText, signedAmount, statusText } from "./commission";
import { teamScreen } from "./team";

const ctx = (api = fakeApi(), lang: "zh-CN" | "en" = "zh-CN") => ({ api, lang, go: () => {}, setLang: () => {} });

describe("team", () => {
  it("indents promoters under their recruiter with each one's consumers and sales", async () => {
    const root = document.createElement("div");
    await teamScreen(root, ctx());
    const items = root.querySelectorAll<HTMLElement>("li.promoter");
    expect([...items].map((i) => i.dataset.depth)).toEqual(["0", "1"]);
    expect(items[1].style.marginInlineStart).toBe("1.5rem");
    expect(items[1].querySelector(".recruited-by")?.textContent).toBe("由 王芳 推荐");
    expect(items[1].querySelector(".consumers li")?.textContent).toBe("陈女士（尾号 5678）· 2 单 · ¥146.80");
    expect(root.querySelector(".team-totals")?.textContent).toBe("2 名推广员 · 1 位顾客 · 2 单 · ¥146.80");
  });

  it("moves between promoters with the arrow keys", async () => {
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    await teamScreen(root, ctx());
    const items = root.querySelectorAll<HTMLElement>("li.promoter");
    items[0].focus();
    root.querySelector("ul.team")!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(document.activeElement).toBe(items[1]);
  });

  it("says so before the first pull, in English too", async () => {
    const api = fakeApi();
    api.team = () => Promise.resolve({ ...teamView, rows: [], pulled: false });
    const root = document.createElement("div");
    await teamScreen(root, ctx(api, "en"));
    expect(root.querySelector(".team-not-pulled")?.textContent).toBe("The team has not come from the server yet; it shows after a sync");
  });
});

describe("commission", () => {
  it("shows the pulled totals, what awaits sync, withdrawals and entries", async () => {
    const root = document.createElement("div");
    await commissionScreen(root, ctx());
    const total = (n: string) => root.querySelector(`[data-total=${n}] .tile-value`)?.textContent;
    expect(total("settled")).toBe("¥19.63");
    expect(total("available")).toBe("¥19.63");
    expect(root.querySelector(".awaiting-sync")?.textContent).toBe("本机已核销、服务器尚未入账：¥4.78（1 单）");
    expect(root.querySelector("tr[data-status=rejected]")?.textContent).toContain("已驳回");
    expect(root.querySelectorAll("table.ledger tbody tr")).toHaveLength(2);
  });

  it("sends a withdrawal on Enter and shows the core's refusal in both languages", async () => {
    const api = fakeApi();
    const root = document.createElement("div");
    await commissionScreen(root, ctx(api));
    const input = root.querySelector<HTMLInputElement>("#withdraw-amount")!;
    input.value = "10";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    await settle();
    await settle();
    expect(api.calls).toContainEqual(["requestWithdrawal", "10"]);
    expect(root.querySelector(".message .success")?.textContent).toBe("已提交 ¥10.00 的提现申请，同步后由平台审核");

    api.requestWithdrawal = () => Promise.reject({ reason: "over_available", zh: "最多可提现 ¥19.63", en: "At most ¥19.63 can be withdrawn" });
    root.querySelector<HTMLInputElement>("#withdraw-amount")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    await settle();
    const error = root.querySelector<HTMLElement>(".message [role=alert]")!;
    expect(error.dataset.reason).toBe("over_available");
    expect(error.textContent).toContain("At most ¥19.63 can be withdrawn");
  });

  it("words kinds and statuses, and signs money going out", () => {
    expect(kindText("en", "reversal")).toBe("Reversed (refund)");
    expect(kindText("en", "bonus")).toBe("bonus");
    expect(statusText("zh-CN", "requested")).toBe("审核中");
    expect(signedAmount("withdrawal", 500)).toBe("-¥5.00");
    expect(signedAmount("accrual", 478)).toBe("¥4.78");
  });
});

describe("team in the shell", () => {
  it("opens on F9, the last tab", async () => {
    const { mountApp } = await import("../app");
    const root = document.createElement("div");
    await mountApp(root, { api: fakeApi(), storage: localStorage });
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "F9" }));
    await settle();
    await settle();
    expect(root.querySelector("h2")?.textContent).toBe("团队");
    expect(root.querySelector<HTMLButtonElement>("nav button[data-screen=team]")?.title).toBe("F9");
  });
});
