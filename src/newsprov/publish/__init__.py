"""The publishing layer: the dataset card, the datasheet, Croissant metadata and the
generated sections of the documentation, all from the export."""
