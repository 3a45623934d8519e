import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { LOGGER, type Logger } from '@storepulse/observability';
import { CollectorMetrics } from '../collector.metrics';
import { WRITE_KEYS } from '../tokens';
import type { ReloadOutcome, ReloadTrigger, WriteKeyStore } from './key-store';

/**
 * Write keys without a restart: with COLLECTOR_KEYS_FILE, the file is re-read every
 * COLLECTOR_KEYS_RELOAD_MS (0 = off) and at once on SIGHUP; a revoked or removed key is refused
 * from the next request after the re-read. One re-read at a time; a file that cannot be read or is
 * invalid keeps the keys in use (logged as an error with the file and the problem, counted in
 * storepulse_collector_key_reloads_total{outcome="failed"}).
 */
@Injectable()
export class KeysFileWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  /** The last failure logged: a file that stays broken is logged once, not at every re-read. */
  private lastFailure: string | undefined;
  private readonly onSighup = (): void => {
    void this.reload('sighup');
  };
  private readonly log: Logger;

  constructor(
    @Inject(WRITE_KEYS) private readonly store: WriteKeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly metrics: CollectorMetrics,
  ) {
    this.log = logger.child({ component: 'collector-keys' });
    this.count();
  }

  onApplicationBootstrap(): void {
    if (!this.store.reloadable) return;
    process.on('SIGHUP', this.onSighup);
    const every = this.config.collector.keysReloadMs;
    if (every > 0) {
      this.timer = setInterval(() => void this.reload('timer'), every);
      this.timer.unref();
    }
    this.log.info(
      { file: this.config.collector.keysFile, everyMs: every, sighup: true },
      'collector: write keys reloaded from the keys file on change and on SIGHUP',
    );
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onSighup);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-reads the keys file now (a re-read in progress is awaited instead of starting another). */
  async reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (this.running) return this.running;
    this.running = this.store.reload();
    try {
      const r = await this.running;
      this.metrics.keyReloads.inc({ trigger, outcome: r.outcome });
      if (r.outcome === 'applied') {
        this.count();
        this.log.info(
          { trigger, active: r.active, revoked: r.revoked },
          'collector: write keys reloaded',
        );
      }
      if (r.outcome === 'failed') {
        if (r.message !== this.lastFailure)
          this.log.error(
            { trigger, file: this.config.collector.keysFile, reason: r.message },
            'collector: keys file not reloaded, the keys in use are kept',
          );
        this.lastFailure = r.message;
      } else this.lastFailure = undefined;
      return r;
    } finally {
      this.running = undefined;
    }
  }

  private count(): void {
    const keys = this.store.current() ?? [];
    const revoked = keys.filter((k) => k.revoked).length;
    this.metrics.writeKeys.set({ state: 'active' }, keys.length - revoked);
    this.metrics.writeKeys.set({ state: 'revoked' }, revoked);
  }
}
