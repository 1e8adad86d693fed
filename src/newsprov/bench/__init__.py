"""The benchmark layer: the scorer and the baselines. It imports the layers below it."""
