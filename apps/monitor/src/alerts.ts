import type { Producer } from 'kafkajs';
import type { MonitorConfig } from '@storepulse/config';
import { TOPICS } from '@storepulse/contracts';
import type { ConsumerStatus } from '@storepulse/kafka';
import { reportedDiskFull, type ReadinessReport } from './readiness/readiness';

export type AlertRule =
  'ConsumerTimeLagHigh' | 'DeadLetterRateHigh' | 'ConsumerGroupStalled' | 'ClickHouseDiskFull';
export type AlertState = 'firing' | 'resolved';

/** One alert event, as published to ops.alerts.v1 (JSON value, key = id) and served at GET /api/alerts. */
export interface Alert {
  /** Stable identity of the condition: `<rule>/<group>` or `<rule>` for cluster-wide rules. */
  id: string;
  rule: AlertRule;
  state: AlertState;
  severity: 'warning' | 'critical';
  cluster: string;
  /** Consumer group concerned (null for cluster-wide and service rules). */
  group: string | null;
  summary: string;
  /** Measured value when the event was emitted (seconds, ratio, seconds without commit or seconds full). */
  value: number;
  threshold: number;
  /** When the alert started firing (ISO 8601). */
  startsAt: string;
  /** When it resolved (ISO 8601); null while firing. */
  endsAt: string | null;
  /** When this event was emitted (ISO 8601). */
  at: string;
}

export interface GroupAlertInput {
  groupId: string;
  consumerStatus: ConsumerStatus;
  statusReason: string;
  committedUnchangedSeconds: number;
  maxTimeLagSeconds: number | null;
}

export interface AlertInput {
  groups: GroupAlertInput[];
  /** Dead-letter ratio over the DLQ window; null when too few events to judge. */
  dlq: { rate: number | null; dead: number; total: number };
  /** The services' readiness checks (ClickHouseDiskFull reads `details.diskFull`). */
  readiness?: readonly ReadinessReport[];
}

interface Condition {
  id: string;
  rule: AlertRule;
  severity: Alert['severity'];
  group: string | null;
  active: boolean;
  summary: string;
  value: number;
  threshold: number;
  /** The condition must hold this long before firing. */
  forMs: number;
}

/**
 * Evaluates the alert rules on each poll and returns the transitions (firing, resolved). Keeps the
 * active alerts and a bounded history in memory. Pure apart from its own state: time comes in.
 */
export class AlertEngine {
  private readonly pendingSince = new Map<string, number>();
  private readonly activeAlerts = new Map<string, Alert>();
  private readonly recent: Alert[] = [];

  constructor(
    private readonly rules: MonitorConfig['alerts'],
    private readonly cluster: string,
    private readonly historySize = 200,
  ) {}

  active(): Alert[] {
    return [...this.activeAlerts.values()].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  }
  history(): Alert[] {
    return [...this.recent].reverse();
  }

