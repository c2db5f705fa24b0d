"""GROUP(C, s) construction (DiffuseGAE Def. 1, Eq. (9); GZS-Net's group-supervised sampling).

For a centre sample x_C with m attributes, A is the set of all s-subsets of the
attributes (C(m, s) elements). For each e in A the group holds one partner that shares
exactly the values of the attributes in e with x_C and differs from x_C in every other
attribute, so that |A(z_C) ∩ A(z_other)| = s (DiffuseGAE §3.3, s = 1 in the paper).

The group table stores row indices into the labels table (the ``index`` column of a
prepared dataset). Train groups are built from train-split indices and evaluation groups
from test-split indices by the caller (DESIGN.md §4). `group_members` and `GroupImages` read
them back for training and evaluation.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from diffae.data.errors import DatasetError
from diffae.utils.atomic import atomic_path

_REJECTION_TRIES = 8


class GroupConstructionError(DatasetError):
    """Fewer GROUP(C, s) groups can be built from the candidates than were requested."""


def group_elements(attributes: Sequence[str], s: int) -> list[tuple[str, ...]]:
    """The set A of Def. 1: all s-subsets of `attributes` in itertools.combinations order."""
    attributes = list(attributes)
    if len(set(attributes)) != len(attributes) or not attributes:
        raise ValueError(f"attributes must be a non-empty list of distinct names, got {attributes}")
    if not 1 <= s <= len(attributes):
        raise ValueError(f"s must be in 1..{len(attributes)} for {len(attributes)} attributes, got {s}")
    return list(itertools.combinations(attributes, s))


def partner_columns(attributes: Sequence[str], s: int = 1) -> list[str]:
    """Group-table column names of the partners: ``partner_<a>`` or ``partner_<a1>+<a2>`` for s > 1."""
    return ["partner_" + "+".join(e) for e in group_elements(attributes, s)]


def _index_by(codes: np.ndarray, rows: np.ndarray) -> dict[tuple[int, ...], np.ndarray]:
    """Map each distinct tuple of `codes` rows to the entries of `rows` carrying it."""
    keys, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(keys)))[:-1]
    return {tuple(int(v) for v in k): chunk for k, chunk in zip(keys, np.split(rows[order], bounds))}


def build_groups(
    labels: pd.DataFrame,
    attributes: Sequence[str],
    candidates: np.ndarray,
    n_groups: int,
    s: int = 1,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Build `n_groups` GROUP(C, s) groups (DiffuseGAE Def. 1, Eq. (9)) within `candidates`.

    Centres are drawn without replacement from `candidates` (row positions of `labels`) in
    a seeded order; for each element e of A a partner is drawn uniformly among the
    candidates that share exactly e's values with the centre and differ in all other
    attributes. Centres lacking a partner for some e are skipped and counted.
    Returns the table (``center``, ``partner_<e>`` per e, the centre's attribute values)
    and stats {requested, built, skipped_centres, candidates}.
    Raises GroupConstructionError if fewer than `n_groups` groups can be built.
    """
    elements = group_elements(attributes, s)
    attributes = list(attributes)
    cand = _checked_candidates(labels, attributes, candidates, n_groups)
    # attribute values -> integer codes, for all rows (so candidate codes are comparable)
    codes = np.stack([pd.factorize(labels[a], use_na_sentinel=False)[0] for a in attributes], axis=1)
    plan = _partner_plan(codes, attributes, elements, cand)

    centres, partners, skipped = _draw_groups(np.random.default_rng(seed), codes, cand, plan, n_groups)
    stats = {"requested": int(n_groups), "built": len(centres), "skipped_centres": skipped,
             "candidates": int(cand.size)}
    if len(centres) < n_groups:
        raise GroupConstructionError(
            f"only {len(centres)} GROUP(C, {s}) groups can be built from {cand.size} candidate samples "
            f"({skipped} centres have no partner for some attribute subset), but n_groups={n_groups} were "
            f"requested; lower n_groups (or s) or supply more samples"
        )
    return _group_table(labels, attributes, s, centres, partners), stats


def _checked_candidates(labels: pd.DataFrame, attributes: list[str], candidates: np.ndarray,
                        n_groups: int) -> np.ndarray:
    """`candidates` as int64 row positions, after checking them and the request against `labels`."""
    missing = [a for a in attributes if a not in labels.columns]
    if missing:
        raise ValueError(f"labels lack attribute column(s) {missing}; columns are {list(labels.columns)}")
    if n_groups < 0:
        raise ValueError(f"n_groups must be >= 0, got {n_groups}")
    cand = np.asarray(candidates)
    if cand.ndim != 1 or (cand.size and not np.issubdtype(cand.dtype, np.integer)):
        raise ValueError(f"candidates must be a 1-d array of integer row indices, got dtype {cand.dtype} "
                         f"shape {cand.shape}")
    cand = cand.astype(np.int64)
    if cand.size and (cand.min() < 0 or cand.max() >= len(labels)):
        raise ValueError(f"candidates must index rows 0..{len(labels) - 1} of labels")
    if np.unique(cand).size != cand.size:
        raise ValueError("candidates hold repeated row indices")
    return cand


