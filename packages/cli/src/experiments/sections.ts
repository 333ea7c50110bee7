// A results file made of one section per experiment, each written by that experiment's report from
// its own runs. Writing a section replaces that section only: the others stay as they are, so a
// report run where some experiments' runs are absent (another machine, another --runs) never
// deletes their sections. Each section sits between two comment lines that name its experiment; a
// file written before these markers existed is read by its `## NAME: title` headings.

export interface ResultsFile {
  /** Everything before the first section. */
  preamble: string;
  /** The sections in file order: experiment name → its text (heading included, markers not). */
  sections: Map<string, string>;
}

const BEGIN = (name: string) => `<!-- experiment ${name}: written by \`bun run experiments ${name}\` from its runs; do not edit by hand -->`;
const END = (name: string) => `<!-- end of experiment ${name} -->`;
const BEGIN_PATTERN = /^<!-- experiment ([A-Za-z0-9._-]+):.*-->$/;
const HEADING_PATTERN = /^## ([A-Za-z0-9][A-Za-z0-9._-]*): /;

export function parseResults(text: string): ResultsFile {
  const lines = text.split('\n');
  const sections = new Map<string, string>();
  const marked = lines.some((l) => BEGIN_PATTERN.test(l));
  let preambleEnd = lines.length;
  if (marked) {
    for (let i = 0; i < lines.length; i++) {
      const m = BEGIN_PATTERN.exec(lines[i]);
      if (!m) continue;
      preambleEnd = Math.min(preambleEnd, i);
      const end = lines.indexOf(END(m[1]), i + 1);
      const stop = end < 0 ? lines.length : end;
      sections.set(m[1], trimBlank(lines.slice(i + 1, stop)).join('\n'));
      i = stop;
    }
  } else {
    // Before markers: a section runs from its `## NAME: ` heading to the next `## ` heading.
    let current: string | null = null;
    let start = 0;
    lines.forEach((line, i) => {
      if (!line.startsWith('## ')) return;
      if (current) sections.set(current, trimBlank(lines.slice(start, i)).join('\n'));
      const m = HEADING_PATTERN.exec(line);
      current = m ? m[1] : null;
      start = i;
      if (current) preambleEnd = Math.min(preambleEnd, i);
    });
    if (current) sections.set(current, trimBlank(lines.slice(start)).join('\n'));
  }
  return { preamble: trimBlank(lines.slice(0, preambleEnd)).join('\n'), sections };
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === '') a++;
  while (b > a && lines[b - 1].trim() === '') b--;
  return lines.slice(a, b);
}

/**
 * The file with `written`'s sections replaced (or appended, in the order given) and every other
 * section of `existing` kept where it was; the preamble is `preamble`.
 */
export function mergeResults(existing: string | null, preamble: string, written: ReadonlyMap<string, string>): string {
  const old = existing ? parseResults(existing) : { preamble: '', sections: new Map<string, string>() };
  const merged = new Map(old.sections);
  for (const [name, text] of written) merged.set(name, text);
  const parts = [preamble.trimEnd()];
  for (const [name, text] of merged) parts.push([BEGIN(name), text.trim(), END(name)].join('\n'));
  return `${parts.join('\n\n')}\n`;
}
