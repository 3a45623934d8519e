import type { SimulatedMessage } from './storefront';

/** Injection token for the {@link MessageSink} (the Kafka producer adapter in production). */
export const MESSAGE_SINK = Symbol('MESSAGE_SINK');

/** Port the simulator produces into. `send` resolves once the batch is durably accepted. */
export interface MessageSink {
  send(messages: SimulatedMessage[]): Promise<void>;
}
