# Diff-AE stages. On iLab: diffusion autoencoder, DDIM baseline, latents and latent DDIM (DiffuseGAE's input).
# Per dataset of diffae_zoo.datasets (FFHQ, CelebA-64, LSUN Horse/Bedroom): Diff-AE, DDIM, z_sem and a latent
# DDIM, for Table 4, PPL and the figures; FFHQ's are tested on CelebA-HQ for Tables 1 and 2 (as the paper).

MODELS = f"{DATA}/models"
LATENTS = f"{DATA}/latents"
EVAL = f"{DATA}/eval"  # our numbers, embeddings and image grids; the report rules format and draw them
FACES = f"{MODELS}/ffhq"  # models trained on the faces (FFHQ)

# ZOO (common.smk): the zoo datasets that run; their Table 4 numbers and figure grids.
ZOO_RE = "|".join(ZOO) or "^$"
TABLE4_NUMBERS = ",".join(f"{EVAL}/diffae_table4_{d}.csv" for d in ZOO)
DIFFAE_GRIDS = [
    f"{EVAL}/diffae_{kind}_{d}" for d in ZOO for kind in ("samples", "figures")
]

DIFFAE_TARGETS = []
if ILAB_CHAIN:
    DIFFAE_TARGETS += [f"{LATENTS}/diffae_ilab.npz", f"{MODELS}/latent_ddim/final.pt"]
if FACES_CHAIN:
    DIFFAE_TARGETS += [f"{REPORTS}/diffae/table2.csv", f"{REPORTS}/diffae/table1.csv"]
if ZOO:
    DIFFAE_TARGETS += [
        f"{REPORTS}/diffae/table4.csv",
        f"{REPORTS}/diffae/table7.csv",
        f"{REPORTS}/diffae/figures",
    ]
if "ffhq" in ZOO:
    DIFFAE_TARGETS += [f"{REPORTS}/diffae/ppl.csv"]
DIFFAE_TARGETS += [f"{REPORTS}/diffae/table5.csv"]

# Attributes (diffae_attributes.smk): FFHQ's Diff-AE on CelebA-HQ (Tables 8-10, Figs 5, 13, 17), CelebA's
# few-shot generation (Table 3, Figs 18-19).
ATTR_CHAIN = FACES_CHAIN and "ffhq" in ZOO
FEWSHOT_CHAIN = "celeba" in ZOO
if ATTR_CHAIN:
    DIFFAE_TARGETS += [
        f"{REPORTS}/diffae/{t}.csv" for t in ("table8", "table9", "table10")
    ]
    DIFFAE_GRIDS += [f"{EVAL}/diffae_manipulation_figures"]
if FEWSHOT_CHAIN:
    DIFFAE_TARGETS += [f"{REPORTS}/diffae/table3.csv"]
    DIFFAE_GRIDS += [f"{EVAL}/diffae_fewshot_figures"]
# ... and the claims read their reports.
DIFFAE_ATTR_INPUT = {
    f"diffae_table{n}": f"{REPORTS}/diffae/table{n}.csv"
    for n in ((8, 9, 10) if ATTR_CHAIN else ()) + ((3,) if FEWSHOT_CHAIN else ())
}
DIFFAE_ATTR_FLAGS = "".join(
    f"--{key.replace('_', '-')} {{input.{key}}} " for key in DIFFAE_ATTR_INPUT
)

# Diff-AE's paper presets: Tables 5 and 6 report their hyper-parameters.
DIFFAE_PAPER_PRESETS = sorted(glob.glob("presets/paper-diffae-*.yaml"))
DIFFAE_PAPER_PRESETS_ARG = ",".join(DIFFAE_PAPER_PRESETS)

# Claims and the metrics summary read Diff-AE Table 2 when the faces chain runs.
DIFFAE_TABLE2_INPUT = (
    {"diffae_table2": f"{REPORTS}/diffae/table2.csv"} if FACES_CHAIN else {}
)
DIFFAE_TABLE2_FLAG = "--diffae-table2 {input.diffae_table2} " if FACES_CHAIN else ""
# ... and Tables 4, 7 and the PPL table when the zoo runs (PPL needs FFHQ's models).
DIFFAE_ZOO_INPUT = {}
if ZOO:
    DIFFAE_ZOO_INPUT.update(
        diffae_table4=f"{REPORTS}/diffae/table4.csv",
        diffae_table7=f"{REPORTS}/diffae/table7.csv",
    )
if "ffhq" in ZOO:
    DIFFAE_ZOO_INPUT["diffae_ppl"] = f"{REPORTS}/diffae/ppl.csv"
