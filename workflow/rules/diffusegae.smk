# DiffuseGAE (primary paper): GAE, joint fine-tuning, baselines, Tables 1-2, Figures 2 and 5-10, claims.
from diffae.eval.figure_data import EDITING_FIGURES

FIG = f"{REPORTS}/figures"
GROUPS_TRAIN = f"{ILAB}/groups_train.csv"
GROUPS_TEST = f"{ILAB}/groups_test.csv"

DIFFUSEGAE_TARGETS = (
    [
        f"{REPORTS}/table1.csv",
        f"{REPORTS}/table2.csv",
        f"{FIG}/fig2_tsne_diffae.png",
        f"{FIG}/fig6_replacement.png",
        f"{FIG}/fig10_ppl.png",
    ]
    if ILAB_CHAIN
    else []
)
# The claims check and the metrics summary cover whichever chains run (their claims read NA otherwise).
DIFFUSEGAE_TARGETS += [f"{REPORTS}/claims.csv", f"{REPORTS}/metrics.json"]
DIFFUSEGAE_TABLES_INPUT = (
    {
        "table1": f"{REPORTS}/table1.csv",
        "table2": f"{REPORTS}/table2.csv",
        "ppl": f"{FIG}/fig10_ppl.csv",
    }
    if ILAB_CHAIN
    else {}
)
DIFFUSEGAE_TABLES_FLAGS = (
    "--table1 {input.table1} --table2 {input.table2} --ppl {input.ppl} "
    if ILAB_CHAIN
    else ""
)


rule train_gae:
    input:
        latents=f"{LATENTS}/diffae_ilab.npz",
        labels=f"{ILAB}/labels.csv",
        groups=GROUPS_TRAIN,
    output:
        f"{MODELS}/gae/final.pt",
    log:
        f"{LOGS}/train_gae.log",
    benchmark:
        f"{BENCH}/train_gae.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-gae"),
    shell:
        f"{TRAIN_LAUNCH} train-gae --params {{params.cfg}} --latents {{input.latents}} --prepared {ILAB} --groups "
        f"{{input.groups}} --out {MODELS}/gae 2>&1 | tee {{log}}"


rule finetune:
    input:
        diffae=f"{MODELS}/diffae/final.pt",
        gae=f"{MODELS}/gae/final.pt",
        images=f"{ILAB}/images.npy",
        groups=GROUPS_TRAIN,
    output:
        f"{MODELS}/diffusegae/final.pt",
    log:
        f"{LOGS}/finetune.log",
    benchmark:
        f"{BENCH}/finetune.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("finetune"),
    shell:
        f"{TRAIN_LAUNCH} finetune --params {{params.cfg}} --diffae {{input.diffae}} --gae {{input.gae}} --prepared "
        f"{ILAB} --groups {{input.groups}} --out {MODELS}/diffusegae 2>&1 | tee {{log}}"


rule train_gzsnet:
    input:
        images=f"{ILAB}/images.npy",
        groups=GROUPS_TRAIN,
    output:
        f"{MODELS}/gzsnet/final.pt",
    log:
        f"{LOGS}/train_gzsnet.log",
    benchmark:
        f"{BENCH}/train_gzsnet.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-gzsnet"),
    shell:
        f"{TRAIN_LAUNCH} train-gzsnet --params {{params.cfg}} --prepared {ILAB} --groups {{input.groups}} --out "
        f"{MODELS}/gzsnet 2>&1 | tee {{log}}"


rule train_aeds:
    input:
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{MODELS}/aeds/final.pt",
    log:
        f"{LOGS}/train_aeds.log",
    benchmark:
        f"{BENCH}/train_aeds.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-aeds"),
    shell:
        f"{TRAIN_LAUNCH} train-aeds --params {{params.cfg}} --prepared {ILAB} --split {{input.split}} --out "
        f"{MODELS}/aeds 2>&1 | tee {{log}}"


rule encode_diffusegae:
    input:
        model=f"{MODELS}/diffusegae/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/diffusegae_ilab.npz",
    log:
        f"{LOGS}/encode_diffusegae.log",
    benchmark:
        f"{BENCH}/encode_diffusegae.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("encode-method"),
    shell:
        f"diffae encode-method --params {{params.cfg}} --method diffusegae --model {{input.model}} "
        f"--prepared {ILAB} --split {{input.split}} --out {{output}} 2>&1 | tee {{log}}"


rule encode_gzsnet:
    input:
        model=f"{MODELS}/gzsnet/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/gzsnet_ilab.npz",
    log:
        f"{LOGS}/encode_gzsnet.log",
    benchmark:
        f"{BENCH}/encode_gzsnet.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("encode-method"),
    shell:
        f"diffae encode-method --params {{params.cfg}} --method gzsnet --model {{input.model}} --prepared "
        f"{ILAB} --split {{input.split}} --out {{output}} 2>&1 | tee {{log}}"


