/** Injection tokens of the collector. */
export const EVENT_PRODUCER = Symbol('EVENT_PRODUCER');
export const WRITE_KEYS = Symbol('WRITE_KEYS');
export const TOKEN_BUCKETS = Symbol('TOKEN_BUCKETS');
