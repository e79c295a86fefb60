/**
 * The largest count or duration (ms) an option may hold: libzmq's socket options (high-water
 * marks, linger) are C ints and Node's timers 32-bit; past it libzmq answers only "Invalid
 * argument" and a timer fires after 1 ms.
 */
export const MAX_INT32 = 2 ** 31 - 1;
