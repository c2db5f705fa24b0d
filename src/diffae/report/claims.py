"""The papers' qualitative claims, checked on our tables and on the papers' own numbers.

Every claim is a function of the result tables (never typed-in results). The same function is applied
to our CSVs (`supported`) and to tables built from `paper_numbers.py` in the same layout (`paper_holds`),
so both columns are computed by one piece of code. A claim whose inputs are absent reads "NA".

Inputs (DESIGN §8 layouts):
  table1.csv          method, part, attribute, accuracy, chance        (diffae.report.table1)
  table2.csv          model (DIFFUSEGAE_TABLE2 keys), fid, ssim, lpips, mse
  diffae_table2.csv   model (DIFFAE_TABLE2 keys), T, ssim, lpips, mse   (diffae.report.diffae_table2)
  ppl.csv             method ("DiffuseGAE" / "Diff-AE"), T, ppl        (DiffuseGAE Fig. 10)
  diffae_table4.csv   dataset, model (DDIM / Ours / + autoencoding), T, fid   (diffae.report.diffae_generation)
  diffae_ppl.csv      model (DDIM / Diff-AE), ppl                       (Diff-AE App. F)
  diffae_table7.csv   dataset, model (DDIM / Diff-AE), img_per_s        (Diff-AE Table 7)
  Diff-AE Tables 3, 8, 9, 10: see diffae.report.claims_attributes
  DiffSiam Tables 4.1, 4.2: see diffae.report.claims_diffsiam
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from diffae.report.paper_numbers import (DIFFAE_PPL, DIFFAE_TABLE2, DIFFAE_TABLE2_ZSEM, DIFFAE_TABLE4,
                                         DIFFAE_TABLE4_DATASET, DIFFAE_TABLE4_T, DIFFAE_TABLE7, DIFFAE_TABLE7_ROW,
                                         DIFFUSEGAE_TABLE1, DIFFUSEGAE_TABLE2)
from diffae.report.claims_attributes import ATTRIBUTE_CLAIMS, attribute_paper_tables
from diffae.report.claims_diffsiam import DIFFSIAM_CLAIMS, diffsiam_paper_tables
from diffae.report.claims_core import (NA, Claim, Missing, Tables, _better, _cell, _compare_all,  # noqa: F401
                                       _diagonal, _fmt, _matrix, _need, _value)
from diffae.report.tables import write_table
from diffae.utils.atomic import atomic_write_text

__all__ = ["build_claims", "evaluate_claims", "paper_tables", "Tables", "CLAIMS", "PAPER_ILAB_CLASS_COUNTS"]

# |A_r| of iLab-20M as stated in DiffuseGAE §4 / Table 1 (identity 6, background 111, pose 10); used only for
# the chance level of the paper's own Table 1 numbers. (The authors' code uses identity 10 / pose 6; with
# those counts claim T1-e does not hold on the paper's numbers, which the note column says.)
PAPER_ILAB_CLASS_COUNTS = {"identity": 6, "background": 111, "pose": 10}


# DiffuseGAE Table 2 row names (keys of DIFFUSEGAE_TABLE2).
GZS, DAE_RANDOM, GAE_RANDOM, GAE_INFERRED = ("GZS-Net", "Diff-AE (T=100, random x_T)",
                                             "DiffuseGAE (T=100, random x_T)", "DiffuseGAE (T=100, inferred x_T)")
# Diff-AE Table 2 row names (keys of DIFFAE_TABLE2).
DDIM_INF, DAE_INF, DAE_RAND = "DDIM (inferred x_T)", "Diff-AE (inferred x_T)", "Diff-AE a) random x_T"
_unknown = ([n for n in (GZS, DAE_RANDOM, GAE_RANDOM, GAE_INFERRED) if n not in DIFFUSEGAE_TABLE2]
            + [n for n in (DDIM_INF, DAE_INF, DAE_RAND) if n not in DIFFAE_TABLE2])
if _unknown:
    raise RuntimeError(f"claims: row names {_unknown} are not keys of paper_numbers' Table 2 dictionaries")


# ------------------------------------------------------------------------------------------- claims
def claim_t2_inferred_beats_random(t: Tables) -> tuple[bool, str]:
    t2 = _need(t, "table2")
    pairs = [(m, m, _value(t2, "model", GAE_INFERRED, m), _value(t2, "model", GAE_RANDOM, m))
             for m in ("fid", "ssim", "lpips", "mse")]
    return _compare_all(pairs, _better)


def claim_t2_beats_gzsnet_fid(t: Tables) -> tuple[bool, str]:
    t2 = _need(t, "table2")
    return _compare_all([("fid", "fid", _value(t2, "model", GAE_RANDOM, "fid"), _value(t2, "model", GZS, "fid"))],
                        _better)


def claim_t2_fid_vs_diffae(t: Tables) -> tuple[bool, str]:
    t2 = _need(t, "table2")
    pairs = [("fid", "fid", _value(t2, "model", GAE_RANDOM, "fid"), _value(t2, "model", DAE_RANDOM, "fid"))]
    return _compare_all(pairs, lambda m, a, b: a <= b)


def _diag_vs(t: Tables, other: str) -> tuple[bool, str]:
    ours, theirs = _diagonal(t, "DiffuseGAE"), _diagonal(t, other)
    pairs = [(a, "acc", ours[a], theirs[a]) for a in ours if a in theirs]
    return _compare_all(pairs, lambda m, a, b: a >= b)


def claim_t1_diag_vs_diffae(t: Tables) -> tuple[bool, str]:
    return _diag_vs(t, "Diff-AE")


def claim_t1_diag_vs_gzsnet(t: Tables) -> tuple[bool, str]:
    return _diag_vs(t, "GZS-Net")


def claim_t1_aeds_best(t: Tables) -> tuple[bool, str]:
    aeds, gae = _diagonal(t, "AE + DS"), _diagonal(t, "DiffuseGAE")
    common = [a for a in gae if a in aeds]
    if not common:
        raise Missing("no common attributes")
    a = sum(aeds[k] for k in common) / len(common)
    b = sum(gae[k] for k in common) / len(common)
    return a >= b, f"mean diagonal AE + DS {_fmt(a)} vs DiffuseGAE {_fmt(b)}"


def _off_diagonal_gap(t: Tables, method: str) -> float:
    sub = _matrix(t, method)
    off = sub[sub["part"] != sub["attribute"]]
    if off.empty:
        raise Missing(f"no off-diagonal Table 1 rows for {method!r}")
    return float((off["accuracy"].astype(float) - off["chance"].astype(float)).abs().mean())


def claim_t1_off_diagonal_chance(t: Tables) -> tuple[bool, str]:
    a, b = _off_diagonal_gap(t, "DiffuseGAE"), _off_diagonal_gap(t, "Diff-AE")
    return a < b, f"mean |acc - chance| off-diagonal DiffuseGAE {_fmt(a)} vs Diff-AE {_fmt(b)}"


def _dt2_row_beats_row(t: Tables, a: str, b: str) -> tuple[bool, str]:
    """Diff-AE Table 2 row ``a`` better than row ``b`` on SSIM, LPIPS and MSE at every T both have."""
    d = _need(t, "diffae_table2")
    Ts = sorted(set(d[d["model"] == a]["T"]) & set(d[d["model"] == b]["T"]))
    pairs = [(f"T={T} {m}", m, _value(d, "model", a, m, T=T), _value(d, "model", b, m, T=T))
             for T in Ts for m in ("ssim", "lpips", "mse")]
    return _compare_all(pairs, _better)


def claim_dt2_inferred_beats_random(t: Tables) -> tuple[bool, str]:
    return _dt2_row_beats_row(t, DAE_INF, DAE_RAND)


def claim_dt2_t20_beats_ddim_t100(t: Tables) -> tuple[bool, str]:
    d = _need(t, "diffae_table2")
    pairs = [(m, m, _value(d, "model", DAE_INF, m, T=20), _value(d, "model", DDIM_INF, m, T=100))
             for m in ("ssim", "lpips", "mse")]
    return _compare_all(pairs, _better)


def claim_dt2_beats_ddim(t: Tables) -> tuple[bool, str]:
    return _dt2_row_beats_row(t, DAE_INF, DDIM_INF)


def _zsem_rows(t: Tables) -> pd.DataFrame:
    """Diff-AE Table 2 rows b-e (the z_sem-width ablation: rows with a ``z_dim``)."""
    d = _need(t, "diffae_table2")
    if "z_dim" not in d.columns or d["z_dim"].notna().sum() == 0:
        raise Missing("no z_sem ablation rows (b-e)")
    return d[d["z_dim"].notna()]


def claim_dt2_wider_zsem_is_better(t: Tables) -> tuple[bool, str]:
    z = _zsem_rows(t)
    dims = sorted({int(v) for v in z["z_dim"]}, reverse=True)
    pairs = [(f"T={T} {m} {wide}-d vs {narrow}-d", m, _value(z, "z_dim", wide, m, T=T), _value(z, "z_dim", narrow, m, T=T))
             for T in sorted(set(z["T"])) for m in ("ssim", "lpips", "mse") for wide, narrow in zip(dims, dims[1:])]
    return _compare_all(pairs, _better)


def claim_dt2_longer_training_is_better(t: Tables) -> tuple[bool, str]:
    d, z = _need(t, "diffae_table2"), _zsem_rows(t)
    main_dim = 512 if (z["z_dim"] == 512).any() else None
    if main_dim is None:
        raise Missing("no 512-d ablation row (b) to set beside row a")
    Ts = sorted(set(z["T"]) & set(d[d["model"] == DAE_RAND]["T"]))
    pairs = [(f"T={T} {m}", m, _value(d, "model", DAE_RAND, m, T=T), _value(z, "z_dim", main_dim, m, T=T))
             for T in Ts for m in ("ssim", "lpips", "mse")]
    return _compare_all(pairs, _better)


def claim_ppl(t: Tables) -> tuple[bool, str]:
    p = _need(t, "ppl")
    Ts = sorted(set(p[p["method"] == "DiffuseGAE"]["T"]) & set(p[p["method"] == "Diff-AE"]["T"]))
    pairs = [(f"T={T}", "ppl", _value(p, "method", "DiffuseGAE", "ppl", T=T), _value(p, "method", "Diff-AE", "ppl", T=T))
             for T in Ts]
    return _compare_all(pairs, _better)


def _table4_pairs(t: Tables, a: str, b: str, which_T: Callable[[list], list]) -> list:
    """(label, "fid", FID of row a, FID of row b) per dataset at the T chosen by ``which_T`` (sorted Ts)."""
    d = _need(t, "diffae_table4")
    pairs = []
    for dataset in d["dataset"].drop_duplicates():
        sub = d[d["dataset"] == dataset]
        Ts = sorted(set(sub[sub["model"] == a]["T"]) & set(sub[sub["model"] == b]["T"]))
        pairs += [(f"{dataset} T={T}", "fid", _value(sub, "model", a, "fid", T=T), _value(sub, "model", b, "fid", T=T))
                  for T in which_T(Ts)]
    return pairs


def claim_dt4_autoencoding_beats_ours(t: Tables) -> tuple[bool, str]:
    return _compare_all(_table4_pairs(t, "+ autoencoding", "Ours", lambda Ts: Ts), _better)


def claim_dt4_ours_beats_ddim_at_few_steps(t: Tables) -> tuple[bool, str]:
    return _compare_all(_table4_pairs(t, "Ours", "DDIM", lambda Ts: Ts[:1]), _better)


def claim_dt4_gap_shrinks(t: Tables) -> tuple[bool, str]:
    """DDIM's FID minus Ours' is larger at the smallest T than at the largest, on every dataset."""
    few, many = (_table4_pairs(t, "DDIM", "Ours", pick) for pick in (lambda Ts: Ts[:1], lambda Ts: Ts[-1:]))
    pairs = [(f"{lf} vs {lm.split(' T=')[-1]}", "gap", a1 - b1, a2 - b2)
             for (lf, _, a1, b1), (lm, _, a2, b2) in zip(few, many) if lf != lm]
    return _compare_all(pairs, lambda m, a, b: a > b)


def claim_dppl(t: Tables) -> tuple[bool, str]:
    p = _need(t, "diffae_ppl")
    return _compare_all([("PPL", "ppl", _value(p, "model", "Diff-AE", "ppl"), _value(p, "model", "DDIM", "ppl"))],
                        _better)


def claim_dt7_diffae_slower(t: Tables) -> tuple[bool, str]:
    d = _need(t, "diffae_table7")
    pairs = [(str(ds), "img_per_s", _value(d[d["dataset"] == ds], "model", "DDIM", "img_per_s"),
              _value(d[d["dataset"] == ds], "model", "Diff-AE", "img_per_s")) for ds in d["dataset"].drop_duplicates()]
    return _compare_all(pairs, _better)


# Shared evidence of the embedded default's scale (800 CPU steps of a 32 px model; paper: 130M images).
_WEAK_Z = ("the embedded iLab Diff-AE decoder hardly uses z_sem yet: with random x_T it reconstructs at SSIM ~0.16 "
           "against the paper's 0.54 (DiffuseGAE Table 2, Diff-AE random-x_T row), so whatever z_sem carries is a "
           "small part of the image")
# The faces chain (240 CPU steps of Diff-AE on 240 stand-in faces; paper: 130M images of FFHQ).
_WEAK_FACES = ("the embedded faces Diff-AE (240 CPU steps; paper 130M images) hardly uses z_sem yet: with random x_T "
               "it reconstructs the test faces at SSIM ~0.11 against the paper's 0.68 (Diff-AE Table 2 row a)")

# The zoo's decoders (60-240 CPU steps at 16-32 px) ignore z_sem: measured on the embedded FFHQ and Horse models,
# decoding other images' z_sem with the same x_T changes the image by MSE 1e-4, another x_T by 1.4-1.8.
_UNUSED_ZOO_Z = ("the embedded zoo decoders (60-240 CPU steps; paper 72M-130M images) ignore z_sem: with the same x_T, "
                 "another image's z_sem changes the decoded image by MSE ~1e-4, another x_T by ~1.5 (FFHQ and Horse "
                 "models, T=20), so which z_sem conditions the decoder (none, a latent-DDIM sample, a real image's) "
                 "hardly matters")


CLAIMS: tuple[Claim, ...] = (
    Claim("a", "DiffuseGAE Table 2", "DiffuseGAE with inferred x_T beats DiffuseGAE with random x_T on FID, SSIM, "
          "LPIPS and MSE (SSIM higher, others lower)", claim_t2_inferred_beats_random),
    Claim("b", "DiffuseGAE Table 1, §4.1", "DiffuseGAE's diagonal probe accuracy >= Diff-AE's for every attribute",
          claim_t1_diag_vs_diffae,
          diagnosis="scale: the GAE trains 600 steps at lr 4e-5 (paper 100k) and is still learning (L_dis 3.98 -> "
                    "1.96, still falling ~8 % per 100 steps at the end); its 20-d background/pose parts are read "
                    "against 103-d slices of an entangled z_sem, and an 800-step z_sem barely carries pose (Diff-AE "
                    "0.18 vs chance 0.10). Identity, the best-learned attribute, already holds (0.74 vs 0.66). "
                    "Losses, partition and probes are unit-tested (test_group_losses.py, test_probes.py)"),
    Claim("b2", "DiffuseGAE Table 1, §4.1", "DiffuseGAE's diagonal probe accuracy >= GZS-Net's for every attribute",
          claim_t1_diag_vs_gzsnet,
          diagnosis="scale: GZS-Net reads the background straight from pixels (large flat areas, 1.00), while "
                    "DiffuseGAE's parts come through the under-trained GAE on an 800-step z_sem (see b); identity, "
                    "which z_sem does carry, already holds (0.74 vs 0.44)"),
    Claim("b3", "DiffuseGAE Table 1, §4.1", "AE + DS (directly supervised) has a mean diagonal accuracy >= "
          "DiffuseGAE's", claim_t1_aeds_best),
    Claim("c", "DiffuseGAE Table 2", "DiffuseGAE (random x_T) has a lower FID than GZS-Net", claim_t2_beats_gzsnet_fid,
          diagnosis="scale: " + _WEAK_Z + ", so a random x_T decodes to another vehicle scene (SSIM 0.17) while "
                    "GZS-Net's pixel decoder reconstructs directly; the FID Inception is also randomly initialised "
                    "offline. The inferred-x_T row, which shares the decoder, is near-exact (SSIM 0.998)"),
    Claim("d", "DiffuseGAE Table 2", "DiffuseGAE (random x_T) FID <= Diff-AE (random x_T) FID (paper 8.06 vs 8.07)",
          claim_t2_fid_vs_diffae),
    Claim("e", "DiffuseGAE Table 1, §4.1", "DiffuseGAE's off-diagonal accuracies are closer to chance 1/|A_r| than "
          "Diff-AE's (mean |acc - chance|)", claim_t1_off_diagonal_chance,
          note="paper chance from |A| = identity 6 / background 111 / pose 10 (paper text); with the authors' "
               "code counts (10 / 111 / 6) the paper's numbers would not support it"),
    Claim("f1", "Diff-AE Table 2 (a)", "Diff-AE with inferred x_T beats random x_T on SSIM, LPIPS and MSE at "
          "every T", claim_dt2_inferred_beats_random),
    Claim("f2", "Diff-AE Table 2, §5.3", "Diff-AE at T=20 beats DDIM at T=100 on SSIM, LPIPS and MSE",
          claim_dt2_t20_beats_ddim_t100,
          diagnosis="scale: " + _WEAK_FACES + ". Both 32 px models invert the test faces almost exactly "
                    "(DDIM at T=100: SSIM 0.999) and improve monotonically with T; the conditional decoder integrates "
                    "nearly the same ODE as the unconditional one (Diff-AE and DDIM within 0.008 SSIM at every T), so "
                    "conditioning cannot shorten the path yet. Inversion and decoding are tested on an oracle "
                    "(test_stages_diffae.py)"),
    Claim("f3", "Diff-AE Tables 1 and 2", "Diff-AE (inferred x_T) beats DDIM (inferred x_T) on SSIM, LPIPS and "
          "MSE at every T", claim_dt2_beats_ddim,
          diagnosis="scale: " + _WEAK_FACES + ", so its inversion is DDIM's plus an almost unused condition: the two "
                    "agree within 0.009 SSIM at every T (0.928 vs 0.937 at T=10, 0.9992 vs 0.9993 at T=100) and the "
                    "extra input costs Diff-AE a little at few steps. Same code path as f2"),
    Claim("f4", "Diff-AE Table 2 (b-e)", "with random x_T, a wider z_sem reconstructs better: SSIM b > c > d > e "
          "and LPIPS, MSE b < c < d < e at every T", claim_dt2_wider_zsem_is_better,
          diagnosis="scale: the ablation models train 89 CPU steps (48/130 of 240) and end at loss ~0.58, where the "
                    "main run was at step 100 (0.53; it ends at 0.20): none uses its z_sem yet, so rows b-e agree "
                    "within 0.001 SSIM and 0.005 LPIPS at every T, in no consistent order. A model with the main "
                    "run's weights reproduces row a exactly (test_eval_resume.py), so the protocol is row a's"),
    Claim("f5", "Diff-AE Table 2 (a, b)", "the 512-d Diff-AE trained on all its images (a, 130M) beats the one "
          "trained on 48/130 of them (b, 48M) with random x_T on SSIM, LPIPS and MSE at every T",
          claim_dt2_longer_training_is_better, note="the z_sem of row a must be 512-d, as in the paper"),
    Claim("h1", "Diff-AE Table 4, §5.7", "+ autoencoding (z_sem of real images) has a lower FID than Ours (latent "
          "DDIM samples) on every dataset at every T", claim_dt4_autoencoding_beats_ours,
          diagnosis="scale: " + _UNUSED_ZOO_Z + ": the two rows share x_T and agree within 0.1 FID on Horse, Bedroom "
                    "and CelebA (32 samples, random-init Inception), in no consistent order"),
    Claim("h2", "Diff-AE Table 4, §5.7", "Ours has a lower FID than DDIM at the smallest T on every dataset "
          "(conditioning on z_sem 'significantly improves the quality with small Ts')",
          claim_dt4_ours_beats_ddim_at_few_steps,
          note="the paper has Ours < DDIM in 15 of 16 cells (not Horse at T=100); the claim is its few-step form",
          diagnosis="scale: " + _UNUSED_ZOO_Z + "; it holds on Horse, Bedroom and CelebA and fails on FFHQ, where "
                    "the Diff-AE and DDIM decoders are two differently trained unconditional samplers"),
    Claim("h3", "Diff-AE Table 4, §5.7", "the FID advantage of Ours over DDIM is larger at the smallest T than at "
          "the largest, on every dataset", claim_dt4_gap_shrinks,
          diagnosis="scale: " + _UNUSED_ZOO_Z),
    Claim("i", "Diff-AE App. F", "Diff-AE's real-image interpolation is smoother than DDIM's: lower PPL "
          "(paper 613.73 vs 2,634.14)", claim_dppl,
          diagnosis="scale: " + _UNUSED_ZOO_Z + ", so both paths are a Slerp between inverted x_T and differ only by "
                    "the two decoders' ODEs; LPIPS-VGG is also randomly initialised offline"),
    Claim("j", "Diff-AE Table 7, App. A", "Diff-AE trains slower than DDIM (fewer images per second; the extra "
          "semantic encoder, 'around 20% slower') on every dataset", claim_dt7_diffae_slower,
          diagnosis="timing, not the models: each rate is read from its training log, and on 2 cores the pipeline "
                    "runs two jobs at once, so a model's images/s depend on the job beside it; at 16 px a step takes "
                    "milliseconds. Alone on a quiet machine, CelebA's Diff-AE trains at 135-140 img/s and its DDIM at "
                    "180-191 (ratio 0.74; 2026-12-07), as the paper has it"),
    Claim("g", "DiffuseGAE Fig. 10, §4.4", "DiffuseGAE's PPL is lower than Diff-AE's at every timestep",
          claim_ppl, note="Fig. 10 values are not transcribed, so paper_holds is NA (the paper states it holds)",
          diagnosis="scale: " + _WEAK_Z + "; both interpolations slerp the same inverted x_T, which dominates "
                    "the decoded path, so the two PPL curves agree within 1 %; LPIPS-VGG is also randomly "
                    "initialised offline"),
) + ATTRIBUTE_CLAIMS + DIFFSIAM_CLAIMS


# --------------------------------------------------------------------------------------- the tables
def paper_tables() -> Tables:
    """The papers' numbers in our CSV layouts (Table 1 chance from PAPER_ILAB_CLASS_COUNTS; no PPL values)."""
    t1 = [{"method": m, "part": p, "attribute": a, "accuracy": acc, "chance": 1.0 / PAPER_ILAB_CLASS_COUNTS[a]}
          for m, parts in DIFFUSEGAE_TABLE1.items() for p, row in parts.items() for a, acc in row.items()]
    t2 = [{"model": name, **vals} for name, vals in DIFFUSEGAE_TABLE2.items()]
    dt2 = [{"model": name, "T": T, **{m: vals[m][T] for m in vals}}
           for name, vals in DIFFAE_TABLE2.items() for T in next(iter(vals.values()))]
    dt2 += [{"model": f"{vals['row']})", "T": T, "z_dim": z_dim, **{m: vals[m][T] for m in ("ssim", "lpips", "mse")}}
            for z_dim, vals in DIFFAE_TABLE2_ZSEM.items() for T in vals["ssim"]]
    dt4 = [{"dataset": DIFFAE_TABLE4_DATASET[d], "model": m, "T": T, "fid": f}
           for d, rows in DIFFAE_TABLE4.items() for m, fids in rows.items() for T, f in zip(DIFFAE_TABLE4_T, fids)]
    dppl = [{"model": m, "ppl": v} for m, v in DIFFAE_PPL.items()]
    dt7 = [{"dataset": d, "model": m, "img_per_s": v} for d, row in DIFFAE_TABLE7_ROW.items()
           for m, v in zip(("DDIM", "Diff-AE"), DIFFAE_TABLE7[row])]
    return Tables(pd.DataFrame(t1), pd.DataFrame(t2), pd.DataFrame(dt2), None, pd.DataFrame(dt4),
                  pd.DataFrame(dppl), pd.DataFrame(dt7), **attribute_paper_tables(),
                  **diffsiam_paper_tables())


