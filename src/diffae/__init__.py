"""diffae-repro: reproduction pipeline for DiffuseGAE, Diff-AE and DiffSiam."""
__version__ = "0.1.0"
