# DiffuseGAE (primary paper): GAE, joint fine-tuning, baselines, Tables 1-2, Figures 2 and 5-10, claims.
from diffae.eval.figure_data import EDITING_FIGURES

FIG = f"{REPORTS}/figures"
GROUPS_TRAIN = f"{ILAB}/groups_train.csv"
GROUPS_TEST = f"{ILAB}/groups_test.csv"

DIFFUSEGAE_TARGETS = [
    f"{REPORTS}/table1.csv",
    f"{REPORTS}/table2.csv",
    f"{REPORTS}/claims.csv",
    f"{FIG}/fig2_tsne_diffae.png",
    f"{FIG}/fig6_replacement.png",
    f"{FIG}/fig10_ppl.png",
]


rule train_gae:
    input:
        latents=f"{LATENTS}/diffae_ilab.npz",
        labels=f"{ILAB}/labels.csv",
        groups=GROUPS_TRAIN,
    output:
        f"{MODELS}/gae/final.pt",
    params:
        cfg=PARAMS,
        tracked=tracked("train-gae"),
    shell:
        "diffae train-gae --params {params.cfg} --latents {input.latents} --prepared "
        + ILAB
        + " --groups {input.groups} --out "
        + MODELS
        + "/gae"


rule finetune:
    input:
        diffae=f"{MODELS}/diffae/final.pt",
        gae=f"{MODELS}/gae/final.pt",
        images=f"{ILAB}/images.npy",
        groups=GROUPS_TRAIN,
    output:
        f"{MODELS}/diffusegae/final.pt",
    resources:
        gpu=1,
    params:
        cfg=PARAMS,
        tracked=tracked("finetune"),
    shell:
        "diffae finetune --params {params.cfg} --diffae {input.diffae} --gae {input.gae} --prepared "
        + ILAB
        + " --groups {input.groups} --out "
        + MODELS
        + "/diffusegae"


rule train_gzsnet:
    input:
        images=f"{ILAB}/images.npy",
        groups=GROUPS_TRAIN,
    output:
        f"{MODELS}/gzsnet/final.pt",
    resources:
        gpu=1,
    params:
        cfg=PARAMS,
        tracked=tracked("train-gzsnet"),
    shell:
        "diffae train-gzsnet --params {params.cfg} --prepared "
        + ILAB
        + " --groups {input.groups} --out "
        + MODELS
        + "/gzsnet"


rule train_aeds:
    input:
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{MODELS}/aeds/final.pt",
    resources:
        gpu=1,
    params:
        cfg=PARAMS,
        tracked=tracked("train-aeds"),
    shell:
        "diffae train-aeds --params {params.cfg} --prepared "
        + ILAB
        + " --split {input.split} --out "
        + MODELS
        + "/aeds"


rule encode_diffusegae:
    input:
        model=f"{MODELS}/diffusegae/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/diffusegae_ilab.npz",
    params:
        cfg=PARAMS,
        tracked=tracked("encode-method"),
    shell:
        "diffae encode-method --params {params.cfg} --method diffusegae --model {input.model} --prepared "
        + ILAB
        + " --split {input.split} --out {output}"


rule encode_gzsnet:
    input:
        model=f"{MODELS}/gzsnet/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/gzsnet_ilab.npz",
    params:
        cfg=PARAMS,
        tracked=tracked("encode-method"),
    shell:
        "diffae encode-method --params {params.cfg} --method gzsnet --model {input.model} --prepared "
        + ILAB
        + " --split {input.split} --out {output}"


rule encode_aeds:
    input:
        model=f"{MODELS}/aeds/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/aeds_ilab.npz",
    params:
        cfg=PARAMS,
        tracked=tracked("encode-method"),
    shell:
        "diffae encode-method --params {params.cfg} --method aeds --model {input.model} --prepared "
        + ILAB
        + " --split {input.split} --out {output}"


rule eval_table1:
    input:
        diffusegae=f"{LATENTS}/diffusegae_ilab.npz",
        diffae=f"{LATENTS}/diffae_ilab.npz",
        gzsnet=f"{LATENTS}/gzsnet_ilab.npz",
        aeds=f"{LATENTS}/aeds_ilab.npz",
    output:
        f"{EVAL}/diffusegae_table1.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("eval-table1"),
    shell:
        "diffae eval-table1 --params {params.cfg} --diffusegae {input.diffusegae} --diffae {input.diffae} --gzsnet "
        "{input.gzsnet} --aeds {input.aeds} --prepared " + ILAB + " --out {output}"


rule table1:
    input:
        f"{EVAL}/diffusegae_table1.csv",
    output:
        f"{REPORTS}/table1.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("table1"),
    shell:
        "diffae table1 --params {params.cfg} --numbers {input} --out {output}"