DIFFAE_ZOO_FLAGS = "".join(
    f"--{key.replace('_', '-')} {{input.{key}}} " for key in DIFFAE_ZOO_INPUT
)


rule train_diffae:
    input:
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{MODELS}/diffae/final.pt",
    log:
        f"{LOGS}/train_diffae.log",
    benchmark:
        f"{BENCH}/train_diffae.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffae"),
    shell:
        f"{TRAIN_LAUNCH} train-diffae --params {{params.cfg}} --prepared {ILAB} --split {{input.split}} --out "
        f"{MODELS}/diffae 2>&1 | tee {{log}}"


rule train_ddim:
    input:
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{MODELS}/ddim/final.pt",
    log:
        f"{LOGS}/train_ddim.log",
    benchmark:
        f"{BENCH}/train_ddim.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-ddim"),
    shell:
        f"{TRAIN_LAUNCH} train-ddim --params {{params.cfg}} --prepared {ILAB} --split {{input.split}} --out "
        f"{MODELS}/ddim 2>&1 | tee {{log}}"


rule encode_diffae:
    input:
        model=f"{MODELS}/diffae/final.pt",
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/diffae_ilab.npz",
    log:
        f"{LOGS}/encode_diffae.log",
    benchmark:
        f"{BENCH}/encode_diffae.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("encode"),
    shell:
        f"diffae encode --params {{params.cfg}} --model {{input.model}} --prepared {ILAB} --split "
        f"{{input.split}} --out {{output}} 2>&1 | tee {{log}}"


rule train_latent_ddim:
    input:
        f"{LATENTS}/diffae_ilab.npz",
    output:
        f"{MODELS}/latent_ddim/final.pt",
    log:
        f"{LOGS}/train_latent_ddim.log",
    benchmark:
        f"{BENCH}/train_latent_ddim.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-latent-ddim"),
    shell:
        f"{TRAIN_LAUNCH} train-latent-ddim --params {{params.cfg}} --latents {{input}} --out {MODELS}/latent_ddim "
        f"2>&1 | tee {{log}}"


rule train_diffae_zoo:
    input:
        f"{DATA}/prepared/{{ds}}/images.npy",
    output:
        f"{MODELS}/{{ds}}/diffae/final.pt",
    log:
        f"{LOGS}/train_diffae_zoo_{{ds}}.log",
    benchmark:
        f"{BENCH}/train_diffae_zoo_{{ds}}.tsv"
    wildcard_constraints:
        ds=ZOO_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffae-zoo"),
    shell:
        f"{TRAIN_LAUNCH} train-diffae-zoo --params {{params.cfg}} --dataset {{wildcards.ds}} --prepared "
        f"{DATA}/prepared/{{wildcards.ds}} "
        f"--out {MODELS}/{{wildcards.ds}}/diffae 2>&1 | tee {{log}}"


rule train_ddim_zoo:
    input:
        f"{DATA}/prepared/{{ds}}/images.npy",
    output:
        f"{MODELS}/{{ds}}/ddim/final.pt",
    log:
        f"{LOGS}/train_ddim_zoo_{{ds}}.log",
    benchmark:
        f"{BENCH}/train_ddim_zoo_{{ds}}.tsv"
    wildcard_constraints:
        ds=ZOO_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-ddim-zoo"),
    shell:
        f"{TRAIN_LAUNCH} train-ddim-zoo --params {{params.cfg}} --dataset {{wildcards.ds}} --prepared "
        f"{DATA}/prepared/{{wildcards.ds}} "
        f"--out {MODELS}/{{wildcards.ds}}/ddim 2>&1 | tee {{log}}"


rule encode_zoo:
    input:
        model=f"{MODELS}/{{ds}}/diffae/final.pt",
        images=f"{DATA}/prepared/{{ds}}/images.npy",
    output:
        f"{LATENTS}/{{ds}}_zsem.npz",
    log:
        f"{LOGS}/encode_zoo_{{ds}}.log",
    benchmark:
        f"{BENCH}/encode_zoo_{{ds}}.tsv"
    wildcard_constraints:
        ds=ZOO_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("encode-zoo"),
    shell:
        f"diffae encode-zoo --params {{params.cfg}} --model {{input.model}} --prepared {DATA}/prepared/{{wildcards.ds}} "
        f"--out {{output}} 2>&1 | tee {{log}}"


