/** A named readiness/liveness check; modules register theirs with the HealthRegistry. */
export interface HealthCheck {
  name: string;
  check(): Promise<{ ok: boolean; details?: Record<string, unknown> }>;
}

export class HealthRegistry {
  private readonly checks: HealthCheck[] = [];
  register(check: HealthCheck): void {
    this.checks.push(check);
  }
  list(): readonly HealthCheck[] {
    return this.checks;
  }
  /** Runs one check with a timeout; never throws. */
  async runOne(
    c: HealthCheck,
    timeoutMs = 3000,
  ): Promise<{ ok: boolean; details?: Record<string, unknown>; error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        c.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
  }
  async run(timeoutMs = 3000): Promise<{
    ok: boolean;
    checks: Record<string, { ok: boolean; details?: Record<string, unknown>; error?: string }>;
  }> {
    const entries = await Promise.all(
      this.checks.map(async (c) => [c.name, await this.runOne(c, timeoutMs)] as const),
    );
    const checks = Object.fromEntries(entries);
    return { ok: entries.every(([, r]) => r.ok), checks };
  }
}
