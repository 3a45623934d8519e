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
  async run(timeoutMs = 3000): Promise<{
    ok: boolean;
    checks: Record<string, { ok: boolean; details?: Record<string, unknown>; error?: string }>;
  }> {
    const results: Record<
      string,
      { ok: boolean; details?: Record<string, unknown>; error?: string }
    > = {};
    await Promise.all(
      this.checks.map(async (c) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const r = await Promise.race([
            c.check(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`timed out after ${timeoutMs} ms`)),
                timeoutMs,
              );
            }),
          ]);
          results[c.name] = r;
        } catch (e) {
          results[c.name] = { ok: false, error: e instanceof Error ? e.message : String(e) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ok: Object.values(results).every((r) => r.ok), checks: results };
  }
}