rule train_latent_zoo:
    input:
        f"{LATENTS}/{{ds}}_zsem.npz",
    output:
        f"{MODELS}/{{ds}}/latent_ddim/final.pt",
    log:
        f"{LOGS}/train_latent_zoo_{{ds}}.log",
    benchmark:
        f"{BENCH}/train_latent_zoo_{{ds}}.tsv"
    wildcard_constraints:
        ds=ZOO_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-latent-zoo"),
    shell:
        f"{TRAIN_LAUNCH} train-latent-zoo --params {{params.cfg}} --dataset {{wildcards.ds}} --latents {{input}} "
        f"--out {MODELS}/{{wildcards.ds}}/latent_ddim 2>&1 | tee {{log}}"


rule eval_diffae_uncond:
    input:
        diffae=f"{MODELS}/{{ds}}/diffae/final.pt",
        ddim=f"{MODELS}/{{ds}}/ddim/final.pt",
        latent=f"{MODELS}/{{ds}}/latent_ddim/final.pt",
        latents=f"{LATENTS}/{{ds}}_zsem.npz",
        images=f"{DATA}/prepared/{{ds}}/images.npy",
    output:
        numbers=f"{EVAL}/diffae_table4_{{ds}}.csv",
        figures=directory(f"{EVAL}/diffae_samples_{{ds}}"),
    log:
        f"{LOGS}/eval_diffae_uncond_{{ds}}.log",
    benchmark:
        f"{BENCH}/eval_diffae_uncond_{{ds}}.tsv"
    wildcard_constraints:
        ds=ZOO_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-uncond"),
    shell:
        f"diffae eval-diffae-uncond --params {{params.cfg}} --dataset {{wildcards.ds}} --diffae {{input.diffae}} "
        f"--ddim {{input.ddim}} --latent {{input.latent}} --latents {{input.latents}} --prepared "
        f"{DATA}/prepared/{{wildcards.ds}} --out {{output.numbers}} --figures {{output.figures}} 2>&1 | tee {{log}}"


rule eval_diffae_figures:
    input:
        diffae=f"{MODELS}/{{ds}}/diffae/final.pt",
        ddim=f"{MODELS}/{{ds}}/ddim/final.pt",
        images=f"{DATA}/prepared/{{ds}}/images.npy",
    output:
        directory(f"{EVAL}/diffae_figures_{{ds}}"),
    log:
        f"{LOGS}/eval_diffae_figures_{{ds}}.log",
    benchmark:
        f"{BENCH}/eval_diffae_figures_{{ds}}.tsv"
    wildcard_constraints:
        ds=ZOO_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-figures"),
    shell:
        f"diffae eval-diffae-figures --params {{params.cfg}} --dataset {{wildcards.ds}} --diffae {{input.diffae}} "
        f"--ddim {{input.ddim}} --prepared {DATA}/prepared/{{wildcards.ds}} --outdir {{output}} 2>&1 | tee {{log}}"


rule eval_diffae_ppl:
    input:
        diffae=f"{FACES}/diffae/final.pt",
        ddim=f"{FACES}/ddim/final.pt",
        images=f"{FFHQ}/images.npy",
    output:
        f"{EVAL}/diffae_ppl.csv",
    log:
        f"{LOGS}/eval_diffae_ppl.log",
    benchmark:
        f"{BENCH}/eval_diffae_ppl.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-ppl"),
    shell:
        f"diffae eval-diffae-ppl --params {{params.cfg}} --diffae {{input.diffae}} --ddim {{input.ddim}} "
        f"--prepared {FFHQ} --out {{output}} 2>&1 | tee {{log}}"


rule table_diffae_uncond:
    input:
        TABLE4_NUMBERS.split(","),
    output:
        report(
            f"{REPORTS}/diffae/table4.csv",
            caption="../report/diffae_table4.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_uncond.log",
    benchmark:
        f"{BENCH}/table_diffae_uncond.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-uncond"),
    shell:
        f"diffae table-diffae-uncond --params {{params.cfg}} --numbers {TABLE4_NUMBERS} --out {{output}} 2>&1 | "
        f"tee {{log}}"


rule table_diffae_ppl:
    input:
        f"{EVAL}/diffae_ppl.csv",
    output:
        report(
            f"{REPORTS}/diffae/ppl.csv",
            caption="../report/diffae_ppl.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_ppl.log",
    benchmark:
        f"{BENCH}/table_diffae_ppl.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-ppl"),
    shell:
        "diffae table-diffae-ppl --params {params.cfg} --numbers {input} --out {output} 2>&1 | tee {log}"


rule table_diffae_throughput:
    input:
        expand(f"{MODELS}/{{ds}}/{{m}}/final.pt", ds=ZOO, m=["ddim", "diffae"]),
    output:
        report(
            f"{REPORTS}/diffae/table7.csv",
            caption="../report/diffae_table7.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_throughput.log",
    benchmark:
        f"{BENCH}/table_diffae_throughput.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-throughput"),
    shell:
        f"diffae table-diffae-throughput --params {{params.cfg}} --models {MODELS} --datasets {','.join(ZOO)} "
        f"--out {{output}} 2>&1 | tee {{log}}"


