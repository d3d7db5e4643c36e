/** The step-by-step checker's result types (the shape of `verify --json`). */

export type StepName = 'dns' | 'tcp' | 'tls' | 'http';

export type HostVerdict = 'healthy' | 'dns-failure' | 'refused' | 'timeout' | 'tls-failure' | 'tls-intercepted' | 'http-error';

export interface StepResult {
  step: StepName;
  ok: boolean;
  /** Wall time of the step in milliseconds (one decimal). */
  ms: number;
  detail: string;
}

export interface RegionResult {
  region: string;
  host: string;
  port: number;
  verdict: HostVerdict;
  /** The steps that ran, in order; a failed step ends the list. */
  steps: StepResult[];
  /** One line: what to open or change. Only when verdict is not healthy. */
  fix?: string;
}

export interface VerifyReport {
  regions: RegionResult[];
}

/** One host to check. */
export interface Target {
  region: string;
  host: string;
  port: number;
}
