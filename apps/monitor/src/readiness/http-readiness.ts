import type { ReadinessReport, ReadinessSource } from './readiness';

export interface ReadinessTarget {
  /** The service's name in alerts (`aggregator`). */
  name: string;
  /** Its base URL (`http://10.0.0.5:3001`); `/health/ready` is appended. */
  url: string;
}

/**
 * Reads each service's `/health/ready` (the @nestjs/terminus body: `details.<check>.status` up or
 * down, the check's data beside it). 200 and 503 both carry the checks; anything else, a timeout or
 * a refused connection is reported as a failed `http` check with the reason.
 */
export class HttpReadiness implements ReadinessSource {
  constructor(
    private readonly targets: readonly ReadinessTarget[],
    private readonly timeoutMs = 3_000,
  ) {}

  async read(): Promise<ReadinessReport[]> {
    const all = await Promise.all(this.targets.map((t) => this.readOne(t)));
    return all.flat();
  }

  private async readOne(t: ReadinessTarget): Promise<ReadinessReport[]> {
    const url = `${t.url.replace(/\/+$/, '')}/health/ready`;
    try {
      // /health/ready is public (probes need no key).
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await res.text();
      if (res.status !== 200 && res.status !== 503)
        return [failed(t.name, `${url} answered ${res.status}: ${text.slice(0, 200)}`)];
      return parseTerminus(t.name, url, text);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return [failed(t.name, `${url} did not answer: ${why}`)];
    }
  }
}

function failed(service: string, error: string): ReadinessReport {
  return { service, check: 'http', ok: false, details: {}, error };
}

/** Parses a terminus readiness body into one report per check. */
export function parseTerminus(service: string, url: string, text: string): ReadinessReport[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [failed(service, `${url} answered a body that is not JSON: ${text.slice(0, 200)}`)];
  }
  const details =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['details'] : null;
  if (typeof details !== 'object' || details === null)
    return [failed(service, `${url} answered JSON without a "details" object`)];
  return Object.entries(details as Record<string, unknown>).map(([check, v]) => {
    const data = typeof v === 'object' && v !== null ? { ...(v as Record<string, unknown>) } : {};
    const status = data['status'];
    delete data['status'];
    const message = data['message'];
    return {
      service,
      check,
      ok: status === 'up',
      details: data,
      ...(typeof message === 'string' ? { error: message } : {}),
    };
  });
}
