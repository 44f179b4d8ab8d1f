// Money as the run panes and the settings screen show it: US dollars, readable
// from a whole dollar down to the fraction of a cent one short answer costs.

/** Below this a cost shows as "<$0.00001" rather than a run of zeros. */
const TINY = 0.00001;

/**
 * "$1.27", "$0.13", "$0.013", "$0.00042", "$0", "<$0.00001"; "≈" in front when
 * the token counts behind it were estimated. Null (no price) stays null.
 *
 * From $0.10 up: cents (two decimals, thousands grouped). Below: two significant
 * digits, without trailing zeros, so a tiny cost still says how tiny.
 */
export function formatCost(usd: number | null, estimated = false): string | null {
  if (usd === null || !Number.isFinite(usd)) return null;
  const prefix = estimated ? "≈" : "";
  const x = Math.max(usd, 0);
  if (x === 0) return `${prefix}$0`;
  if (x < TINY) return `${prefix}<$${TINY.toFixed(5)}`;
  const rounded = Number(x.toPrecision(2));
  if (rounded < 0.1) return `${prefix}$${trimZeros(rounded.toFixed(decimalsFor(rounded)))}`;
  return `${prefix}$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Decimals that show two significant digits of a number below 0.1. */
function decimalsFor(x: number): number {
  return Math.max(2, 1 - Math.floor(Math.log10(x)));
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/**
 * A price per million tokens as the table shows it: at least cents, and as many
 * decimals as were entered (up to six): "$2.00", "$0.15", "$0.075", "$0.0375".
 */
export function formatPrice(usdPerMtok: number): string {
  return `$${usdPerMtok.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
}
