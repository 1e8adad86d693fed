"""``newsprov collect`` and ``newsprov queue``: crawled pages -> sharded collections ->
(rewrite, source) pairs queued for annotators."""
