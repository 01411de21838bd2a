/**
 * The time source of a component, injectable so that tests control expiry, lockouts and
 * timestamps without sleeping. Returns milliseconds since the Unix epoch, like `Date.now()`.
 */
export type Clock = () => number;

/** The wall clock (`Date.now`). */
export const systemClock: Clock = () => Date.now();