rule figures_diffae:
    input:
        DIFFAE_GRIDS,
    output:
        report(
            directory(f"{REPORTS}/diffae/figures"),
            patterns=["{name}.png"],
            caption="../report/diffae_figures.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/figures_diffae.log",
    benchmark:
        f"{BENCH}/figures_diffae.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("figures-diffae"),
    shell:
        f"diffae figures-diffae --params {{params.cfg}} --grids {','.join(DIFFAE_GRIDS)} --outdir {{output}} 2>&1 "
        f"| tee {{log}}"


rule train_diffae_zdim:
    input:
        f"{FFHQ}/images.npy",
    output:
        f"{FACES}/diffae_z{{zdim}}/final.pt",
    log:
        f"{LOGS}/train_diffae_zdim_{{zdim}}.log",
    benchmark:
        f"{BENCH}/train_diffae_zdim_{{zdim}}.tsv"
    wildcard_constraints:
        zdim="[0-9]+",
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffae-zdim"),
    shell:
        f"{TRAIN_LAUNCH} train-diffae-zdim --params {{params.cfg}} --prepared {FFHQ} --z-dim {{wildcards.zdim}} "
        f"--out {FACES}/diffae_z{{wildcards.zdim}} 2>&1 | tee {{log}}"


rule eval_diffae_zdim:
    input:
        models=expand(
            f"{FACES}/diffae_z{{d}}/final.pt", d=config["zsem_ablation"]["z_dims"]
        ),
        images=f"{CELEBAHQ}/images.npy",
    output:
        f"{EVAL}/diffae_table2_zsem.csv",
    log:
        f"{LOGS}/eval_diffae_zdim.log",
    benchmark:
        f"{BENCH}/eval_diffae_zdim.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-zdim"),
    shell:
        f"diffae eval-diffae-zdim --params {{params.cfg}} --models {FACES} --prepared {CELEBAHQ} --out "
        f"{{output}} 2>&1 | tee {{log}}"


rule eval_diffae_table2:
    input:
        diffae=f"{FACES}/diffae/final.pt",
        ddim=f"{FACES}/ddim/final.pt",
        images=f"{CELEBAHQ}/images.npy",
    output:
        f"{EVAL}/diffae_table2.csv",
    log:
        f"{LOGS}/eval_diffae_table2.log",
    benchmark:
        f"{BENCH}/eval_diffae_table2.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-table2"),
    shell:
        f"diffae eval-diffae-table2 --params {{params.cfg}} --diffae {{input.diffae}} --ddim "
        f"{{input.ddim}} --prepared {CELEBAHQ} --out {{output}} 2>&1 | tee {{log}}"


rule table_diffae_recon:
    input:
        main=f"{EVAL}/diffae_table2.csv",
        zsem=f"{EVAL}/diffae_table2_zsem.csv",
    output:
        report(
            f"{REPORTS}/diffae/table2.csv",
            caption="../report/diffae_table2.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_recon.log",
    benchmark:
        f"{BENCH}/table_diffae_recon.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-recon"),
    shell:
        f"diffae table-diffae-recon --params {{params.cfg}} --numbers {{input.main}} --zsem-numbers "
        f"{{input.zsem}} --out {{output}} 2>&1 | tee {{log}}"


rule table_diffae_autoenc:
    input:
        f"{EVAL}/diffae_table2.csv",
    output:
        report(
            f"{REPORTS}/diffae/table1.csv",
            caption="../report/diffae_table1.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_autoenc.log",
    benchmark:
        f"{BENCH}/table_diffae_autoenc.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-autoenc"),
    shell:
        f"diffae table-diffae-autoenc --params {{params.cfg}} --numbers {{input}} --out {{output}} 2>&1 | "
        f"tee {{log}}"


rule table_diffae_hparams:
    input:
        DIFFAE_PAPER_PRESETS,
    output:
        t5=report(
            f"{REPORTS}/diffae/table5.csv",
            caption="../report/diffae_table5.rst",
            category="Diff-AE",
        ),
        t6=report(
            f"{REPORTS}/diffae/table6.csv",
            caption="../report/diffae_table6.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_hparams.log",
    benchmark:
        f"{BENCH}/table_diffae_hparams.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-hparams"),
    shell:
        f"diffae table-diffae-hparams --params {{params.cfg}} --presets {DIFFAE_PAPER_PRESETS_ARG} --table5 "
        f"{{output.t5}} --table6 {{output.t6}} 2>&1 | tee {{log}}"