rule encode_aeds:
    input:
        model=f"{MODELS}/aeds/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/aeds_ilab.npz",
    log:
        f"{LOGS}/encode_aeds.log",
    benchmark:
        f"{BENCH}/encode_aeds.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("encode-method"),
    shell:
        f"diffae encode-method --params {{params.cfg}} --method aeds --model {{input.model}} --prepared "
        f"{ILAB} --split {{input.split}} --out {{output}} 2>&1 | tee {{log}}"


rule eval_table1:
    input:
        diffusegae=f"{LATENTS}/diffusegae_ilab.npz",
        diffae=f"{LATENTS}/diffae_ilab.npz",
        gzsnet=f"{LATENTS}/gzsnet_ilab.npz",
        aeds=f"{LATENTS}/aeds_ilab.npz",
    output:
        f"{EVAL}/diffusegae_table1.csv",
    log:
        f"{LOGS}/eval_table1.log",
    benchmark:
        f"{BENCH}/eval_table1.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-table1"),
    shell:
        f"diffae eval-table1 --params {{params.cfg}} --diffusegae {{input.diffusegae}} --diffae "
        f"{{input.diffae}} --gzsnet {{input.gzsnet}} --aeds {{input.aeds}} --prepared {ILAB} --out "
        f"{{output}} 2>&1 | tee {{log}}"


rule table1:
    input:
        f"{EVAL}/diffusegae_table1.csv",
    output:
        report(
            f"{REPORTS}/table1.csv",
            caption="../report/table1.rst",
            category="DiffuseGAE",
        ),
    log:
        f"{LOGS}/table1.log",
    benchmark:
        f"{BENCH}/table1.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table1"),
    shell:
        f"diffae table1 --params {{params.cfg}} --numbers {{input}} --out {{output}} 2>&1 | tee {{log}}"


rule eval_table2:
    input:
        diffusegae=f"{MODELS}/diffusegae/final.pt",
        diffae=f"{MODELS}/diffae/final.pt",
        gzsnet=f"{MODELS}/gzsnet/final.pt",
        ddim=f"{MODELS}/ddim/final.pt",
        groups=GROUPS_TEST,
    output:
        f"{EVAL}/diffusegae_table2.csv",
    log:
        f"{LOGS}/eval_table2.log",
    benchmark:
        f"{BENCH}/eval_table2.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-table2"),
    shell:
        f"diffae eval-table2 --params {{params.cfg}} --diffusegae {{input.diffusegae}} --diffae "
        f"{{input.diffae}} --gzsnet {{input.gzsnet}} --ddim {{input.ddim}} --prepared {ILAB} --groups "
        f"{{input.groups}} --out {{output}} 2>&1 | tee {{log}}"


rule table2:
    input:
        f"{EVAL}/diffusegae_table2.csv",
    output:
        report(
            f"{REPORTS}/table2.csv",
            caption="../report/table2.rst",
            category="DiffuseGAE",
        ),
    log:
        f"{LOGS}/table2.log",
    benchmark:
        f"{BENCH}/table2.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table2"),
    shell:
        f"diffae table2 --params {{params.cfg}} --numbers {{input}} --out {{output}} 2>&1 | tee {{log}}"


rule eval_tsne:
    input:
        diffusegae=f"{LATENTS}/diffusegae_ilab.npz",
        diffae=f"{LATENTS}/diffae_ilab.npz",
    output:
        fig2=f"{EVAL}/tsne_fig2.npz",
        fig5=f"{EVAL}/tsne_fig5.npz",
    log:
        f"{LOGS}/eval_tsne.log",
    benchmark:
        f"{BENCH}/eval_tsne.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-tsne"),
    shell:
        f"diffae eval-tsne --params {{params.cfg}} --diffusegae {{input.diffusegae}} --diffae "
        f"{{input.diffae}} --prepared {ILAB} --fig2 {{output.fig2}} --fig5 {{output.fig5}} 2>&1 | tee "
        f"{{log}}"


rule figures_tsne:
    input:
        fig2=f"{EVAL}/tsne_fig2.npz",
        fig5=f"{EVAL}/tsne_fig5.npz",
    output:
        fig2=report(
            f"{FIG}/fig2_tsne_diffae.png",
            caption="../report/fig2.rst",
            category="DiffuseGAE",
        ),
        fig5=report(
            f"{FIG}/fig5_tsne_zsem_zdis.png",
            caption="../report/fig5.rst",
            category="DiffuseGAE",
        ),
    log:
        f"{LOGS}/figures_tsne.log",
    benchmark:
        f"{BENCH}/figures_tsne.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("figures-tsne"),
    shell:
        f"diffae figures-tsne --params {{params.cfg}} --fig2-data {{input.fig2}} --fig5-data "
        f"{{input.fig5}} --fig2 {{output.fig2}} --fig5 {{output.fig5}} 2>&1 | tee {{log}}"


