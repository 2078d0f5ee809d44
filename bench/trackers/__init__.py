"""One tracker per measured quantity: latency, memory, quality, environment."""
