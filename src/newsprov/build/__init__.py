"""The build layer: the Parquet export, its expectation suites and their validation. It
imports the core and the store, never the annotation layer."""
