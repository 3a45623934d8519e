// The native Kafka client (@confluentinc/kafka-javascript on librdkafka), loaded once and only when
// asked for: scripts/kafka-native/provision.mjs builds the binding (no prebuilt binary can be
// downloaded here), and a process that never uses it never loads it.
import { createRequire } from 'node:module';
import type * as RdKafka from '@confluentinc/kafka-javascript';

export type NativeModule = typeof RdKafka;

/** Why the native client cannot be used (not provisioned, or the binding does not load). */
export class NativeKafkaUnavailableError extends Error {}

const req = createRequire(__filename);
let native: { mod: NativeModule } | { error: NativeKafkaUnavailableError } | undefined;

/** The native client module, loaded once; throws NativeKafkaUnavailableError with the reason. */
export function loadNativeKafka(): NativeModule {
  if (!native) {
    try {
      native = { mod: req('@confluentinc/kafka-javascript') as NativeModule };
    } catch (e) {
      const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      native = {
        error: new NativeKafkaUnavailableError(
          `librdkafka client not available: ${first} (build it: node scripts/kafka-native/provision.mjs)`,
          { cause: e },
        ),
      };
    }
  }
  if ('error' in native) throw native.error;
  return native.mod;
}

/**
 * The `auto | librdkafka | kafkajs` choice every client switch makes: `kafkajs` builds the kafkajs
 * side; otherwise the native side, and under `auto` a NativeKafkaUnavailableError falls back to
 * kafkajs with its message as the reason (`librdkafka` and any other error throw).
 */
export function chooseKafkaClient<T>(
  want: 'auto' | 'librdkafka' | 'kafkajs',
  native: () => T,
  kafkajs: () => T,
): { value: T; client: 'librdkafka' | 'kafkajs'; fallbackReason?: string } {
  if (want === 'kafkajs') return { value: kafkajs(), client: 'kafkajs' };
  try {
    return { value: native(), client: 'librdkafka' };
  } catch (e) {
    if (want === 'librdkafka' || !(e instanceof NativeKafkaUnavailableError)) throw e;
    return { value: kafkajs(), client: 'kafkajs', fallbackReason: e.message };
  }
}
