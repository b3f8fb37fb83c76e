// Names for the generated schemas (src/api/schema.d.ts, from openapi.json).
import type { components } from "./schema";

export type Schemas = components["schemas"];
export type OrderSummary = Schemas["OrderSummary"];
export type OrderDetail = Schemas["OrderDetail"];
export type OrderLineState = Schemas["OrderLineState"];
export type Claim = Schemas["Claim"];
export type ExceptionItem = Schemas["ExceptionItem"];
export type Withdrawal = Schemas["Withdrawal"];
export type SettlementPeriod = Schemas["SettlementPeriod"];
export type Point = Schemas["Point"];
export type RouteStop = Schemas["RouteStop"];
export type Device = Schemas["Device"];
