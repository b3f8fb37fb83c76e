// The server's error body: { error, message, fields: [{field, reason}] }.

export interface FieldError {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];

  constructor(status: number, code: string, message: string, fields: FieldError[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** 409 `stale`: someone else changed the record; show the message and reload. */
  get stale(): boolean {
    return this.status === 409;
  }

  /** field -> reason, for Element Plus form items' `error` prop. */
  fieldMap(): Record<string, string> {
    const map: Record<string, string> = {};
    for (const f of this.fields) map[f.field] = map[f.field] ? `${map[f.field]}；${f.reason}` : f.reason;
    return map;
  }
}

/** Turns any response body (JSON error, text, nothing) into an ApiError. */
export function toApiError(status: number, body: unknown, fallback = "请求失败"): ApiError {
  if (body && typeof body === "object") {
    const b = body as { error?: unknown; message?: unknown; fields?: unknown };
    const fields = Array.isArray(b.fields)
      ? b.fields
          .filter((f): f is { field: unknown; reason: unknown } => !!f && typeof f === "object")
          .map((f) => ({ field: String(f.field ?? ""), reason: String(f.reason ?? "") }))
      : [];
    const code = typeof b.error === "string" ? b.error : `http_${status}`;
    const message = typeof b.message === "string" && b.message ? b.message : `${fallback} (${status})`;
    return new ApiError(status, code, message, fields);
  }
  if (typeof body === "string" && body.trim()) return new ApiError(status, `http_${status}`, body.trim());
  return new ApiError(status, status === 0 ? "network" : `http_${status}`, `${fallback} (${status})`);
}
