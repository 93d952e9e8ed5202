"""Sub-commands of the `patbm` console script, one module per group."""
