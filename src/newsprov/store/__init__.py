"""The store layer: the corpus, the annotation files, splits and release information, as
read and written on disk. It imports only the core."""
