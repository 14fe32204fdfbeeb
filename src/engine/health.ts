/** A container's health, as docker's State.Health. */
export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  /** the last 5 results */
  log: { start: string; end: string; exitCode: number; output: string }[];
}
