export * from './storefront';
export type { InventoryKpis, RecommendationOutcome } from './inventory';
export { CATEGORIES, type CatalogueItem } from './catalogue';
export { INVALID_KINDS, type InvalidKind } from './malformed';
export type { Promotion } from './promotions';
export { INTENTS, type Intent } from './users';
export { seasonality } from './seasonality';
export { Prng, uuidV4 } from './prng';
export {
  PropensityOracle,
  type PropensityOracleConfig,
  type SessionSignature,
  type UserLatent,
  sessionSignature,
} from './oracle';
