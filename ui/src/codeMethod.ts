// Tells a USB handheld scanner from a person typing: a scanner "types" its whole
// payload in a burst (a few ms a key) and ends with Enter; people take 100 ms or
// more a key. A Linli QR payload is never typed by hand, whatever the speed.

import type { CodeMethod } from "./api";

/** Keys faster than this on average are a scanner burst. */
export const BURST_MS_PER_KEY = 35;
/** Shorter inputs are not judged by speed (a fast "7" then Enter is still a person). */
const MIN_BURST_KEYS = 6;

export function methodOf(input: string, keyTimes: number[]): CodeMethod {
  if (/^linli/i.test(input.trim())) return "Scanner";
  if (keyTimes.length < MIN_BURST_KEYS) return "Typed";
  const span = keyTimes[keyTimes.length - 1] - keyTimes[0];
  return span / (keyTimes.length - 1) < BURST_MS_PER_KEY ? "Scanner" : "Typed";
}
