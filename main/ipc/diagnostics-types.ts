/** What the Diagnostics screen sees (types only; the renderer imports them through contract.ts). */
export type {
  DiagnosticLevel,
  DiagnosticRun,
  DiagnosticRunSummary,
  DiagnosticWindow,
  Placement,
} from '../../core/diagnostics/diagnostic-report';
import type { Slo } from '../../core/diagnostics/verdict';
export type { Slo, SloCheck, Verdict } from '../../core/diagnostics/verdict';

/** A model installed on a device, with the SLO its bundle target sets. */
export interface DiagnosticModelView {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly slo: Slo | null;
}

/** A device's inference server and models. */
export interface DiagnosticDeviceView {
  readonly inferenceUrl: string | null;
  readonly samplerSource: string | null;
  readonly models: readonly DiagnosticModelView[];
}

/** An export, ready to save. */
export interface DiagnosticExport {
  readonly fileName: string;
  readonly mediaType: string;
  readonly content: string;
}
