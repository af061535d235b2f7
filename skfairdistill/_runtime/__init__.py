"""Where and how a fit runs: the device, the random generators, threads and memory."""
