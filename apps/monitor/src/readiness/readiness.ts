/**
 * What the monitor knows of the other services' readiness: one report per (service, check). The
 * alert rules read it (today: ClickHouseDiskFull); the sources are the in-process HealthRegistry
 * (all-in-one) and the services' `/health/ready` over HTTP (MONITOR_READINESS_URLS).
 */
export interface ReadinessReport {
  /** The service the check belongs to (`platform` in process, else the name in the URL list). */
  service: string;
  /** The check's name (`aggregator-consumer`, …), or `http` when the service did not answer. */
  check: string;
  ok: boolean;
  details: Record<string, unknown>;
  error?: string;
}

export interface ReadinessSource {
  /** Never rejects: a service that cannot be asked is reported as a failed `http` check. */
  read(): Promise<ReadinessReport[]>;
}

/** The full-disk state a check reports in `details.diskFull` (the aggregator's DiskFullGuard). */
export interface ReportedDiskFull {
  folder: string;
  since: string;
  error: string;
}

/** `details.diskFull` when it is a full-disk state (folder, since, error), else null. */
export function reportedDiskFull(details: Record<string, unknown>): ReportedDiskFull | null {
  const d = details['diskFull'];
  if (typeof d !== 'object' || d === null) return null;
  const r = d as Record<string, unknown>;
  const { folder, since, error } = r;
  if (typeof folder !== 'string' || typeof since !== 'string' || typeof error !== 'string')
    return null;
  return { folder, since, error };
}
