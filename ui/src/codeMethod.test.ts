import { describe, expect, it } from "vitest";
import { methodOf } from "./codeMethod";

describe("scanner or person", () => {
  it("calls a 7-key burst a scanner and paced keys typing", () => {
    expect(methodOf("1234567", [0, 5, 10, 15, 20, 25, 30])).toBe("Scanner");
    expect(methodOf("1234567", [0, 180, 350, 600, 800, 950, 1200])).toBe("Typed");
  });

  it("never judges a short input by speed, and a QR payload is always scanned", () => {
    expect(methodOf("12", [0, 1])).toBe("Typed");
    expect(methodOf("LINLI1:ABC:1234567:XXXX", [0, 400, 900])).toBe("Scanner");
    expect(methodOf(" linli1:abc", [])).toBe("Scanner");
  });
});
