// A strict reader of the Prometheus text exposition format (version 0.0.4),
// written for tests: it returns metric families with their samples and throws,
// naming the line, on anything a Prometheus server would reject or that the
// format forbids (unknown TYPE, samples of a family split up or before their
// TYPE, a duplicate series, a histogram whose buckets do not add up).
// https://prometheus.io/docs/instrumenting/exposition_formats/

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  /** The series name as written: for a histogram, name_bucket, name_sum or name_count. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  help: string | undefined;
  readonly type: MetricType;
  readonly samples: Sample[];
}

export class ExpositionError extends Error {
  override readonly name = "ExpositionError";
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<string>(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  const seriesSeen = new Set<string>();
  let current: MetricFamily | undefined;
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new ExpositionError("the exposition must end with a line feed");

  lines.forEach((line, index) => {
    const at = `line ${index + 1}: `;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!match) return; // an ordinary comment
      const [, keyword, name, rest = ""] = match as unknown as [string, string, string, string | undefined];
      if (!METRIC_NAME.test(name)) throw new ExpositionError(`${at}bad metric name ${name}`);
      if (keyword === "HELP") {
        if (helps.has(name)) throw new ExpositionError(`${at}second HELP for ${name}`);
        helps.set(name, unescapeHelp(rest, at));
        const family = families.get(name);
        if (family) family.help = helps.get(name);
        return;
      }
      const type = rest.trim();
      if (!TYPES.has(type)) throw new ExpositionError(`${at}unknown TYPE ${type} for ${name}`);
      if (families.has(name)) throw new ExpositionError(`${at}second TYPE for ${name}`);
      current = { name, help: helps.get(name), type: type as MetricType, samples: [] };
      families.set(name, current);
      return;
    }
    const sample = parseSample(line, at);
    if (!current || !belongsTo(sample.name, current)) {
      const owner = [...families.values()].find((f) => belongsTo(sample.name, f));
      if (owner) throw new ExpositionError(`${at}sample ${sample.name} is separated from the rest of family ${owner.name}`);
      throw new ExpositionError(`${at}sample ${sample.name} has no TYPE line before it`);
    }
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    if (seriesSeen.has(key)) throw new ExpositionError(`${at}duplicate series ${key}`);
    seriesSeen.add(key);
    current.samples.push(sample);
  });

  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

/** The samples of a family with the given series suffix ("_bucket", "_sum", "_count", or "" ). */
export function seriesOf(family: MetricFamily, suffix = ""): Sample[] {
  return family.samples.filter((s) => s.name === family.name + suffix);
}

/** Samples whose labels include every given label with the given value. */
export function matching(samples: readonly Sample[], labels: Readonly<Record<string, string>>): Sample[] {
  return samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function belongsTo(sampleName: string, family: MetricFamily): boolean {
  return SUFFIXES[family.type].some((suffix) => sampleName === family.name + suffix);
}

function parseSample(line: string, at: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new ExpositionError(`${at}a sample must start with a metric name: ${line}`);
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    for (;;) {
      if (line[i] === "}") break;
      const labelMatch = /^[^=]*/.exec(line.slice(i))!;
      const label = labelMatch[0];
      if (!LABEL_NAME.test(label)) throw new ExpositionError(`${at}bad label name "${label}"`);
      if (label in labels) throw new ExpositionError(`${at}label ${label} given twice`);
      i += label.length;
      if (line[i] !== "=" || line[i + 1] !== '"') throw new ExpositionError(`${at}expected ="value" after ${label}`);
      i += 2;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new ExpositionError(`${at}unterminated value of label ${label}`);
        i++;
        if (c === '"') break;
        if (c === "\\") {
          const escaped = line[i++];
          if (escaped === "\\") value += "\\";
          else if (escaped === '"') value += '"';
          else if (escaped === "n") value += "\n";
          else throw new ExpositionError(`${at}bad escape \\${escaped ?? ""} in label ${label}`);
        } else {
          value += c;
        }
      }
      labels[label] = value;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") throw new ExpositionError(`${at}expected , or } after label ${label}`);
    }
    i++;
  }
  const rest = line.slice(i);
  const fields = /^[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$/.exec(rest);
  if (!fields) throw new ExpositionError(`${at}expected a value (and optional timestamp) after ${name}: "${rest}"`);
  return { name, labels, value: parseValue(fields[1]!, at) };
}

/** As Prometheus reads values (Go's ParseFloat): Inf and NaN in any letter case, so prom-client's "Nan" is valid. */
function parseValue(text: string, at: string): number {
  const special = text.toLowerCase();
  if (special === "+inf" || special === "inf") return Infinity;
  if (special === "-inf") return -Infinity;
  if (special === "nan") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new ExpositionError(`${at}bad value ${text}`);
  return Number(text);
}

function unescapeHelp(text: string, at: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new ExpositionError(`${at}bad escape in HELP: \\${c}`);
  });
}

/** Per series: le bounds ascending, cumulative counts never falling, +Inf present and equal to _count, a _sum. */
function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name.endsWith("_bucket")) {
      if (le === undefined) throw new ExpositionError(`${family.name}: bucket without le ${key}`);
      group.buckets.push([parseValue(le, `${family.name} le: `), sample.value]);
    } else if (sample.name.endsWith("_sum")) {
      group.sum = sample.value;
    } else {
      group.count = sample.value;
    }
  }
  for (const [key, group] of groups) {
    const where = `${family.name}${key}`;
    if (group.sum === undefined || group.count === undefined) throw new ExpositionError(`${where}: missing _sum or _count`);
    for (let i = 1; i < group.buckets.length; i++) {
      const [bound, count] = group.buckets[i]!;
      const [previousBound, previousCount] = group.buckets[i - 1]!;
      if (!(bound > previousBound)) throw new ExpositionError(`${where}: le ${bound} after ${previousBound}`);
      if (count < previousCount) throw new ExpositionError(`${where}: bucket le=${bound} holds fewer than le=${previousBound}`);
    }
    const last = group.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new ExpositionError(`${where}: no le="+Inf" bucket`);
    if (last[1] !== group.count) throw new ExpositionError(`${where}: +Inf bucket ${last[1]} differs from _count ${group.count}`);
  }
}
