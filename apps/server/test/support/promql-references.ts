// What a PromQL expression reads: the metric names it selects, the label
// names its matchers test, and the labels it groups by. Enough of PromQL for
// checking a dashboard against a scrape (not a parser: no precedence, no
// evaluation). Grafana's $variables and ${variables} are ignored.

export interface PromqlReferences {
  /** Metric names, as selected (histogram series keep their _bucket/_sum/_count suffix). */
  readonly metrics: ReadonlySet<string>;
  /** Per metric, the label names its selectors match on. */
  readonly matcherLabels: ReadonlyMap<string, ReadonlySet<string>>;
  /** Labels named in by / without / on / ignoring / group_left / group_right. */
  readonly groupingLabels: ReadonlySet<string>;
}

const KEYWORDS = new Set([
  // aggregation operators: followed by "by (...)" rather than "(" in the form `sum by (x) (...)`
  "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
  // binary and grouping keywords
  "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "atan2", "offset",
  // number literals written as words
  "inf", "nan",
]);

export function promqlReferences(expr: string): PromqlReferences {
  // String literals first, so nothing inside them is read as syntax.
  let text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const matcherLabels = new Map<string, Set<string>>();
  text = text.replace(/([A-Za-z_:][\w:]*)\s*\{([^}]*)\}/g, (_, name: string, matchers: string) => {
    const labels = matcherLabels.get(name) ?? new Set<string>();
    for (const m of matchers.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*""/g)) labels.add(m[1]!);
    matcherLabels.set(name, labels);
    return ` ${name} `;
  });
  if (/[{}]/.test(text)) throw new Error(`unsupported selector in ${expr}`);
  const groupingLabels = new Set<string>();
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, keyword: string, labels: string) => {
    for (const label of labels.split(",")) if (label.trim() !== "") groupingLabels.add(label.trim());
    return ` ${keyword} `;
  });
  text = text
    .replace(/\[[^\]]*\]/g, " ") // ranges and subqueries
    .replace(/\$\{[^}]*\}|\$\w+/g, " ") // Grafana variables
    .replace(/\boffset\s+-?\w+/g, " ")
    .replace(/(?<![\w:])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g, " "); // numbers
  const metrics = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const name = m[0];
    const next = text.slice(m.index + name.length).trimStart()[0];
    if (next === "(" || KEYWORDS.has(name.toLowerCase())) continue;
    metrics.add(name);
  }
  for (const name of matcherLabels.keys()) if (!metrics.has(name)) throw new Error(`lost selector ${name} in ${expr}`);
  return { metrics, matcherLabels, groupingLabels };
}
