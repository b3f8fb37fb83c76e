// Pickup (提货核销): ONE input for a typed code, a handheld scanner's burst ending
// in Enter, or the payload the live camera view reads (screens/cameraView.ts); the
// result card shows the order and its lines or the plain reason; Enter (or the
// button) confirms; lines can be unticked or lowered for a partial handover.

import { asAppError, type CodeMethod, type OrderCard, type Verdict } from "../api";
import { methodOf } from "../codeMethod";
import { button, el } from "../dom";
import { t, type MessageKey } from "../i18n";
import { openCameraView, type CameraView } from "./cameraView";
import { errorBox, type Ctx } from "./context";

interface Pending {
  input: string;
  method: CodeMethod;
  card: OrderCard;
}

export async function pickupScreen(root: HTMLElement, ctx: Ctx, now: () => number = () => performance.now()): Promise<void> {
  const { api, lang } = ctx;
  const input = el("input", {
    id: "pickup-input",
    className: "code-input",
    type: "text",
    autocomplete: "off",
    placeholder: t(lang, "pickupPlaceholder"),
  });
  input.setAttribute("inputmode", "numeric");
  input.setAttribute("aria-label", t(lang, "pickupLabel"));
  const result = el("section", { id: "pickup-result", className: "result" });
  result.setAttribute("aria-live", "polite");
  let keyTimes: number[] = [];
  let pending: Pending | null = null;
  let lineInputs: { sku: string; take: HTMLInputElement; qty: HTMLInputElement; due: number }[] = [];

  const show = (...nodes: Node[]) => result.replaceChildren(...nodes);

  const verify = async (text: string, method: CodeMethod) => {
    pending = null;
    let verdict: Verdict;
    try {
      verdict = await api.verifyCode(text);
    } catch (e) {
      show(errorBox(lang, asAppError(e)));
      return;
    }
    if (verdict.kind === "refused") {
      show(el("h3", { className: "refused-title" }, t(lang, "cannotHandOver")), errorBox(lang, verdict.error, "error refusal"));
      input.select();
      return;
    }
    pending = { input: text, method, card: verdict.card };
    show(...cardNodes(verdict.card));
  };

  const cardNodes = (card: OrderCard): Node[] => {
    const o = card.order;
    lineInputs = [];
    const rows = card.lines.map((l) => {
      const take = el("input", { type: "checkbox", checked: l.due > 0, disabled: l.due === 0 });
      const qty = el("input", { type: "number", min: "1", max: String(l.due), value: String(l.due), className: "qty", disabled: l.due === 0 });
      lineInputs.push({ sku: l.sku, take, qty, due: l.due });
      const notes = [
        l.short > 0 ? t(lang, "lineShort", { short: l.short }) : "",
        l.handed > 0 ? t(lang, "lineHanded", { handed: l.handed }) : "",
      ].filter(Boolean);
      return el(
        "li",
        { className: "line" },
        el("label", {}, take, el("span", { className: "line-name" }, l.name), el("span", { className: "line-qty" }, `×${l.qty}`)),
        qty,
        el("span", { className: "line-note" }, [t(lang, "lineDue", { due: l.due }), ...notes].join(" · ")),
      );
    });
    return [
      el(
        "div",
        { className: "card-head" },
        el(
          "div",
          {},
          el("h3", { className: "order-title" }, t(lang, "orderOf", { number: o.number, name: o.consumer_name, tail: o.phone_tail })),
          el("p", { className: "order-status" }, t(lang, `status${o.status}` as MessageKey)),
        ),
        button(t(lang, "confirmHandover"), () => void confirm(), "primary confirm"),
      ),
      el("ul", { className: "lines" }, ...rows),
      el("p", { className: "hint" }, t(lang, "partialHint")),
    ];
  };

  /** The chosen lines, or null when everything due is taken. */
  const chosenLines = () => {
    const chosen = lineInputs
      .filter((l) => l.take.checked && l.due > 0)
      .map((l) => ({ sku: l.sku, qty: Math.min(l.due, Math.max(0, Math.floor(Number(l.qty.value) || 0))) }));
    const whole = lineInputs.every((l) => l.due === 0 || (l.take.checked && Number(l.qty.value) >= l.due));
    return whole ? null : chosen.filter((l) => l.qty > 0);
  };

  const confirm = async () => {
    if (!pending) return;
    const { input: code, method } = pending;
    try {
      const receipt = await api.handOver(code, chosenLines(), method);
      const units = receipt.lines.reduce((n, l) => n + l.qty, 0);
      const methodName = t(lang, `method${method}` as MessageKey);
      pending = null;
      const ok = el("p", { className: "success" }, t(lang, "handedOver", { number: receipt.number, units, method: methodName }));
      ok.setAttribute("role", "status");
      show(ok);
      input.value = "";
    } catch (e) {
      result.append(errorBox(lang, asAppError(e)));
    }
    input.focus();
  };

  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      // Start over: the next customer.
      pending = null;
      keyTimes = [];
      input.value = "";
      show();
      return;
    }
    if (e.key !== "Enter") {
      if (e.key.length === 1) keyTimes.push(now());
      return;
    }
    e.preventDefault();
    const text = input.value.trim();
    const times = keyTimes;
    keyTimes = [];
    // Enter on the code already shown confirms; anything new is checked first.
    if (pending && (text === "" || text === pending.input)) {
      void confirm();
    } else if (text !== "") {
      void verify(text, methodOf(text, times));
    }
  });
  input.addEventListener("input", () => {
    if (input.value === "") keyTimes = [];
  });

  // The live camera view, while open: what it reads is verified like a typed code.
  const cameraSlot = el("div", { className: "camera-slot" });
  let camera: CameraView | null = null;
  const cameraFound = async (payload: string) => {
    input.value = payload;
    await verify(payload, "CameraQr");
    input.focus();
  };
  const cameraButton = button(t(lang, "camera"), async () => {
    if (camera) return input.focus();
    try {
      camera = await openCameraView(cameraSlot, lang, api, (payload) => void cameraFound(payload), () => {
        camera = null;
        input.focus();
      });
    } catch (e) {
      show(errorBox(lang, asAppError(e), "error camera-refused"));
    }
    input.focus();
  }, "camera");
  cameraButton.id = "camera-button";

  root.replaceChildren(
    el("h2", {}, t(lang, "navPickup")),
    el("label", { className: "code-label", htmlFor: "pickup-input" }, t(lang, "pickupLabel")),
    el("div", { className: "code-row" }, input, button(t(lang, "verify"), () => {
      const text = input.value.trim();
      if (text) void verify(text, methodOf(text, []));
    }), cameraButton),
    cameraSlot,
    result,
  );
  input.focus();
}
