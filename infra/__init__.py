"""Running the gateway outside Lambda: the WSGI adapter, the local launcher, deployment notes."""
