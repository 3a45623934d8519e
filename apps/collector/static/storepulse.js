// The StorePulse browser tracker is not written yet (issue #13, part 2): this placeholder is what
// GET /v1/storepulse.js serves until then (apps/collector/static/storepulse.js).
export const version = '0.0.0-placeholder';
