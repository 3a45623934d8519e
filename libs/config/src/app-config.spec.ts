import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies defaults and picks embedded ClickHouse without CLICKHOUSE_URL', () => {
    const c = loadConfig({});
    assert.equal(c.httpPort, 3000);
    assert.equal(c.clickhouse.mode, 'embedded');
    assert.equal(c.kafka.brokers, undefined);
    assert.equal(c.aggregator.groupId, 'storepulse-aggregator');
  });

  it('has a features section with defaults and overrides', () => {
    const d = loadConfig({});
    assert.equal(d.features.allowedLatenessMs, 7 * 86_400_000);
    assert.equal(d.features.maxFutureMs, 5 * 60_000);
    assert.ok(d.features.rollupTtlDays > d.clickhouse.rawTtlDays);
    const c = loadConfig({ FEATURES_ALLOWED_LATENESS_MS: '1000', FEATURES_MAX_FUTURE_MS: '0' });
    assert.equal(c.features.allowedLatenessMs, 1000);
    assert.equal(c.features.maxFutureMs, 0);
  });

  it('sizes the demand per-SKU fit pool: the available cores by default, 1..64 when set', () => {
    assert.equal(loadConfig({}).demand.forecastWorkers, availableParallelism());
    assert.equal(loadConfig({ DEMAND_FORECAST_WORKERS: '1' }).demand.forecastWorkers, 1);
    assert.equal(loadConfig({ DEMAND_FORECAST_WORKERS: '3' }).demand.forecastWorkers, 3);
    assert.throws(
      () => loadConfig({ DEMAND_FORECAST_WORKERS: '0' }),
      /DEMAND_FORECAST_WORKERS: must be >= 1/,
    );
  });

  it('rejects a rollup TTL not longer than the raw TTL', () => {
    assert.throws(
      () => loadConfig({ RAW_TTL_DAYS: '90', FEATURES_ROLLUP_TTL_DAYS: '90' }),
      /FEATURES_ROLLUP_TTL_DAYS: must be greater than RAW_TTL_DAYS/,
    );
  });

  it('parses brokers and server mode', () => {
    const c = loadConfig({
      KAFKA_BROKERS: 'a:9092,b:9093',
      CLICKHOUSE_URL: 'http://ch:8123',
      HTTP_PORT: '8080',
    });
    assert.deepEqual(c.kafka.brokers, ['a:9092', 'b:9093']);
    assert.equal(c.clickhouse.mode, 'server');
    assert.equal(c.clickhouse.requestTimeoutMs, 600_000);
    assert.equal(c.httpPort, 8080);
  });

  it('configures the ClickHouse gateway (defaults, overrides, rules)', () => {
    const d = loadConfig({});
    assert.deepEqual(d.clickhouse.gateway, {
      host: '127.0.0.1',
      port: 8123,
      maxBodyBytes: 256 * 1024 * 1024,
      maxConcurrency: 4,
    });
    const c = loadConfig({
      CLICKHOUSE_GATEWAY_HOST: '0.0.0.0',
      CLICKHOUSE_GATEWAY_PORT: '9000',
      CLICKHOUSE_GATEWAY_MAX_BODY_BYTES: '1048576',
      CLICKHOUSE_GATEWAY_MAX_CONCURRENCY: '2',
    });
    assert.deepEqual(c.clickhouse.gateway, {
      host: '0.0.0.0',
      port: 9000,
      maxBodyBytes: 1048576,
      maxConcurrency: 2,
    });
    try {
      loadConfig({
        CLICKHOUSE_GATEWAY_HOST: 'a b',
        CLICKHOUSE_GATEWAY_PORT: '70000',
        CLICKHOUSE_GATEWAY_MAX_BODY_BYTES: '10',
        CLICKHOUSE_GATEWAY_MAX_CONCURRENCY: '0',
      });
      assert.fail('expected ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems.map((p) => `${p.variable}: ${p.rule}`).sort(), [
        'CLICKHOUSE_GATEWAY_HOST: must be a host name or IP address',
        'CLICKHOUSE_GATEWAY_MAX_BODY_BYTES: must be >= 1024',
        'CLICKHOUSE_GATEWAY_MAX_CONCURRENCY: must be >= 1',
        'CLICKHOUSE_GATEWAY_PORT: must be <= 65535',
      ]);
    }
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({ KAFKA_BROKERS: '', CLICKHOUSE_URL: '  ' });
    assert.equal(c.kafka.brokers, undefined);
    assert.equal(c.clickhouse.mode, 'embedded');
  });

  it('names every invalid variable with its rule and value', () => {
    try {
      loadConfig({
        HTTP_PORT: 'abc',
        KAFKA_BROKERS: 'nohost',
        SIMULATOR_INVALID_RATE: '2',
        CLICKHOUSE_URL: 'not a url',
      });
      assert.fail('expected ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const vars = e.problems.map((p) => p.variable).sort();
      assert.deepEqual(vars, [
        'CLICKHOUSE_URL',
        'HTTP_PORT',
        'KAFKA_BROKERS',
        'SIMULATOR_INVALID_RATE',
      ]);
      assert.match(e.message, /HTTP_PORT: must be a number \(got "abc"\)/);
      assert.match(e.message, /KAFKA_BROKERS: must be host:port/);
      assert.match(e.message, /SIMULATOR_INVALID_RATE: must be <= 1 \(got "2"\)/);
    }
  });
});

