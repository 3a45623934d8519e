// @ts-check
// storepulse/no-sql-interpolation: no SQL built from input (issue 14, docs/reliability.md "Access").
// A template literal whose text looks like SQL (SELECT, INSERT INTO, ALTER TABLE, CREATE …, DROP …,
// DELETE FROM, TRUNCATE, OPTIMIZE, RENAME, EXCHANGE, SYSTEM, WITH … AS) may interpolate only
// constants: literals, UPPER_CASE constants (and their members), nested constant templates, and the
// expressions reviewed in the allow-list (options.allow: { file: { "<expression source>": "<why>" } }).
// Anything else — a value from a request, a message, a variable — must go through query parameters
// ({name:Type} with query_params), or be added to the allow-list with the reason it is not input.

const SQL =
  /\b(SELECT\s+[\s\S]*\bFROM|INSERT\s+INTO|ALTER\s+TABLE|CREATE\s+(OR\s+REPLACE\s+)?(TABLE|VIEW|MATERIALIZED\s+VIEW|DATABASE|DICTIONARY|FUNCTION)|DROP\s+(TABLE|VIEW|DATABASE|DICTIONARY|FUNCTION)|DELETE\s+FROM|TRUNCATE\s+TABLE|OPTIMIZE\s+TABLE|RENAME\s+TABLE|EXCHANGE\s+TABLES|SYSTEM\s+[A-Z]+|WHERE\s+[\s\S]*(=|\bIN\b))/i;

/** UPPER_CASE names: module constants (TABLES, RAW_TABLE, MIGRATION_SQL …). */
const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Whether an interpolated expression is a constant: a literal, an UPPER_CASE name (or a member of
 * one), a local `const` whose initialiser is constant, a template or `a ? b : c` / `a + b` of
 * constants, or an allow-listed expression (by its source text).
 * @param {any} node
 * @param {{ allow: Record<string, string>, source: (n: any) => string, scopeOf: (n: any) => any }} ctx
 * @param {number} depth
 * @returns {boolean}
 */
function isConstant(node, ctx, depth = 0) {
  if (depth > 8) return false;
  if (Object.hasOwn(ctx.allow, ctx.source(node).replace(/\s+/g, ' '))) return true;
  switch (node.type) {
    case 'Literal':
      return true;
    case 'TemplateLiteral':
      return node.expressions.every((/** @type {any} */ e) => isConstant(e, ctx, depth + 1));
    case 'ConditionalExpression':
      // the condition only chooses between constants
      return (
        isConstant(node.consequent, ctx, depth + 1) && isConstant(node.alternate, ctx, depth + 1)
      );
    case 'BinaryExpression':
      return (
        node.operator === '+' &&
        isConstant(node.left, ctx, depth + 1) &&
        isConstant(node.right, ctx, depth + 1)
      );
    case 'TSAsExpression':
    case 'TSNonNullExpression':
      return isConstant(node.expression, ctx, depth + 1);
    case 'MemberExpression':
      // TABLES.raw, RAW_TABLE[topic]: a member of an UPPER_CASE constant (a key only picks one)
      return node.object.type === 'Identifier' && CONSTANT_NAME.test(node.object.name);
    case 'Identifier': {
      if (CONSTANT_NAME.test(node.name)) return true;
      // a local const with a constant initialiser
      for (let scope = ctx.scopeOf(node); scope; scope = scope.upper) {
        const v = scope.set.get(node.name);
        if (!v) continue;
        const def = v.defs[0];
        if (v.defs.length !== 1 || def.type !== 'Variable' || def.parent.kind !== 'const')
          return false;
        if (def.node.id.type !== 'Identifier') return false;
        if (def.node.init) return isConstant(def.node.init, ctx, depth + 1);
        // for (const table of RAW_TABLES): each element of a constant
        const loop = def.parent.parent;
        return loop.type === 'ForOfStatement' && isConstant(loop.right, ctx, depth + 1);
      }
      return false;
    }
    default:
      return false;
  }
}

/** @type {import('eslint').Rule.RuleModule} */
export const noSqlInterpolation = {
  meta: {
    type: 'problem',
    docs: { description: 'SQL in template literals may interpolate constants only' },
    schema: [
      {
        type: 'object',
        properties: {
          // { "<file, relative to the repository>": { "<expression source>": "<why it is not input>" } }
          allow: {
            type: 'object',
            additionalProperties: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      interpolated:
        'SQL built from a non-constant: `{{expr}}`. Pass it as a query parameter ({name:Type} + query_params), or, if it is a reviewed identifier (a table or database name from constants or validated configuration), add it to eslint-rules/sql-allow-list.mjs with the reason.',
    },
  },
  create(context) {
    const byFile = /** @type {Record<string, Record<string, string>>} */ (
      context.options[0]?.allow ?? {}
    );
    const file = context.filename.startsWith(context.cwd + '/')
      ? context.filename.slice(context.cwd.length + 1)
      : context.filename;
    const allow = { ...(byFile['*'] ?? {}), ...(byFile[file] ?? {}) };
    const sourceCode = context.sourceCode;
    const ctx = {
      allow,
      source: (/** @type {any} */ n) => sourceCode.getText(n),
      scopeOf: (/** @type {any} */ n) => sourceCode.getScope(n),
    };
    return {
      TemplateLiteral(node) {
        if (node.expressions.length === 0) return;
        // a nested template is judged as part of its parent
        if (node.parent.type === 'TemplateLiteral') return;
        const text = node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(' ? ');
        if (!SQL.test(text)) return;
        for (const e of node.expressions)
          if (!isConstant(e, ctx))
            context.report({
              node: e,
              messageId: 'interpolated',
              data: { expr: ctx.source(e).slice(0, 80) },
            });
      },
    };
  },
};

export default { rules: { 'no-sql-interpolation': noSqlInterpolation } };
