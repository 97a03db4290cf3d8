/**
 * `doctor`: every check a user would otherwise make by reading several consoles, each a pass,
 * warn, fail or skip with the fix. The checks of a deployed stack are in `aws.ts`, those of the
 * local stack in `local.ts`; the engine port picks one (`EngineTarget.doctor`).
 */
import type { DnsOptions } from './domain.js';

export type { DoctorCheck, DoctorGroup, DoctorReport, DoctorStatus } from './report.js';
export { DOCTOR_GROUPS, GROUP_TITLES } from './report.js';

export interface DoctorOptions {
  /** Name servers for the live DNS checks (the system's when absent). */
  dns?: DnsOptions;
}
