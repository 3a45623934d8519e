// Environment reads for the TensorFlow provider. Kept in one place so they can move into
// @storepulse/config later; nothing else in libs/ml touches process.env.

/** TF_BACKEND=native|wasm|cpu|auto (unset = auto). Validated by parseTfBackendChoice. */
export function readTfBackendEnv(): string | undefined {
  // eslint-disable-next-line no-restricted-properties
  return process.env.TF_BACKEND;
}

/** True where native TensorFlow is expected to be provisioned: CI=true or STOREPULSE_EXPECT_NATIVE=1. */
export function readExpectNativeEnv(): boolean {
  // eslint-disable-next-line no-restricted-properties
  const { CI, STOREPULSE_EXPECT_NATIVE } = process.env;
  const ci = CI !== undefined && CI !== '' && CI !== '0' && CI.toLowerCase() !== 'false';
  return ci || STOREPULSE_EXPECT_NATIVE === '1' || STOREPULSE_EXPECT_NATIVE === 'true';
}

/** Silence libtensorflow's C++ INFO/WARNING start-up lines unless the operator set a level. */
export function quietNativeTfLogs(): void {
  // eslint-disable-next-line no-restricted-properties
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
}
