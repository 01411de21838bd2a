// The reference server's composition, exported for tests and for hosts that want the same wiring.
export {};
