/**
 * Markdown rendering shared by the reporter (bench/report.ts) and the RESULTS.md generator; no side effects, so
 * bench/run.ts can use it without becoming a reporting bench itself.
 */
import type { TableSection } from './report.js';

/** A table as Markdown, with its title as a level-3 heading. */
export function renderTable(t: TableSection): string {
  const align = t.columns.map((_, i) => (t.numeric.includes(i) ? '---:' : '---'));
  const lines = [`### ${t.title}`];
  if (t.anchors.length > 0) lines.push('', `anchor: ${t.anchors.join('; ')}`);
  lines.push(
    '',
    `| ${t.columns.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...t.rows.map((r) => `| ${r.join(' | ')} |`),
  );
  return lines.join('\n');
}
