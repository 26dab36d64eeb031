/** Keeps the thread busy for `ms` (work the event loop must wait behind, as delivering a burst would). */
export function keepBusy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
