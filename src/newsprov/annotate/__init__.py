"""The annotation layer: adding articles, the rule-based detectors, agreement, adjudication
and the Label Studio round trip. It imports the core and the store, never the build layer."""