describe('loadConfig: trainer and scorer', () => {
  it('parses propensity horizons into canonical names and milliseconds', () => {
    assert.deepEqual(loadConfig({}).trainer.horizons, [
      { name: '24h', ms: 86_400_000 },
      { name: '7d', ms: 7 * 86_400_000 },
    ]);
    assert.deepEqual(loadConfig({ PROPENSITY_HORIZONS: '1h, 48h,365d' }).trainer.horizons, [
      { name: '1h', ms: 3_600_000 },
      { name: '48h', ms: 2 * 86_400_000 },
      { name: '365d', ms: 365 * 86_400_000 },
    ]);
  });

  it('rejects horizons out of range, malformed or repeated, naming the horizon', () => {
    assert.throws(
      () => loadConfig({ PROPENSITY_HORIZONS: '24h,366d' }),
      /PROPENSITY_HORIZONS: horizon '366d' must be between 1h and 365d/,
    );
    assert.throws(() => loadConfig({ PROPENSITY_HORIZONS: '0h' }), /horizon '0h' must be between/);
    assert.throws(
      () => loadConfig({ PROPENSITY_HORIZONS: '7days' }),
      /PROPENSITY_HORIZONS: must be a comma-separated list such as 24h,7d/,
    );
    assert.throws(
      () => loadConfig({ PROPENSITY_HORIZONS: '24h,1d' }),
      /horizon '1d' is listed twice/,
    );
  });

  it('has the gate tolerances and scorer defaults of the docs', () => {
    const c = loadConfig({});
    assert.deepEqual(c.trainer.gate, { maxAucDrop: 0.005, maxLogLossIncrease: 0.02 });
    assert.equal(c.trainer.intervalMs, 3_600_000);
    assert.deepEqual(c.trainer.hidden, [64, 32]);
    assert.equal(c.scorer.debounceMs, 0);
    assert.equal(c.scorer.groupId, 'storepulse-scorer');
  });

  it('has the live-AUC drift defaults and rejects an AUC drop outside (0, 1]', () => {
    const d = loadConfig({}).trainer.drift;
    assert.equal(d.minLiveLabels, 500);
    assert.equal(d.aucDrop, 0.05);
    const set = loadConfig({
      TRAINER_DRIFT_MIN_LIVE_LABELS: '2000',
      TRAINER_DRIFT_AUC_DROP: '0.1',
    }).trainer.drift;
    assert.equal(set.minLiveLabels, 2000);
    assert.equal(set.aucDrop, 0.1);
    assert.throws(() => loadConfig({ TRAINER_DRIFT_AUC_DROP: '0' }), /TRAINER_DRIFT_AUC_DROP/);
    assert.throws(() => loadConfig({ TRAINER_DRIFT_AUC_DROP: '1.5' }), /TRAINER_DRIFT_AUC_DROP/);
    assert.throws(
      () => loadConfig({ TRAINER_DRIFT_MIN_LIVE_LABELS: '5' }),
      /TRAINER_DRIFT_MIN_LIVE_LABELS/,
    );
  });

  it('pools the live AUC over 24 h (at most 200,000 samples) by default; the window is 1 min–30 d', () => {
    const d = loadConfig({}).trainer.drift;
    assert.equal(d.liveAucWindowMs, 86_400_000);
    assert.equal(d.liveAucMaxSamples, 200_000);
    const set = loadConfig({
      TRAINER_DRIFT_LIVE_AUC_WINDOW_MS: '3600000',
      TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES: '5000',
    }).trainer.drift;
    assert.equal(set.liveAucWindowMs, 3_600_000);
    assert.equal(set.liveAucMaxSamples, 5_000);
    assert.throws(
      () => loadConfig({ TRAINER_DRIFT_LIVE_AUC_WINDOW_MS: '1000' }),
      /TRAINER_DRIFT_LIVE_AUC_WINDOW_MS/,
    );
    assert.throws(
      () => loadConfig({ TRAINER_DRIFT_LIVE_AUC_WINDOW_MS: String(31 * 86_400_000) }),
      /TRAINER_DRIFT_LIVE_AUC_WINDOW_MS/,
    );
    assert.throws(
      () => loadConfig({ TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES: '10' }),
      /TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES/,
    );
  });
});
