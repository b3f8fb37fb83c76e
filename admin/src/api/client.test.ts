import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, toApiError } from "./errors";
import { IdempotentAction, call, client, fetchFile, uploadRaw } from "./client";
import { session, setLang, setToken } from "./session";

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.restoreAllMocks();
  setToken("");
  setLang("zh-CN");
});

describe("error mapping", () => {
  it("reads the server's error body with its fields", () => {
    const e = toApiError(422, {
      error: "invalid",
      message: "请检查输入",
      fields: [
        { field: "name", reason: "不能为空" },
        { field: "price_fen", reason: "必须大于 0" },
        { field: "name", reason: "太长" },
      ],
    });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.code).toBe("invalid");
    expect(e.message).toBe("请检查输入");
    expect(e.fieldMap()).toEqual({ name: "不能为空；太长", price_fen: "必须大于 0" });
  });

  it("marks a 409 as stale", () => {
    expect(toApiError(409, { error: "stale", message: "已被他人修改" }).stale).toBe(true);
    expect(toApiError(422, { error: "invalid", message: "x" }).stale).toBe(false);
  });

  it("keeps a plain-text body and survives an empty one", () => {
    expect(toApiError(502, "Bad gateway").message).toBe("Bad gateway");
    const empty = toApiError(500, undefined);
    expect(empty.code).toBe("http_500");
    expect(empty.fields).toEqual([]);
  });

  it("throws an ApiError from a failed call and sends the token and language", async () => {
    setToken("tok-1");
    setLang("en");
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      seen.push(input as Request);
      return jsonResponse(403, { error: "forbidden", message: "Not allowed", fields: [] });
    });
    await expect(call(client.GET("/api/platform/me"))).rejects.toMatchObject({ status: 403, code: "forbidden", message: "Not allowed" });
    expect(seen[0].headers.get("Authorization")).toBe("Bearer tok-1");
    expect(seen[0].headers.get("Accept-Language")).toBe("en");
  });

  it("drops the token on a 401", async () => {
    setToken("old");
    vi.spyOn(globalThis, "fetch").mockResolvedValue(jsonResponse(401, { error: "unauthorized", message: "请重新登录" }));
    await expect(call(client.GET("/api/platform/me"))).rejects.toBeInstanceOf(ApiError);
    expect(session.token).toBe("");
  });

  it("maps a network failure to status 0", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Failed to fetch"));
    await expect(call(client.GET("/api/platform/me"))).rejects.toMatchObject({ status: 0, code: "network" });
    await expect(fetchFile("/api/x.pdf")).rejects.toMatchObject({ status: 0 });
  });

  it("reads a JSON error from a file download", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(jsonResponse(404, { error: "not_found", message: "没有这个周期" }));
    await expect(fetchFile("/api/x.pdf")).rejects.toMatchObject({ status: 404, message: "没有这个周期" });
  });
});

describe("idempotency keys", () => {
  it("reuses the dialog's key for every submit until the dialog opens again", async () => {
    const action = new IdempotentAction();
    const first = action.open();
    const keys: string[] = [];
    await action.run(async (h) => keys.push(h["Idempotency-Key"]));
    await action.run(async (h) => keys.push(h["Idempotency-Key"]));
    expect(keys).toEqual([first, first]);
    const second = action.open();
    expect(second).not.toBe(first);
    await action.run(async (h) => keys.push(h["Idempotency-Key"]));
    expect(keys[2]).toBe(second);
  });

  it("drops a second submit while the first is in flight", async () => {
    const action = new IdempotentAction();
    action.open();
    let release: () => void = () => {};
    const calls: number[] = [];
    const slow = action.run(
      () =>
        new Promise<string>((resolve) => {
          calls.push(1);
          release = () => resolve("done");
        }),
    );
    expect(action.busy).toBe(true);
    const dropped = await action.run(async () => {
      calls.push(2);
      return "again";
    });
    expect(dropped).toBeUndefined();
    release();
    expect(await slow).toBe("done");
    expect(action.busy).toBe(false);
    expect(calls).toEqual([1]);
  });

  it("is free again after a failed submit, with the same key", async () => {
    const action = new IdempotentAction();
    const key = action.open();
    await expect(action.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(action.busy).toBe(false);
    expect(action.headers()["Idempotency-Key"]).toBe(key);
  });
});

describe("raw uploads", () => {
  it("sends the file's bytes with its own type and the token", async () => {
    setToken("tok-2");
    let seen: RequestInit | undefined;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      seen = init;
      return jsonResponse(200, { sku: "s1", image_urls: ["/api/images/abc"] });
    });
    const file = new Blob([new Uint8Array([137, 80, 78, 71])], { type: "image/png" });
    const res = await uploadRaw<{ image_urls: string[] }>("/api/platform/products/s1/image", file);
    expect(res.image_urls[0]).toBe("/api/images/abc");
    const headers = seen?.headers as Record<string, string>;
    expect(headers["Content-Type"]).toBe("image/png");
    expect(headers.Authorization).toBe("Bearer tok-2");
    expect(seen?.body).toBe(file);
  });

  it("answers the server's refusal with its field", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(jsonResponse(422, { error: "invalid", message: "图片无法识别", fields: [{ field: "image", reason: "不是 PNG" }] }));
    const err = (await uploadRaw("/api/platform/products/s1/image", new Blob(["x"], { type: "image/png" })).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.fieldMap().image).toBe("不是 PNG");
  });
});
