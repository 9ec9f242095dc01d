// Ticks of the time axis: a "nice" step (1, 2 or 5 times a power of ten) and labels in ms.

/** The step between labelled ticks so that they are about `targetPixels` apart. */
export function tickStep(spanMs, widthPixels, targetPixels) {
  const raw = (spanMs * targetPixels) / Math.max(widthPixels, 1);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const multiple of [1, 2, 5, 10]) if (power * multiple >= raw) return power * multiple;
  return power * 10;
}

/** Decimals that tell ticks `step` apart. */
export function decimalsFor(step) {
  return step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
}

/** A time in ms with a given number of decimals and thousands separated by thin spaces. */
export function formatMs(value, decimals) {
  const fixed = Math.abs(value) < 1e-12 ? (0).toFixed(decimals) : value.toFixed(decimals);
  const [whole, fraction] = fixed.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** A time for lists and details: three decimals (microseconds). */
export function formatTime(value) {
  return formatMs(value, 3);
}
