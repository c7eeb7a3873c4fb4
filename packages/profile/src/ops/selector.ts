/**
 * Label selectors in the PromQL form Perforator and Pyroscope use: `{service="api", host=~"web-.*", pid!="1"}`.
 * Operators: `=` equal, `!=` not equal, `=~` matches the regular expression (anchored at both ends, as in
 * PromQL), `!~` does not match. A label that is absent counts as the empty string, so `{pid!="1"}` keeps
 * samples without a pid and `{pid=""}` selects them. A name before the braces (`shop.api{env="prod"}`,
 * Pyroscope's query form) is shorthand for `service="shop.api"`.
 */

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

const NAME_RE = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const SERVICE_RE = /[A-Za-z0-9_][A-Za-z0-9_.:/-]*/y;

export class SelectorError extends Error {
  constructor(
    readonly selector: string,
    readonly position: number,
    what: string,
  ) {
    super(
      `bad label selector at character ${position + 1}: ${what} (in ${JSON.stringify(selector)}; expected e.g. {service="api", host=~"web-.*"})`,
    );
    this.name = "SelectorError";
  }
}

/** Parses a selector; throws SelectorError naming the position and the problem. `""` and `{}` select everything. */
export function parseSelector(text: string): LabelMatcher[] {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new SelectorError(text, i, what);
  };
  const out: LabelMatcher[] = [];
  ws();
  if (i === n) return out;
  if (text[i] !== "{") {
    SERVICE_RE.lastIndex = i;
    const m = SERVICE_RE.exec(text);
    if (!m) fail(`expected "{" or a service name, found ${JSON.stringify(text[i])}`);
    out.push({ name: "service", op: "=", value: m![0] });
    i += m![0].length;
    ws();
    if (i === n) return out;
    if (text[i] !== "{") fail(`expected "{" after the service name, found ${JSON.stringify(text[i])}`);
  }
  i++; // {
  ws();
  while (i < n && text[i] !== "}") {
    NAME_RE.lastIndex = i;
    const m = NAME_RE.exec(text);
    if (!m) fail(`expected a label name, found ${JSON.stringify(text[i])}`);
    const name = m![0];
    i += name.length;
    ws();
    const two = text.slice(i, i + 2);
    let op: MatchOp;
    if (two === "=~" || two === "!~" || two === "!=") op = two;
    else if (text[i] === "=") op = "=";
    else op = fail(`expected =, !=, =~ or !~ after label ${name}`);
    i += op.length;
    ws();
    const q = text[i];
    if (q !== '"' && q !== "'" && q !== "`") fail(`expected a quoted value for label ${name}`);
    i++;
    let value = "";
    for (;;) {
      if (i >= n) fail(`unterminated string for label ${name}`);
      const c = text[i]!;
      if (c === q) {
        i++;
        break;
      }
      if (c === "\\" && q !== "`") {
        const e = text[i + 1];
        if (e === undefined) fail("unterminated escape");
        value += e === "n" ? "\n" : e === "t" ? "\t" : e;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    if (op === "=~" || op === "!~") {
      try {
        new RegExp(`^(?:${value})$`);
      } catch (err) {
        fail(`invalid regular expression for label ${name}: ${(err as Error).message}`);
      }
    }
    out.push({ name, op, value });
    ws();
    if (text[i] === ",") {
      i++;
      ws();
    } else if (i >= n) fail('missing closing "}"');
    else if (text[i] !== "}") fail(`expected "," or "}" after the matcher for ${name}`);
  }
  if (text[i] !== "}") fail('missing closing "}"');
  i++;
  ws();
  if (i < n) fail("unexpected text after the closing }");
  return out;
}

/** Compiles matchers into a predicate over a label set (absent labels read as ""). */
export function compileMatchers(
  matchers: readonly LabelMatcher[],
): (labels: Readonly<Record<string, string | undefined>>) => boolean {
  const tests = matchers.map((m) => {
    if (m.op === "=") return (v: string) => v === m.value;
    if (m.op === "!=") return (v: string) => v !== m.value;
    const re = new RegExp(`^(?:${m.value})$`);
    return m.op === "=~" ? (v: string) => re.test(v) : (v: string) => !re.test(v);
  });
  return (labels) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(labels[matchers[i]!.name] ?? "")) return false;
    return true;
  };
}

/** Writes matchers back as a selector that parseSelector reads to the same matchers. */
export function formatSelector(matchers: readonly LabelMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ")}}`;
}
