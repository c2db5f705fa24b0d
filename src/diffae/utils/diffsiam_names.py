"""Thesis-style display names of DiffSiam runs, shared by the tables, the figures and their captions."""
from __future__ import annotations

__all__ = ["HIER", "SEQ", "SIMSIAM", "method_name"]

SIMSIAM, SEQ, HIER = "SimSiam", "DiffSiam (Seq.)", "DiffSiam (Hier.)"
_VARIANT = {"hierarchical": "Hier.", "sequential": "Seq.", "hierarchical_detach": "Hier.-Detach"}


def method_name(method: str, variant: str, k_mode: str) -> str:
    """The thesis-style display name of a run: SimSiam and PDAE ignore variant and k_mode; DiffSiam is named by
    its variant, with ", literal Alg. 1" for k_mode extra_steps (spec A1); anything else gets a generic name."""
    method, variant, k_mode = (str(x) for x in (method, variant, k_mode))
    if method == "simsiam":
        return SIMSIAM
    if method == "pdae":
        return "PDAE"
    if method == "diffsiam" and variant in _VARIANT and k_mode in ("timestep_block", "extra_steps"):
        literal = ", literal Alg. 1" if k_mode == "extra_steps" else ""
        return f"DiffSiam ({_VARIANT[variant]}{literal})"
    return f"{method} ({variant}, {k_mode})"
