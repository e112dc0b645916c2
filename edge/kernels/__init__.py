"""Edge hot path: numba kernels turning raw tag reads into dedup, presence and portal events."""
