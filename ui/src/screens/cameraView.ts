// The Pickup screen's live camera view: the shell's `camera-view` events draw a
// small grey preview a few times a second under a frame box; a pickup QR's payload
// goes to `found` (the screen verifies it exactly like a typed code); a QR that is
// not a pickup code, or a camera that fails, is said in both languages. Esc or the
// close button closes it and releases the camera. Opening is refused plainly when
// the camera is missing; the code input never depends on the camera.

import type { Api, CameraUpdate } from "../api";
import { button, el } from "../dom";
import { t, type Lang } from "../i18n";
import { errorBox } from "./context";

export interface CameraView {
  node: HTMLElement;
  close: () => Promise<void>;
}

/** Opens the camera into `slot`; rejects with the core's AppError when there is none. */
export async function openCameraView(slot: HTMLElement, lang: Lang, api: Api, found: (payload: string) => void, closed: () => void): Promise<CameraView> {
  const preview = el("img", { className: "camera-preview", alt: t(lang, "cameraPreview") });
  const stage = el("div", { className: "camera-stage" }, preview, el("div", { className: "camera-frame-box" }));
  const status = el("p", { className: "camera-status" }, t(lang, "cameraReading"));
  const problem = el("div", { className: "camera-problem" });
  let shut = false;
  let unlisten: () => void = () => {};
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") void close();
  };
  const close = async () => {
    if (shut) return;
    shut = true;
    unlisten();
    document.removeEventListener("keydown", onKey);
    node.remove();
    await api.cameraClose().catch(() => undefined);
    closed();
  };
  const node = el("section", { id: "camera-view", className: "camera-view" }, stage, status, problem, el("div", { className: "actions" }, button(t(lang, "cameraClose"), () => void close(), "camera-close")));
  node.setAttribute("aria-label", t(lang, "cameraPreview"));

  const take = (u: CameraUpdate) => {
    if (shut) return;
    // The screen was left: release the camera.
    if (!node.isConnected) return void close();
    switch (u.kind) {
      case "preview":
        preview.src = u.image;
        stage.dataset.live = "true";
        status.textContent = t(lang, "cameraLooking");
        break;
      case "found":
        problem.replaceChildren();
        found(u.payload);
        break;
      case "refused":
        problem.replaceChildren(errorBox(lang, u.error, "error camera-refused"));
        break;
      case "failed":
        status.textContent = "";
        problem.replaceChildren(errorBox(lang, u.error, "error camera-failed"));
        break;
    }
  };
  slot.replaceChildren(node);
  // Listening first, so the first frames are not missed.
  unlisten = await api.onCameraUpdate(take);
  try {
    await api.cameraOpen();
  } catch (e) {
    shut = true;
    unlisten();
    node.remove();
    throw e;
  }
  document.addEventListener("keydown", onKey);
  return { node, close };
}
