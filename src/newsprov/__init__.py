"""NewsProv: an annotated news-provenance corpus."""