REQUIRED = {"table1": ("method", "part", "attribute", "accuracy", "chance"),
            "table2": ("model", "fid", "ssim", "lpips", "mse"),
            "diffae_table2": ("model", "T", "ssim", "lpips", "mse"),
            "ppl": ("method", "T", "ppl"), "diffae_table4": ("dataset", "model", "T", "fid"),
            "diffae_ppl": ("model", "ppl"), "diffae_table7": ("dataset", "model", "img_per_s"),
            "diffae_table3": ("scenario", "class", "fid"), "diffae_table8": ("attribute", "auroc"),
            "diffae_table9": ("mode", "attribute", "fid"), "diffae_table10": ("attribute", "cosine"),
            "diffsiam_table4_1": ("method", "CIFAR10", "Avg"), "diffsiam_table4_2": ("shots", "method")}
KEYS = {"table1": ("method", "part", "attribute"), "table2": ("model",), "diffae_table2": ("model", "T"),
        "ppl": ("method", "T"), "diffae_table4": ("dataset", "model", "T"), "diffae_ppl": ("model",),
        "diffae_table7": ("dataset", "model"), "diffae_table3": ("scenario", "class"), "diffae_table8": ("attribute",),
        "diffae_table9": ("mode", "attribute"), "diffae_table10": ("attribute",),
        "diffsiam_table4_1": ("method",), "diffsiam_table4_2": ("shots", "method")}


