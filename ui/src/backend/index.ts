// The one door from the UI to Rust. No other UI file imports @tauri-apps/*.
// The types come from the Rust side (ts-rs writes ./bindings when the engine's tests run).
import { invoke } from "@tauri-apps/api/core";
import type { StepState } from "./bindings/StepState";
import type { ChainReport } from "./bindings/ChainReport";
import type { DoctorCheck } from "./bindings/DoctorCheck";

export type { StepState, ChainReport, DoctorCheck };
export type { StepId } from "./bindings/StepId";
export type { StepStatus } from "./bindings/StepStatus";
export type { ChainProblem } from "./bindings/ChainProblem";

export interface AppInfo {
  version: string;
  home: string;
}

export const backend = {
  steps: () => invoke<StepState[]>("steps"),
  auditStatus: () => invoke<ChainReport>("audit_status"),
  doctor: () => invoke<DoctorCheck[]>("doctor"),
  appInfo: () => invoke<AppInfo>("app_info"),
};

export type Backend = typeof backend;
