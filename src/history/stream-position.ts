/**
 * Notification ids are stream positions, `<milliseconds>-<sequence>` as Redis streams write
 * them: unique and increasing for each user, and comparable without a lookup.
 */
const POSITION = /^(\d{1,16})-(\d{1,16})$/;

export function isStreamPosition(value: string): boolean {
  return POSITION.test(value);
}

/** Negative, zero or positive as `a` is before, at or after `b`. Both must be positions. */
export function compareStreamPositions(a: string, b: string): number {
  const [, aMs, aSeq] = POSITION.exec(a) as RegExpExecArray;
  const [, bMs, bSeq] = POSITION.exec(b) as RegExpExecArray;
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq);
}
