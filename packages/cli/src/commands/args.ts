// Command-line flags: each command declares a small table of typed flags, and parsing is strict.
// Anything unknown or malformed becomes a ValidationError (@maga/model's: exit code 2) whose
// message names the flag and what it accepts, so a typo never silently trains the wrong model for
// ten minutes.
import { ValidationError } from '@maga/model';
import type { BackendInfo } from '../run/backend.ts';

/** One flag: how to read its value, and what to say about it in --help and in errors. */
export interface Flag<T> {
  help: string;
  /** What the value looks like in --help (`N`, `X`, `DIR`); absent for switches. */
  placeholder?: string;
  /** A switch takes no value: its presence means true. */
  switch?: boolean;
  parse(raw: string, name: string): T;
}

export type Flags = Record<string, Flag<unknown>>;
export type Parsed<S extends Flags> = { [K in keyof S]?: S[K] extends Flag<infer T> ? T : never };

const describe = (raw: string) => JSON.stringify(raw);

export function int(help: string, range: { min?: number; max?: number } = {}): Flag<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  return {
    help,
    placeholder: 'N',
    parse(raw, name) {
      const value = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw new ValidationError(`--${name}: ${describe(raw)} is not an integer in [${min}, ${max}]`, `--${name}`);
      }
      return value;
    },
  };
}

export function number(help: string, range: { min?: number; positive?: boolean } = {}): Flag<number> {
  return {
    help,
    placeholder: 'X',
    parse(raw, name) {
      const value = raw.trim() === '' ? NaN : Number(raw);
      const ok = Number.isFinite(value) && (range.positive ? value > 0 : value >= (range.min ?? -Infinity));
      if (!ok) throw new ValidationError(`--${name}: ${describe(raw)} is not a ${range.positive ? 'positive' : 'finite'} number${range.min !== undefined ? ` ≥ ${range.min}` : ''}`, `--${name}`);
      return value;
    },
  };
}

export function choice<C extends string>(choices: readonly C[], help: string): Flag<C> {
  return {
    // The placeholder lists the choices; the help text does not repeat them.
    help,
    placeholder: choices.join('|'),
    parse(raw, name) {
      if (!(choices as readonly string[]).includes(raw)) throw new ValidationError(`--${name}: ${describe(raw)} is not one of: ${choices.join(', ')}`, `--${name}`);
      return raw as C;
    },
  };
}

export function text(help: string, placeholder: string): Flag<string> {
  return {
    help,
    placeholder,
    parse(raw, name) {
      if (raw === '') throw new ValidationError(`--${name}: needs a non-empty ${placeholder}`, `--${name}`);
      return raw;
    },
  };
}

export function toggle(help: string): Flag<boolean> {
  return { help, switch: true, parse: () => true };
}

/**
 * Parses `--name value`, `--name=value` and switches; everything else is a positional argument.
 * `--` ends the flags.
 */
export function parseArgs<S extends Flags>(argv: readonly string[], flags: S): { flags: Parsed<S>; positionals: string[] } {
  const parsed: Record<string, unknown> = {};
  const positionals: string[] = [];
  const accepted = () => Object.keys(flags).map((f) => `--${f}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new ValidationError(`unknown flag ${arg}: flags are spelled --name; accepted: ${accepted()}`, arg);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const flag = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (!flag) throw new ValidationError(`unknown flag --${name}; accepted: ${accepted()}`, `--${name}`);
    if (Object.hasOwn(parsed, name)) throw new ValidationError(`--${name} is given twice`, `--${name}`);
    let raw: string;
    if (flag.switch) {
      if (eq >= 0) throw new ValidationError(`--${name} takes no value`, `--${name}`);
      raw = '';
    } else if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new ValidationError(`--${name} needs a value: ${flag.placeholder ?? 'VALUE'}`, `--${name}`);
      raw = argv[++i];
    }
    parsed[name] = flag.parse(raw, name);
  }
  return { flags: parsed as Parsed<S>, positionals };
}

/** The flag table as --help lines. */
export function flagHelp(flags: Flags): string {
  const rows = Object.entries(flags).map(([name, flag]) => [`--${name}${flag.placeholder ? ` ${flag.placeholder}` : ''}`, flag.help]);
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
  // A flag too long for the column gets its description on the next line.
  return rows.map(([left, right]) => (left.length < width ? `  ${left.padEnd(width)}${right}` : `  ${left}\n  ${''.padEnd(width)}${right}`)).join('\n');
}

/**
 * A command from its flags, its help and what it does: `--help` prints the help (exit code 0);
 * otherwise `run` gets the parsed flags, the positional arguments and the arguments as given.
 */
export function command<S extends Flags>(flags: S, help: () => string, run: (flags: Parsed<S>, positionals: string[], argv: string[]) => Promise<number>): (argv: string[]) => Promise<number> {
  return async (argv) => {
    const parsed = parseArgs(argv, flags);
    if ((parsed.flags as { help?: boolean }).help) {
      console.log(help());
      return 0;
    }
    return run(parsed.flags, parsed.positionals, argv);
  };
}

/** Says which backend a command computes on: a fallback loudly (stderr), then the backend through `say`. */
export function announceBackend(backend: BackendInfo, say: (text: string) => void = (text) => console.log(text)): void {
  if (backend.fallback) console.error(`maga: ${backend.fallback}`);
  say(`backend: ${backend.description}`);
}
