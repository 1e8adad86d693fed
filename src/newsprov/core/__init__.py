"""The core layer: the schema, errors, the repository layout, file helpers and metrics.

Every other layer builds on it; it imports no other layer of the package."""
