/**
 * Open Inference Protocol (KServe v2) REST shapes that are not tensors: server and model metadata,
 * and Triton's statistics extension (cumulative counts and nanoseconds per phase, per model version).
 * Types only, so the renderer may import them.
 */

/** OIP tensor data types. */
export type OipDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** GET /v2 */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** A model input or output as metadata describes it (-1: variable dimension). */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: OipDatatype;
  readonly shape: readonly number[];
}

/** GET /v2/models/{name}[/versions/{version}] */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

/** One phase's cumulative count and duration. */
export interface StatDuration {
  readonly count: number;
  readonly ns: number;
}

/** One model version's statistics (Triton statistics extension). */
export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  /** Milliseconds since the epoch of the last inference (0: none yet). */
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: {
    readonly success: StatDuration;
    readonly fail: StatDuration;
    readonly queue: StatDuration;
    readonly compute_input: StatDuration;
    readonly compute_infer: StatDuration;
    readonly compute_output: StatDuration;
  };
}

/** GET /v2/models[/{name}[/versions/{version}]]/stats */
export interface StatisticsResponse {
  readonly model_stats: readonly ModelStatistics[];
}