def _partner_plan(codes: np.ndarray, attributes: list[str], elements: list[tuple[str, ...]],
                  cand: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    """Per element e of A: (positions of e's attributes, positions of the others, candidates indexed by e's values)."""
    pos = {a: i for i, a in enumerate(attributes)}
    plan = []
    for e in elements:
        same = np.array([pos[a] for a in e])
        other = np.array([i for i in range(len(attributes)) if attributes[i] not in e], dtype=int)
        plan.append((same, other, _index_by(codes[cand][:, same], cand)))
    return plan


def _draw_groups(rng: np.random.Generator, codes: np.ndarray, cand: np.ndarray, plan: list, n_groups: int,
                 ) -> tuple[list[int], list[list[int]], int]:
    """Centres in a seeded order, each with one partner per element of A; returns (centres, partners, skipped)."""
    centres: list[int] = []
    partners: list[list[int]] = []
    skipped = 0
    for c in rng.permutation(cand):
        if len(centres) == n_groups:
            break
        row = []
        for same, other, index in plan:
            pick = _draw_partner(rng, codes, int(c), same, other, index)
            if pick < 0:
                break
            row.append(pick)
        if len(row) < len(plan):
            skipped += 1
            continue
        centres.append(int(c))
        partners.append(row)
    return centres, partners, skipped


def _draw_partner(rng: np.random.Generator, codes: np.ndarray, c: int, same: np.ndarray, other: np.ndarray,
                  index: dict) -> int:
    """A uniform partner of centre `c` sharing exactly the `same` attributes, or -1 when there is none."""
    bucket = index[tuple(int(v) for v in codes[c, same])]
    target = codes[c, other]
    for _ in range(_REJECTION_TRIES):  # cheap uniform draw; exact fallback below keeps it uniform
        j = bucket[rng.integers(len(bucket))]
        if j != c and np.all(codes[j, other] != target):
            return int(j)
    valid = bucket[np.all(codes[bucket][:, other] != target, axis=1) & (bucket != c)]
    if valid.size == 0:
        return -1
    return int(valid[rng.integers(valid.size)])


def _group_table(labels: pd.DataFrame, attributes: list[str], s: int, centres: list[int],
                 partners: list[list[int]]) -> pd.DataFrame:
    """The group table: ``center``, one ``partner_<e>`` column per element of A, the centre's attribute values."""
    columns = partner_columns(attributes, s)
    table = pd.DataFrame({"center": np.asarray(centres, dtype=np.int64)})
    part = np.asarray(partners, dtype=np.int64).reshape(len(centres), len(columns))
    for k, col in enumerate(columns):
        table[col] = part[:, k]
    for a in attributes:
        table[a] = labels[a].to_numpy()[table["center"].to_numpy()]
    return table


def write_groups(path: str | Path, groups: pd.DataFrame) -> None:
    """Write a group table as CSV (atomic)."""
    _validate(groups, str(path))
    with atomic_path(path) as tmp:
        groups.to_csv(tmp, index=False)


def read_groups(path: str | Path, attributes: Sequence[str] | None = None, s: int = 1) -> pd.DataFrame:
    """Read a group table; checks the index columns (and, given `attributes`, the expected columns)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"group table {path} does not exist; build it with the GROUP stage")
    try:
        groups = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DatasetError(f"group table {path} is not a readable CSV: {err}") from err
    _validate(groups, f"group table {path}")
    if attributes is not None:
        expected = ["center", *partner_columns(attributes, s), *attributes]
        if list(groups.columns) != expected:
            raise DatasetError(f"group table {path} has columns {list(groups.columns)}; expected {expected}")
    return groups


def group_members(groups_csv: str | Path, attributes: Sequence[str]) -> np.ndarray:
    """(G, 1 + m) prepared-row indices of GROUP(C, 1) tables: centre, then the partner sharing each attribute."""
    groups = read_groups(groups_csv)
    cols = ["center", *partner_columns(attributes, s=1)]
    missing = [c for c in cols if c not in groups.columns]
    if missing:
        raise ValueError(f"{groups_csv}: missing columns {missing}; DiffuseGAE training needs GROUP(C, 1) tables")
    return groups[cols].to_numpy(dtype=np.int64)


class GroupImages(Dataset):
    """uint8 (1 + m, C, H, W) image groups read lazily from the prepared images (memory-mapped)."""

    def __init__(self, images: np.ndarray, members: np.ndarray):
        self.images, self.members = images, members

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, i: int) -> tuple[torch.Tensor]:
        x = torch.from_numpy(np.ascontiguousarray(self.images[self.members[i]]))
        return (x.permute(0, 3, 1, 2),)

    def fingerprint_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """What defines the samples (diffae.train.fingerprint): the images and the group rows."""
        return self.images, self.members


def _validate(groups: pd.DataFrame, where: str) -> None:
    cols = list(groups.columns)
    pcols = [c for c in cols if c.startswith("partner_")]
    if "center" not in cols or not pcols:
        raise DatasetError(f"{where}: columns {cols} lack 'center' and at least one 'partner_<attribute>' column")
    for c in ["center", *pcols]:
        if not pd.api.types.is_integer_dtype(groups[c]) or (len(groups) and groups[c].min() < 0):
            raise DatasetError(f"{where}: column {c!r} must hold non-negative integer row indices")