rule eval_table2:
    input:
        diffusegae=f"{MODELS}/diffusegae/final.pt",
        diffae=f"{MODELS}/diffae/final.pt",
        gzsnet=f"{MODELS}/gzsnet/final.pt",
        ddim=f"{MODELS}/ddim/final.pt",
        groups=GROUPS_TEST,
    output:
        f"{EVAL}/diffusegae_table2.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("eval-table2"),
    shell:
        "diffae eval-table2 --params {params.cfg} --diffusegae {input.diffusegae} --diffae {input.diffae} --gzsnet "
        "{input.gzsnet} --ddim {input.ddim} --prepared "
        + ILAB
        + " --groups {input.groups} --out {output}"


rule table2:
    input:
        f"{EVAL}/diffusegae_table2.csv",
    output:
        f"{REPORTS}/table2.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("table2"),
    shell:
        "diffae table2 --params {params.cfg} --numbers {input} --out {output}"


rule eval_tsne:
    input:
        diffusegae=f"{LATENTS}/diffusegae_ilab.npz",
        diffae=f"{LATENTS}/diffae_ilab.npz",
    output:
        fig2=f"{EVAL}/tsne_fig2.npz",
        fig5=f"{EVAL}/tsne_fig5.npz",
    params:
        cfg=PARAMS,
        tracked=tracked("eval-tsne"),
    shell:
        "diffae eval-tsne --params {params.cfg} --diffusegae {input.diffusegae} --diffae {input.diffae} "
        "--prepared " + ILAB + " --fig2 {output.fig2} --fig5 {output.fig5}"


rule figures_tsne:
    input:
        fig2=f"{EVAL}/tsne_fig2.npz",
        fig5=f"{EVAL}/tsne_fig5.npz",
    output:
        fig2=f"{FIG}/fig2_tsne_diffae.png",
        fig5=f"{FIG}/fig5_tsne_zsem_zdis.png",
    params:
        cfg=PARAMS,
        tracked=tracked("figures-tsne"),
    shell:
        "diffae figures-tsne --params {params.cfg} --fig2-data {input.fig2} --fig5-data {input.fig5} "
        "--fig2 {output.fig2} --fig5 {output.fig5}"


rule eval_editing:
    input:
        diffusegae=f"{MODELS}/diffusegae/final.pt",
        diffae=f"{MODELS}/diffae/final.pt",
        gzsnet=f"{MODELS}/gzsnet/final.pt",
        aeds=f"{MODELS}/aeds/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        [f"{EVAL}/editing/{name}.npz" for name in EDITING_FIGURES],
    params:
        cfg=PARAMS,
        tracked=tracked("eval-editing"),
    shell:
        "diffae eval-editing --params {params.cfg} --diffusegae {input.diffusegae} --diffae {input.diffae} "
        "--gzsnet {input.gzsnet} --aeds {input.aeds} --prepared "
        + ILAB
        + " --split {input.split} --outdir "
        + EVAL
        + "/editing"


rule figures_editing:
    input:
        [f"{EVAL}/editing/{name}.npz" for name in EDITING_FIGURES],
    output:
        [f"{FIG}/{name}.png" for name in EDITING_FIGURES],
    params:
        cfg=PARAMS,
        tracked=tracked("figures-editing"),
    shell:
        "diffae figures-editing --params {params.cfg} --grids "
        + EVAL
        + "/editing --outdir "
        + FIG


rule eval_ppl:
    input:
        diffusegae=f"{MODELS}/diffusegae/final.pt",
        diffae=f"{MODELS}/diffae/final.pt",
        split=f"{ILAB}/split.csv",
    output:
        f"{EVAL}/ppl.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("eval-ppl"),
    shell:
        "diffae eval-ppl --params {params.cfg} --diffusegae {input.diffusegae} --diffae {input.diffae} "
        "--prepared " + ILAB + " --split {input.split} --out {output}"


rule figure_ppl:
    input:
        f"{EVAL}/ppl.csv",
    output:
        png=f"{FIG}/fig10_ppl.png",
        csv=f"{FIG}/fig10_ppl.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("figure-ppl"),
    shell:
        "diffae figure-ppl --params {params.cfg} --numbers {input} --out {output.png} --csv {output.csv}"


rule claims:
    input:
        table1=f"{REPORTS}/table1.csv",
        table2=f"{REPORTS}/table2.csv",
        diffae_table2=f"{REPORTS}/diffae/table2.csv",
        ppl=f"{FIG}/fig10_ppl.csv",
    output:
        csv=f"{REPORTS}/claims.csv",
        md=f"{REPORTS}/claims.md",
    params:
        cfg=PARAMS,
        tracked=tracked("claims"),
    shell:
        "diffae claims --params {params.cfg} --table1 {input.table1} --table2 {input.table2} --diffae-table2 "
        "{input.diffae_table2} --ppl {input.ppl} --out {output.csv} --md {output.md}"
