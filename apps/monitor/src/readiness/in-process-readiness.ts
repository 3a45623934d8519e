import type { HealthRegistry } from '@storepulse/observability';
import type { ReadinessReport, ReadinessSource } from './readiness';

/** The checks registered in this process (the all-in-one), except the monitor's own. */
export class InProcessReadiness implements ReadinessSource {
  constructor(
    private readonly health: HealthRegistry,
    private readonly service = 'platform',
    private readonly skip: readonly string[] = ['monitor'],
  ) {}

  async read(): Promise<ReadinessReport[]> {
    const checks = this.health.list().filter((c) => !this.skip.includes(c.name));
    return Promise.all(
      checks.map(async (c): Promise<ReadinessReport> => {
        const r = await this.health.runOne(c);
        return {
          service: this.service,
          check: c.name,
          ok: r.ok,
          details: r.details ?? {},
          ...(r.error === undefined ? {} : { error: r.error }),
        };
      }),
    );
  }
}
