/** How the benches' reports write numbers: 'n/a' for what was not measured. */
export const ms = (n: number | undefined): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(3) : 'n/a');
export const int = (n: number | undefined): string => (n !== undefined && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const signed = (n: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${ms(n)}` : 'n/a');
/** The mean of shares (0..1), as a whole percentage. */
export const mean = (values: number[]): string => (values.length ? `${Math.round((100 * values.reduce((a, b) => a + b, 0)) / values.length)}%` : 'n/a');
export const spread = (values: number[], fmt: (n: number) => string): string => (values.length ? `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}` : 'n/a');
