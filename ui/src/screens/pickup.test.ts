import { beforeEach, describe, expect, it } from "vitest";
import { card, fakeApi, settle } from "../fakeApi";
import type { Ctx } from "./context";
import { pickupScreen } from "./pickup";

function press(input: HTMLInputElement, text: string) {
  input.value = text;
  input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
}

describe("pickup desk", () => {
  let root: HTMLElement;
  beforeEach(() => {
    root = document.createElement("div");
    document.body.replaceChildren(root);
  });

  const mount = async (api = fakeApi({ "1234567": { kind: "ready", card } }), lang: Ctx["lang"] = "zh-CN", clock = () => 0) => {
    await pickupScreen(root, { api, lang, go: () => {}, setLang: () => {} }, clock);
    return { api, input: root.querySelector<HTMLInputElement>("#pickup-input")! };
  };

  it("takes the focus, verifies on Enter, and confirms the whole order on a second Enter", async () => {
    const { api, input } = await mount();
    expect(document.activeElement).toBe(input);
    press(input, "1234567");
    await settle();
    expect(root.querySelector(".order-title")?.textContent).toBe("订单 1122-0003 · 王女士 · 尾号 0427");
    expect(root.querySelectorAll(".line")).toHaveLength(2);

    press(input, "1234567");
    await settle();
    expect(api.calls.at(-1)).toEqual(["handOver", "1234567", null, "Typed"]);
    expect(root.querySelector(".success")?.textContent).toBe("已核销：订单 1122-0003，3 件（键盘输入）");
    expect(input.value).toBe("");
  });

  it("hands over only the ticked lines and lowered quantities", async () => {
    const { api, input } = await mount();
    press(input, "1234567");
    await settle();
    const [egg, milk] = root.querySelectorAll<HTMLLIElement>(".line");
    egg.querySelector<HTMLInputElement>("input[type=checkbox]")!.checked = false;
    milk.querySelector<HTMLInputElement>(".qty")!.value = "1";
    root.querySelector<HTMLButtonElement>(".confirm")!.click();
    await settle();
    expect(api.calls.at(-1)).toEqual(["handOver", "1234567", [{ sku: "milk", qty: 1 }], "Typed"]);
  });

  it("records a scanner burst as the scanner", async () => {
    let t = 0;
    const { api, input } = await mount(undefined, "zh-CN", () => (t += 4));
    for (const key of "1234567") input.dispatchEvent(new KeyboardEvent("keydown", { key }));
    press(input, "1234567");
    await settle();
    press(input, "");
    await settle();
    expect(api.calls.at(-1)).toEqual(["handOver", "1234567", null, "Scanner"]);
  });

  it("shows a refusal in the current language with the other beneath, and does not hand over", async () => {
    const { api, input } = await mount(undefined, "en");
    press(input, "7654321");
    await settle();
    expect(root.querySelector(".refusal")?.getAttribute("data-reason")).toBe("unknown");
    expect(root.querySelector(".reason")?.textContent).toBe("no order at this point has this pickup code");
    expect(root.querySelector(".reason-other")?.textContent).toBe("本自提点没有这个提货码的订单");
    press(input, "7654321");
    await settle();
    expect(api.calls.some(([name]) => name === "handOver")).toBe(false);
  });

  it("says plainly when the camera fails and keeps the input usable", async () => {
    const { input } = await mount();
    root.querySelector<HTMLButtonElement>("#camera-button")!.click();
    await settle();
    expect(root.querySelector(".reason")?.textContent).toBe("本机没有可用的摄像头。");
    expect(document.activeElement).toBe(input);
  });

  it("starts over on Escape without handing anything over", async () => {
    const { api, input } = await mount();
    press(input, "1234567");
    await settle();
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(input.value).toBe("");
    expect(root.querySelector("#pickup-result")?.childElementCount).toBe(0);
    press(input, "");
    await settle();
    expect(api.calls.some(([name]) => name === "handOver")).toBe(false);
  });
});
