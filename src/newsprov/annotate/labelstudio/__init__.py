"""The Label Studio round trip: the labeling config, reading results back, task files and
imports, the server connection, and a local server."""