  private conditions(input: AlertInput, nowMs: number): Condition[] {
    const r = this.rules;
    const out: Condition[] = [];
    for (const g of input.groups) {
      const t = g.maxTimeLagSeconds ?? 0;
      out.push({
        id: `ConsumerTimeLagHigh/${g.groupId}`,
        rule: 'ConsumerTimeLagHigh',
        severity: 'warning',
        group: g.groupId,
        active: t > r.timeLagSeconds,
        summary: `consumer group ${g.groupId} is ${t.toFixed(1)} s behind (threshold ${r.timeLagSeconds} s for ${r.timeLagForMs / 1000} s)`,
        value: t,
        threshold: r.timeLagSeconds,
        forMs: r.timeLagForMs,
      });
      if (r.stalled) {
        const stuck = g.consumerStatus === 'STALLED' || g.consumerStatus === 'STOPPED';
        out.push({
          id: `ConsumerGroupStalled/${g.groupId}`,
          rule: 'ConsumerGroupStalled',
          severity: g.consumerStatus === 'STOPPED' ? 'critical' : 'warning',
          group: g.groupId,
          active: stuck,
          summary: `consumer group ${g.groupId} is ${g.consumerStatus}: ${g.statusReason}`,
          value: g.committedUnchangedSeconds,
          threshold: 0,
          forMs: 0,
        });
      }
    }
    const rate = input.dlq.rate;
    out.push({
      id: 'DeadLetterRateHigh',
      rule: 'DeadLetterRateHigh',
      severity: 'warning',
      group: null,
      active: rate !== null && rate > r.dlqRate,
      summary: `dead-letter rate ${((rate ?? 0) * 100).toFixed(2)}% (${input.dlq.dead}/${input.dlq.total}) over ${r.dlqWindowMs / 1000} s, threshold ${(r.dlqRate * 100).toFixed(2)}%`,
      value: rate ?? 0,
      threshold: r.dlqRate,
      forMs: 0,
    });
    // One condition per service that reported: firing while any of its checks says the disk is
    // full; a service that stops reporting (or answers without it) resolves.
    const services = new Map<
      string,
      { check: string; full: ReturnType<typeof reportedDiskFull> }
    >();
    for (const rep of input.readiness ?? []) {
      const full = reportedDiskFull(rep.details);
      const seen = services.get(rep.service);
      if (!seen || (full && !seen.full)) services.set(rep.service, { check: rep.check, full });
    }
    for (const [service, { check, full }] of services) {
      const sinceMs = full ? Date.parse(full.since) : NaN;
      out.push({
        id: `ClickHouseDiskFull/${service}`,
        rule: 'ClickHouseDiskFull',
        severity: 'critical',
        group: null,
        active: full !== null,
        summary: full
          ? `${service} (${check}) stopped consuming since ${full.since}: ${full.error}`
          : `${service}: ClickHouse has space`,
        value: full && Number.isFinite(sinceMs) ? Math.max(0, (nowMs - sinceMs) / 1000) : 0,
        threshold: 0,
        forMs: 0,
      });
    }
    return out;
  }

  /** Applies one evaluation at `nowMs`; returns the alerts that fired or resolved now. */
  evaluate(input: AlertInput, nowMs: number): Alert[] {
    const at = new Date(nowMs).toISOString();
    const transitions: Alert[] = [];
    const seen = new Set<string>();
    for (const c of this.conditions(input, nowMs)) {
      seen.add(c.id);
      const current = this.activeAlerts.get(c.id);
      if (c.active) {
        const since = this.pendingSince.get(c.id) ?? nowMs;
        this.pendingSince.set(c.id, since);
        if (current) {
          // Still firing: keep the latest numbers (no new event).
          current.value = c.value;
          current.summary = c.summary;
          current.severity = c.severity;
        } else if (nowMs - since >= c.forMs) {
          const a: Alert = {
            id: c.id,
            rule: c.rule,
            state: 'firing',
            severity: c.severity,
            cluster: this.cluster,
            group: c.group,
            summary: c.summary,
            value: c.value,
            threshold: c.threshold,
            startsAt: at,
            endsAt: null,
            at,
          };
          this.activeAlerts.set(c.id, a);
          transitions.push({ ...a });
        }
      } else {
        this.pendingSince.delete(c.id);
        if (current) transitions.push(this.resolve(current, at, c.value));
      }
    }
    // Groups that vanished (deleted): their alerts resolve.
    for (const a of [...this.activeAlerts.values()])
      if (!seen.has(a.id)) transitions.push(this.resolve(a, at, a.value));
    for (const [id] of this.pendingSince) if (!seen.has(id)) this.pendingSince.delete(id);
    for (const t of transitions) this.recent.push(t);
    if (this.recent.length > this.historySize)
      this.recent.splice(0, this.recent.length - this.historySize);
    return transitions;
  }

  private resolve(a: Alert, at: string, value: number): Alert {
    this.activeAlerts.delete(a.id);
    return { ...a, state: 'resolved', endsAt: at, at, value };
  }
}

/** Where alert events go besides the log and memory. */
export interface AlertPublisher {
  publish(alerts: readonly Alert[]): Promise<void>;
}

/** Publishes alert events to ops.alerts.v1 (key = alert id, JSON value), acks=all. */
export class KafkaAlertPublisher implements AlertPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string = TOPICS.opsAlerts,
  ) {}
  async publish(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: alerts.map((a) => ({
        key: a.id,
        value: JSON.stringify(a),
        headers: { 'content-type': 'application/json', 'x-alert-state': a.state },
      })),
    });
  }
}
