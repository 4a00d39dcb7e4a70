import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';

const require = createRequire(import.meta.url);
// evaluated through the browser's debugging protocol, not added as a <script>: the pages' Content
// Security Policy (rightly) refuses inline scripts without its nonce
const AXE_SOURCE = readFileSync(require.resolve('axe-core'), 'utf8');

/** One readable line per failing element: rule, impact, what axe says and where. */
function describe(v: Result): string[] {
  return v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} — ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`);
}

/**
 * Runs axe-core in the page as it stands and returns every serious or critical violation,
 * one line per element. An empty list means the page passes.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(() =>
    (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<unknown> } }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  )) as AxeResults;
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap(describe);
}