def read_table(path: str | Path | None, kind: str) -> pd.DataFrame | None:
    """Read one input CSV (None -> None), checking its columns and that its keys are unique."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"claims: {kind} file {path} not found")
    df = pd.read_csv(path)
    missing = [c for c in REQUIRED[kind] if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; a {kind} CSV needs {list(REQUIRED[kind])}")
    dup = df.duplicated(list(KEYS[kind]))
    if dup.any():
        raise ValueError(f"{path}: duplicate {list(KEYS[kind])} rows, e.g. {df[dup].iloc[0][list(KEYS[kind])].tolist()}")
    return df


def _run(claim: Claim, tables: Tables) -> tuple[object, str]:
    try:
        holds, detail = claim.check(tables)
    except Missing as why:
        return NA, f"n/a ({why})"
    return bool(holds), detail


def evaluate_claims(ours: Tables, paper: Tables | None = None) -> pd.DataFrame:
    """One row per claim: claim, source, statement, ours, paper, paper_holds, supported, note."""
    paper = paper_tables() if paper is None else paper
    rows = []
    for c in CLAIMS:
        supported, ours_detail = _run(c, ours)
        paper_holds, paper_detail = _run(c, paper)
        rows.append({"claim": c.id, "source": c.source, "statement": c.statement, "ours": ours_detail,
                     "paper": paper_detail, "paper_holds": paper_holds, "supported": supported, "note": c.note})
    return pd.DataFrame(rows)


def _preset(tables: Tables) -> str:
    presets = set()
    for df in vars(tables).values():
        if df is not None and "preset" in df.columns:
            presets.update(str(p) for p in df["preset"].dropna().unique())
    return ", ".join(sorted(presets))


def render_markdown(df: pd.DataFrame, preset: str = "") -> str:
    mark = {True: "✓", False: "✗"}
    lines = ["# Claims check", "",
             "Each claim is computed from the result tables: *ours* on our CSVs, *paper* on the papers' "
             "numbers (`paper_numbers.py`). ✓ holds, ✗ does not, – input missing."]
    if preset:
        lines.append(f"Preset(s) of the inputs: {preset}. Qualitative orderings are what must hold at every scale.")
    lines += ["", "| id | source | claim | paper | ours | paper numbers | our numbers |", "|---|---|---|---|---|---|---|"]
    for r in df.to_dict("records"):
        note = f" ({r['note']})" if r["note"] else ""
        if r.get("diagnosis"):
            note += f" — why it fails here: {r['diagnosis']}"
        cells = [r["claim"], r["source"], r["statement"] + note, mark.get(r["paper_holds"], "–"),
                 mark.get(r["supported"], "–"), r["paper"], r["ours"]]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def add_diagnoses(df: pd.DataFrame, preset: str) -> pd.DataFrame:
    """Column ``diagnosis``: the claim's known embedded-scale cause beside each failure of a non-paper preset."""
    by_id = {c.id: c.diagnosis for c in CLAIMS}
    paper_scale = bool(preset) and all(p.strip().startswith("paper-") for p in preset.split(","))
    failed = [s is not NA and not bool(s) for s in df["supported"]]
    df["diagnosis"] = [by_id[cid] if (not paper_scale and f) else ""
                       for cid, f in zip(df["claim"], failed)]
    return df


