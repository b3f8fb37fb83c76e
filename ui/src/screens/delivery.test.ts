import { describe, expect, it } from "vitest";
import { fakeApi, settle } from "../fakeApi";
import { countOf, deliveryScreen } from "./delivery";

describe("delivery check", () => {
  it("reads counts strictly", () => {
    expect(countOf(" 12 ")).toBe(12);
    expect(countOf("-1")).toBeNull();
    expect(countOf("1.5")).toBeNull();
    expect(countOf("")).toBeNull();
  });

  it("counts a short line with −, notes it, and accepts", async () => {
    const root = document.createElement("div");
    const api = fakeApi();
    await deliveryScreen(root, { api, lang: "zh-CN", go: () => {}, setLang: () => {} });
    const minus = [...root.querySelectorAll<HTMLButtonElement>(".step")].find((b) => b.textContent === "−")!;
    minus.click();
    expect(root.querySelector(".diff")?.textContent).toBe("短 1");
    root.querySelector<HTMLInputElement>(".note")!.value = "少一盒";
    root.querySelector<HTMLButtonElement>(".accept")!.click();
    await settle();
    await settle();
    expect(api.calls).toContainEqual(["countAndAccept", "2026-11-22", [{ sku: "egg", received: 4, damaged: 0, note: "少一盒", photo: null }]]);
  });
});
