/** What the status page shows of a producer in this process (the simulator), if any. */
export const SIMULATOR_STATS = Symbol('SIMULATOR_STATS');
export interface SimulatorStatsSource {
  stats(): { produced: number; invalid: number; running: boolean; eventsPerSec: number };
}
