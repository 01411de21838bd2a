// Pure codecs for the Kubernetes streaming wire protocols (SPDY/3.1 frames, the channel.k8s.io
// WebSocket framing), shared by the simulator and the Proxy. No sockets here: bytes in, frames out.
export {};
