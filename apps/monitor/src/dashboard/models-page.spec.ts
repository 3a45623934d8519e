// Unit tests of the Models page's HTML: options, navigation, and that its inline script parses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import { MODELS_POLL_MS, PSI_MODERATE, PSI_SIGNIFICANT, modelsPageHtml } from './models-page';
import { DASHBOARD_HTML } from './page';

/** The inline (not the src=) script of a page. */
function inlineScript(html: string): string {
  const m = /<script>\n([\s\S]*?)\n<\/script>/.exec(html);
  assert.ok(m?.[1], 'the page has an inline script');
  return m[1];
}

void describe('modelsPageHtml', () => {
  void it('polls every MODELS_POLL_MS by default, or every pollMs', () => {
    assert.equal(MODELS_POLL_MS, 5000);
    assert.match(inlineScript(modelsPageHtml()), /var POLL_MS = 5000;/);
    assert.match(inlineScript(modelsPageHtml({ pollMs: 1500 })), /var POLL_MS = 1500;/);
  });

  void it('carries the PSI thresholds 0.1 / 0.25 into the page', () => {
    assert.deepEqual([PSI_MODERATE, PSI_SIGNIFICANT], [0.1, 0.25]);
    const s = inlineScript(modelsPageHtml());
    assert.match(s, /var PSI_MODERATE = 0\.1;/);
    assert.match(s, /var PSI_SIGNIFICANT = 0\.25;/);
  });

  void it('rejects a pollMs that is not an integer >= 250, naming the option', () => {
    for (const bad of [0, 249, 1000.5, Number.NaN])
      assert.throws(
        () => modelsPageHtml({ pollMs: bad }),
        (e: unknown) =>
          e instanceof RangeError &&
          e.message === `pollMs: ${String(bad)} must be an integer >= 250 (milliseconds)`,
      );
  });

  void it('has a script that compiles, Chart.js from the app, and links to and from the ops page', () => {
    const html = modelsPageHtml();
    assert.doesNotThrow(() => new Script(inlineScript(html)));
    assert.doesNotThrow(() => new Script(inlineScript(DASHBOARD_HTML)));
    assert.match(html, /<script src="\/dashboard\/chart\.umd\.min\.js"><\/script>/);
    assert.match(html, /<a href="\/" id="nav-ops">/);
    assert.match(DASHBOARD_HTML, /<a href="\/models" id="nav-models">/);
    assert.doesNotMatch(html, /__POLL_MS__/);
  });
});