rule eval_editing:
    input:
        diffusegae=f"{MODELS}/diffusegae/final.pt",
        diffae=f"{MODELS}/diffae/final.pt",
        gzsnet=f"{MODELS}/gzsnet/final.pt",
        aeds=f"{MODELS}/aeds/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        [f"{EVAL}/editing/{name}.npz" for name in EDITING_FIGURES],
    log:
        f"{LOGS}/eval_editing.log",
    benchmark:
        f"{BENCH}/eval_editing.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-editing"),
    shell:
        f"diffae eval-editing --params {{params.cfg}} --diffusegae {{input.diffusegae}} --diffae "
        f"{{input.diffae}} --gzsnet {{input.gzsnet}} --aeds {{input.aeds}} --prepared {ILAB} --split "
        f"{{input.split}} --outdir {EVAL}/editing 2>&1 | tee {{log}}"


rule figures_editing:
    input:
        [f"{EVAL}/editing/{name}.npz" for name in EDITING_FIGURES],
    output:
        [
            report(
                f"{FIG}/{name}.png",
                caption="../report/editing.rst",
                category="DiffuseGAE",
            )
            for name in EDITING_FIGURES
        ],
    log:
        f"{LOGS}/figures_editing.log",
    benchmark:
        f"{BENCH}/figures_editing.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("figures-editing"),
    shell:
        f"diffae figures-editing --params {{params.cfg}} --grids {EVAL}/editing --outdir {FIG} 2>&1 | tee "
        f"{{log}}"


rule eval_ppl:
    input:
        diffusegae=f"{MODELS}/diffusegae/final.pt",
        diffae=f"{MODELS}/diffae/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{EVAL}/ppl.csv",
    log:
        f"{LOGS}/eval_ppl.log",
    benchmark:
        f"{BENCH}/eval_ppl.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-ppl"),
    shell:
        f"diffae eval-ppl --params {{params.cfg}} --diffusegae {{input.diffusegae}} --diffae "
        f"{{input.diffae}} --prepared {ILAB} --split {{input.split}} --out {{output}} 2>&1 | tee {{log}}"


rule figure_ppl:
    input:
        f"{EVAL}/ppl.csv",
    output:
        png=report(
            f"{FIG}/fig10_ppl.png",
            caption="../report/fig10.rst",
            category="DiffuseGAE",
        ),
        csv=f"{FIG}/fig10_ppl.csv",
    log:
        f"{LOGS}/figure_ppl.log",
    benchmark:
        f"{BENCH}/figure_ppl.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("figure-ppl"),
    shell:
        f"diffae figure-ppl --params {{params.cfg}} --numbers {{input}} --out {{output.png}} --csv "
        f"{{output.csv}} 2>&1 | tee {{log}}"


rule claims:
    input:
        **DIFFAE_TABLE2_INPUT,
        **DIFFAE_ZOO_INPUT,
        **DIFFAE_ATTR_INPUT,
        **DIFFUSEGAE_TABLES_INPUT,
        **DIFFSIAM_TABLES_INPUT,
    output:
        csv=report(
            f"{REPORTS}/claims.csv", caption="../report/claims.rst", category="Claims"
        ),
        md=f"{REPORTS}/claims.md",
    log:
        f"{LOGS}/claims.log",
    benchmark:
        f"{BENCH}/claims.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("claims"),
    shell:
        f"diffae claims --params {{params.cfg}} {DIFFUSEGAE_TABLES_FLAGS}{DIFFAE_TABLE2_FLAG}{DIFFAE_ZOO_FLAGS}"
        f"{DIFFAE_ATTR_FLAGS}{DIFFSIAM_TABLES_FLAGS}--out "
        f"{{output.csv}} --md {{output.md}} 2>&1 | tee {{log}}"


rule metrics:
    input:
        **DIFFAE_TABLE2_INPUT,
        **DIFFAE_ZOO_INPUT,
        **DIFFAE_ATTR_INPUT,
        **DIFFSIAM_TABLES_INPUT,
        **DIFFUSEGAE_TABLES_INPUT,
        claims=f"{REPORTS}/claims.csv",
    output:
        f"{REPORTS}/metrics.json",
    log:
        f"{LOGS}/metrics.log",
    benchmark:
        f"{BENCH}/metrics.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("metrics"),
    shell:
        f"diffae metrics --params {{params.cfg}} {DIFFUSEGAE_TABLES_FLAGS}{DIFFAE_TABLE2_FLAG}{DIFFAE_ZOO_FLAGS}"
        f"{DIFFAE_ATTR_FLAGS}{DIFFSIAM_TABLES_FLAGS}--claims {{input.claims}} --out {{output}} 2>&1 | tee {{log}}"
