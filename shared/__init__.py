"""Code shared by every endpoint and job handler of the gateway."""
