"""The viewer: a static site of the Parquet export (``newsprov view``), each rewrite beside
its source with every annotation layer marked, readable from ``file://`` with no network."""
