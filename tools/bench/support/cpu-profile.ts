// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per
// area (our source folders, each dependency, GC, idle), as markdown tables.

import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Wall time covered by the profile, ms. */
  readonly wallMs: number;
  /** Sampled time that was not idle, ms. */
  readonly busyMs: number;
  readonly functions: Array<{ name: string; where: string; area: string; ms: number }>;
  readonly areas: Array<{ area: string; ms: number }>;
}

/** The area a frame belongs to: a dependency, a folder of our source, or a V8/Node bucket. */
function areaOf(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "V8/native (program)";
    return functionName.startsWith("(") ? functionName : "native";
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = /\/apps\/server\/src\/(.+)$/.exec(url);
  if (src) {
    const parts = src[1]!.split("/");
    return `server/${parts.length > 1 ? parts.slice(0, Math.min(2, parts.length - 1)).join("/") : parts[0]}`;
  }
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg) return `packages/${pkg[1]}`;
  return path.basename(url);
}

export function summariseProfile(profile: Profile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; charge it to the sample that ends it.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, { name: string; where: string; area: string; us: number }>();
  const areas = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    total += us;
    if (area === "idle") {
      idle += us;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = functionName || "(anonymous)";
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : "";
    const key = `${name}@${where}`;
    const entry = fns.get(key) ?? { name, where, area, us: 0 };
    entry.us += us;
    fns.set(key, entry);
  }
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: (total - idle) / 1000,
    functions: [...fns.values()].sort((a, b) => b.us - a.us).map((f) => ({ name: f.name, where: f.where, area: f.area, ms: f.us / 1000 })),
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000 })),
  };
}

/**
 * Time charged to our own code: each sample goes to the nearest frame (from the leaf
 * up) in apps/server/src or packages/, so a protobuf-es or postgres.js leaf counts for
 * the function of ours that called it. Samples with no frame of ours keep their area.
 */
function ownCodeMarkdown(profile: Profile, top = 20, perUnit?: { count: number; unit: string }): string {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const own = (url: string) => url.includes("/apps/server/src/") || (url.includes("/packages/") && !url.includes("node_modules"));
  const ownerCache = new Map<number, string>();
  const ownerOf = (leaf: number): string => {
    const cached = ownerCache.get(leaf);
    if (cached !== undefined) return cached;
    let owner: string | undefined;
    // The dependency function our code called (the outermost frame below ours), if any.
    let entry: string | undefined;
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (own(f.url)) {
        owner = `${f.functionName || "(anonymous)"} (${shortUrl(f.url).replace(/^apps\/server\/src\//, "")})${entry ? ` → ${entry}` : ""}`;
        break;
      }
      if (f.url !== "") entry = `${f.functionName || "(anonymous)"} [${areaOf(f.url, f.functionName)}]`;
    }
    const f = byId.get(leaf)!.callFrame;
    const result = owner ?? `[no frame of ours] ${areaOf(f.url, f.functionName)}`;
    ownerCache.set(leaf, result);
    return result;
  };
  const totals = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const f = byId.get(id)!.callFrame;
    if (f.functionName === "(idle)") continue;
    const us = profile.timeDeltas[i] ?? 0;
    busy += us;
    const key = ownerOf(id);
    totals.set(key, (totals.get(key) ?? 0) + us);
  }
  const perHead = perUnit ? ` | µs per ${perUnit.unit}` : "";
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `| nearest function of ours → the dependency it called (self + callees) | ms | share of busy${perHead} |`,
    `|---|---|---${perUnit ? "|---" : ""}|`,
    ...rows.map(([k, us]) => `| ${k} | ${(us / 1000).toFixed(0)} | ${((us / busy) * 100).toFixed(1)}%${perUnit ? ` | ${(us / perUnit.count).toFixed(2)}` : ""} |`),
  ].join("\n");
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + 13);
  const repo = /\/(apps|packages|tools)\/(.+)$/.exec(url);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return url.replace(/^file:\/\//, "");
}

/**
 * Reads the main thread's .cpuprofile from a folder. Node writes one per thread
 * (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile); with `--import tsx` the module
 * loader hooks run on a thread of their own, so the main thread is thread 0.
 */
export async function readProfile(folder: string): Promise<Profile> {
  const all = (await readdir(folder)).filter((f) => f.endsWith(".cpuprofile")).sort();
  const main = all.filter((f) => f.split(".")[4] === "0");
  const files = main.length > 0 ? main : all;
  if (files.length === 0) throw new Error(`no .cpuprofile in ${folder}`);
  return JSON.parse(await readFile(path.join(folder, files[files.length - 1]!), "utf8")) as Profile;
}

/** Markdown: the busy share of each area, then the top functions by self time; `whose` names the profiled thread. */
export function profileMarkdown(summary: ProfileSummary, top = 20, perUnit?: { count: number; unit: string }, whose = "Server main thread"): string {
  const share = (x: number) => `${((x / summary.busyMs) * 100).toFixed(1)}%`;
  const per = (x: number) => (perUnit ? ` | ${((x * 1000) / perUnit.count).toFixed(2)}` : "");
  const perHead = perUnit ? ` | µs per ${perUnit.unit}` : "";
  const perSep = perUnit ? "|---" : "";
  const lines = [
    `${whose}: ${(summary.wallMs / 1000).toFixed(1)} s profiled, ${(summary.busyMs / 1000).toFixed(1)} s busy (${((summary.busyMs / summary.wallMs) * 100).toFixed(0)}% of one core).`,
    "",
    `| area (self time) | ms | share of busy${perHead} |`,
    `|---|---|---${perSep}|`,
    ...summary.areas.slice(0, 16).map((a) => `| ${a.area} | ${a.ms.toFixed(0)} | ${share(a.ms)}${per(a.ms)} |`),
    "",
    `| function (top ${top} by self time) | where | area | ms | share of busy${perHead} |`,
    `|---|---|---|---|---${perSep}|`,
    ...summary.functions.slice(0, top).map((f) => `| ${f.name} | ${f.where} | ${f.area} | ${f.ms.toFixed(0)} | ${share(f.ms)}${per(f.ms)} |`),
  ];
  return lines.join("\n");
}

/** A profile's section of a report: the heading, areas and top functions, then the time charged to our own code. */
export function profileReport(heading: string, profile: Profile, top: number, perUnit?: { count: number; unit: string }): string {
  return `\n## ${heading}\n\n${profileMarkdown(summariseProfile(profile), top, perUnit)}\n\n${ownCodeMarkdown(profile, top, perUnit)}`;
}