def build_claims(table1_csv: str | Path | None, table2_csv: str | Path | None,
                 diffae_table2_csv: str | Path | None = None, ppl_csv: str | Path | None = None,
                 out_csv: str | Path | None = None, out_md: str | Path | None = None,
                 diffae_table4_csv: str | Path | None = None, diffae_ppl_csv: str | Path | None = None,
                 diffae_table7_csv: str | Path | None = None, diffae_table3_csv: str | Path | None = None,
                 diffae_table8_csv: str | Path | None = None, diffae_table9_csv: str | Path | None = None,
                 diffae_table10_csv: str | Path | None = None, diffsiam_table4_1_csv: str | Path | None = None,
                 diffsiam_table4_2_csv: str | Path | None = None) -> pd.DataFrame:
    """Check every claim in CLAIMS on our tables (None input -> its claims read NA); write CSV and markdown.

    Columns: claim, source, statement, ours, paper, paper_holds, supported (True / False / "NA"), note,
    diagnosis (see ``add_diagnoses``), preset.
    """
    ours = Tables(read_table(table1_csv, "table1"), read_table(table2_csv, "table2"),
                  read_table(diffae_table2_csv, "diffae_table2"), read_table(ppl_csv, "ppl"),
                  read_table(diffae_table4_csv, "diffae_table4"), read_table(diffae_ppl_csv, "diffae_ppl"),
                  read_table(diffae_table7_csv, "diffae_table7"),
                  **{k: read_table(p, k) for k, p in (("diffae_table3", diffae_table3_csv),
                                                      ("diffae_table8", diffae_table8_csv),
                                                      ("diffae_table9", diffae_table9_csv),
                                                      ("diffae_table10", diffae_table10_csv),
                                                      ("diffsiam_table4_1", diffsiam_table4_1_csv),
                                                      ("diffsiam_table4_2", diffsiam_table4_2_csv))})
    df = evaluate_claims(ours)
    preset = _preset(ours)
    df = add_diagnoses(df, preset)
    df["preset"] = preset
    if out_csv is not None:
        write_table(df.to_dict("records"), out_csv)
    if out_md is not None:
        atomic_write_text(out_md, render_markdown(df, preset))
    return df
