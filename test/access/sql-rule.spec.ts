import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Linter, type ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// dist/test/access → the repository's eslint-rules/ (plain .mjs, not compiled)
const RULES = resolve(__dirname, '..', '..', '..', 'eslint-rules');

/** storepulse/no-sql-interpolation, run by ESLint's own Linter on sample sources. */
describe('access: the no-SQL-from-input lint rule', () => {
  let plugin: ESLint.Plugin;
  let allowList: Record<string, Record<string, string>>;
  before(async () => {
    const rule = (await import(pathToFileURL(resolve(RULES, 'no-sql-interpolation.mjs')).href)) as {
      default: ESLint.Plugin;
    };
    const list = (await import(pathToFileURL(resolve(RULES, 'sql-allow-list.mjs')).href)) as {
      SQL_ALLOW_LIST: Record<string, Record<string, string>>;
    };
    plugin = rule.default;
    allowList = list.SQL_ALLOW_LIST;
  });

  const lint = (code: string, allow: Record<string, Record<string, string>> = {}, file = 'x.ts') =>
    new Linter({ configType: 'flat', cwd: '/repo' }).verify(
      code,
      [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { storepulse: plugin },
          rules: { 'storepulse/no-sql-interpolation': ['error', { allow }] },
        },
      ],
      `/repo/${file}`,
    );

  it('fails on SQL interpolating input', () => {
    const samples = [
      "export function q(id: string) { return `SELECT * FROM raw_orders WHERE order_id = '${id}'`; }",
      'export const q = (req: { query: { t: string } }) => `DROP TABLE ${req.query.t}`;',
      'export function q(u: string) { return `INSERT INTO t VALUES (${JSON.stringify(u)})`; }',
      'export function q(t: string) { let x = t; return `ALTER TABLE ${x} DELETE WHERE 1`; }',
      'export function q(d: string) { return `select count() from events where day = ${d}`; }',
    ];
    for (const s of samples) {
      const m = lint(s);
      assert.equal(m.length, 1, `${s}\n${JSON.stringify(m)}`);
      assert.equal(m[0].ruleId, 'storepulse/no-sql-interpolation');
      assert.match(
        m[0].message,
        /SQL built from a non-constant: `.+`\. Pass it as a query parameter/,
      );
    }
  });

  it('passes constants, parameters, constant choices and non-SQL templates', () => {
    const ok = [
      'const TABLE = "orders"; export const q = `SELECT * FROM ${TABLE} WHERE id = {id:String}`;',
      'const T = { raw: "orders" }; export const q = (k: "raw") => `SELECT * FROM ${T[k]} FINAL`;',
      'export function q(c?: string) { const where = c ? "WHERE category = {category:String}" : ""; return `SELECT * FROM f ${where}`; }',
      'const RAW_TABLES = ["a", "b"]; export function q() { for (const t of RAW_TABLES) void `OPTIMIZE TABLE ${t} FINAL`; }',
      'export const msg = (n: number) => `selected ${n} rows from the list`;',
      'export const q = `SELECT 1 FROM t`;',
    ];
    for (const s of ok) assert.deepEqual(lint(s), [], s);
  });

  it('the allow-list is per file and per expression', () => {
    const code = 'export function q(table: string) { return `SELECT * FROM ${table}`; }';
    assert.deepEqual(lint(code, { 'libs/a.ts': { table: 'from ROLLUPS specs' } }, 'libs/a.ts'), []);
    assert.equal(
      lint(code, { 'libs/a.ts': { table: 'from ROLLUPS specs' } }, 'libs/b.ts').length,
      1,
    );
    assert.equal(lint(code, { 'libs/a.ts': { other: 'x' } }, 'libs/a.ts').length, 1);
  });

  it('every allow-list entry gives a reason', () => {
    for (const [file, entries] of Object.entries(allowList))
      for (const [expr, reason] of Object.entries(entries))
        assert.ok(reason.length >= 20, `${file}: ${expr} needs a reason`);
    assert.ok(Object.keys(allowList).length > 0);
  });
});
