/**
 * bench/RESULTS.md as a header and `## ` sections, one per CPU model
 * measured (plus sections such as `## Training: Fashion-MNIST` that
 * `npm run bench` does not write). A run replaces its own CPU's section and
 * keeps every other section verbatim, so results from different machines
 * accumulate instead of overwriting each other.
 *
 * A CPU section may also hold `### ` subsections that other commands write
 * (KEPT_SUBSECTIONS: `npm run bench:serve`'s serving results, `npm run bench:web`'s
 * browser results): a run of
 * `npm run bench` carries them over into the section it writes, and those
 * commands replace only their own subsection (mergeSubsection).
 */
import { renderHeader } from './report.js';

/** One `## ` section (or `### ` subsection): its heading (without the #s) and its text, heading line included. */
export interface Section {
  heading: string;
  text: string;
}

/** Lines that open or close a fenced code block: headings inside one are not headings. */
const FENCE = /^\s*(```|~~~)/;

/** Splits markdown at its headings that start with `marker`: the text before the first one, then the sections. */
function splitAt(markdown: string, marker: string): { preamble: string; sections: Section[] } {
  const preamble: string[] = [];
  const sections: { heading: string; lines: string[] }[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    if (!inFence && line.startsWith(marker)) sections.push({ heading: line.slice(marker.length).trim(), lines: [] });
    (sections.at(-1)?.lines ?? preamble).push(line);
  }
  return { preamble: preamble.join('\n'), sections: sections.map((s) => ({ heading: s.heading, text: s.lines.join('\n') })) };
}

/** Splits markdown at its `## ` headings: the text before the first one, then the sections. */
export function splitSections(markdown: string): { preamble: string; sections: Section[] } {
  return splitAt(markdown, '## ');
}

/** Splits a section at its `### ` headings (`#### ` ones stay inside): its text before the first one, then the subsections. */
export function splitSubsections(text: string): { preamble: string; sections: Section[] } {
  return splitAt(text, '### ');
}

const normalize = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * What identifies a CPU section: the brand and CPUID family and model of its
 * heading ("AMD EPYC (AMD family 25 model 17, tuning zen4)" → "amd epyc
 * family 25 model 17"), so that the tuning row, or its absence in the legacy
 * heading or without the addon, does not split one CPU into two sections.
 * A heading without family and model is its own key.
 */
export function cpuKey(heading: string): string {
  // Greedy: the last " (" followed by "family N model M"; brands contain "(R)" and "(TM)".
  const m = /^(.*) \((?:\S+ )?family (\d+) model (\d+)\b/.exec(heading.trim());
  return m === null ? normalize(heading) : `${normalize(m[1])} family ${m[2]} model ${m[3]}`;
}

/** A CPU section carries an environment table with a CPU row; other sections do not. */
const CPU_ROW = /^\| CPU \| *(.+?) *\|\s*$/m;

export function isCpuSection(s: Section): boolean {
  return CPU_ROW.test(s.text);
}

// ---- the single-section layout written before per-CPU sections (up to 2026-11) ----

/** The `## ` sections the earlier writer produced for its one run; any others were carried over. */
const LEGACY_RUN_SECTIONS = ['Inference and training', 'Per-layer forward times', 'Notes'];

/** One more `#` on every heading outside code blocks, so that a whole old file fits under one `## `. */
function demoteHeadings(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (FENCE.test(line)) inFence = !inFence;
      return !inFence && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

/**
 * The heading of a legacy file's CPU from its CPU row, written as the addon
 * describes a CPU: "AMD EPYC (family 25 model 17, avx512f avx2 fma), 2 cores
 * visible" → "AMD EPYC (AMD family 25 model 17)". The old row had no vendor;
 * it is read from the brand.
 */
export function legacyCpuHeading(cpuRow: string): string {
  const m = /^(.*) \(family (\d+) model (\d+)\b/.exec(cpuRow.trim());
  if (m === null) return cpuRow.replace(/, \d+ cores visible$/, '').trim();
  const vendor = /\bAMD\b/.test(m[1]) ? 'AMD ' : /\bIntel\b/.test(m[1]) ? 'Intel ' : '';
  return `${m[1]} (${vendor}family ${m[2]} model ${m[3]})`;
}

/**
 * The sections of an existing RESULTS.md. A file in the legacy layout (its
 * environment table above the first `## `) becomes one CPU section holding its
 * whole body, headings demoted a level, followed by the sections it carried.
 */
export function readSections(markdown: string): Section[] {
  const { preamble, sections } = splitSections(markdown);
  const cpuRow = CPU_ROW.exec(preamble)?.[1];
  if (cpuRow === undefined) return sections;
  const isRun = (s: Section): boolean => LEGACY_RUN_SECTIONS.some((h) => s.heading.startsWith(h));
  const body = [preamble.replace(/^# .*\n/, ''), ...sections.filter(isRun).map((s) => s.text)].join('\n');
  const heading = legacyCpuHeading(cpuRow);
  const legacy: Section = { heading, text: `## ${heading}\n${demoteHeadings(body).replace(/^\n+/, '\n')}`.trimEnd() };
  return [legacy, ...sections.filter((s) => !isRun(s))];
}

/** The `### ` subsection of a CPU section that `npm run bench:serve` (bench/serve.ts) writes. */
export const SERVING_HEADING = 'Serving (npm run bench:serve)';

/** The `### ` subsection of a CPU section that `npm run bench:web` (bench/web/run.ts) writes. */
export const WEB_HEADING = 'In the browser (npm run bench:web)';

/** `### ` subsections of a CPU section that `npm run bench` does not write, so must not drop. */
const KEPT_SUBSECTIONS: readonly string[] = [SERVING_HEADING, WEB_HEADING];

/** `section` with `subsection` in place of the subsection of the same heading, or last when it has none. */
export function withSubsection(section: Section, subsection: Section): Section {
  const { preamble, sections } = splitSubsections(section.text);
  const at = sections.findIndex((s) => s.heading === subsection.heading);
  const parts = at < 0 ? [...sections, subsection] : sections.map((s, i) => (i === at ? subsection : s));
  return { heading: section.heading, text: [preamble, ...parts.map((s) => s.text)].map((p) => p.trimEnd()).join('\n\n') };
}

/** `current` with the kept subsections of `old` (the section it replaces) that it does not have itself. */
function carryKeptSubsections(old: Section, current: Section): Section {
  const own = new Set(splitSubsections(current.text).sections.map((s) => s.heading));
  const kept = splitSubsections(old.text).sections.filter((s) => KEPT_SUBSECTIONS.includes(s.heading) && !own.has(s.heading));
  return kept.reduce(withSubsection, current);
}

/**
 * RESULTS.md with `current` in it: the header, then the CPU sections (the
 * current CPU's replaced in place, or the new one after the last), then the
 * other sections, all but the current one verbatim. The kept subsections of
 * the replaced section (other commands' results) move into the current one.
 */
export function mergeResults(existing: string | null, current: Section): string {
  const key = cpuKey(current.heading);
  const old = existing === null ? [] : readSections(existing);
  const sameCpu = (s: Section): boolean => isCpuSection(s) && cpuKey(s.heading) === key;
  const replaced = old.find(sameCpu);
  const merged = replaced === undefined ? current : carryKeptSubsections(replaced, current);
  const cpuSections: Section[] = [];
  for (const s of old.filter(isCpuSection)) {
    // Two sections of one CPU (say, edited by hand) collapse into the current one.
    if (!sameCpu(s)) cpuSections.push(s);
    else if (!cpuSections.includes(merged)) cpuSections.push(merged);
  }
  if (!cpuSections.includes(merged)) cpuSections.push(merged);
  const others = old.filter((s) => !isCpuSection(s));
  const parts = [renderHeader(), ...[...cpuSections, ...others].map((s) => s.text)];
  return `${parts.map((p) => p.trimEnd()).join('\n\n')}\n`;
}

/**
 * RESULTS.md with `subsection` in the section of the CPU `cpuHeading`, in
 * place of its earlier version or last, the rest of the file as it was. A
 * CPU without a section gets one holding only the subsection: that
 * subsection must then have an environment table with a CPU row, or it would
 * not be read back as a CPU section (isCpuSection), and `npm run bench` would
 * write a second section for the CPU instead of taking it over.
 */
export function mergeSubsection(existing: string | null, cpuHeading: string, subsection: Section): string {
  const key = cpuKey(cpuHeading);
  const old = existing === null ? undefined : readSections(existing).find((s) => isCpuSection(s) && cpuKey(s.heading) === key);
  return mergeResults(existing, withSubsection(old ?? { heading: cpuHeading, text: `## ${cpuHeading}` }, subsection));
}
