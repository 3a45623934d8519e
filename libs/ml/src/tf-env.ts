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

/**
 * Defaults for libtensorflow, applied before tfjs-node loads; an operator's own values win.
 * - TF_CPP_MIN_LOG_LEVEL=2: no C++ INFO/WARNING start-up lines.
 * - TF_ENABLE_ONEDNN_OPTS=0: plain Eigen kernels. tfjs runs one small eager op at a time, where
 *   oneDNN's per-op set-up costs more than it saves (GRU predict ~20% faster here), and results
 *   then match the wasm/cpu backends more closely.
 */
export function applyNativeTfEnvDefaults(): void {
  // eslint-disable-next-line no-restricted-properties
  const env = process.env;
  env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  env.TF_ENABLE_ONEDNN_OPTS ??= '0';
}
