/**
 * Colour for terminal output, as data: a renderer takes a `Colors` and paints a few words (a status,
 * a severity). `NO_COLORS` paints nothing, so pipes, files and tests get plain text.
 */
export interface Colors {
  readonly enabled: boolean;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string): string => (text === '' ? '' : `\x1b[${open}m${text}\x1b[${close}m`);

export const ANSI_COLORS: Colors = {
  enabled: true,
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
};

const same = (text: string): string => text;
export const NO_COLORS: Colors = { enabled: false, red: same, green: same, yellow: same, dim: same, bold: same };

/**
 * Whether a stream gets colour: only a terminal, never with `--no-color`, never when NO_COLOR is set
 * to anything non-empty (no-color.org), never on TERM=dumb. FORCE_COLOR (non-empty, not "0") forces it.
 */
export function wantsColor(isTTY: boolean, flag: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  if (!flag) return false;
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (env['TERM'] === 'dumb') return false;
  return isTTY;
}

export function colorsFor(enabled: boolean): Colors {
  return enabled ? ANSI_COLORS : NO_COLORS;
}
