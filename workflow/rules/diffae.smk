# Diff-AE stages. On iLab: diffusion autoencoder, DDIM baseline, latents and latent DDIM (DiffuseGAE's input).
# On faces (trained on FFHQ, tested on CelebA-HQ, as the paper): Diff-AE and DDIM for Diff-AE Table 2.

MODELS = f"{DATA}/models"
LATENTS = f"{DATA}/latents"
EVAL = f"{DATA}/eval"  # our numbers, embeddings and image grids; the report rules format and draw them
FACES = f"{MODELS}/faces"  # models trained on the faces (FFHQ)

DIFFAE_TARGETS = []
if ILAB_CHAIN:
    DIFFAE_TARGETS += [f"{LATENTS}/diffae_ilab.npz", f"{MODELS}/latent_ddim/final.pt"]
if FACES_CHAIN:
    DIFFAE_TARGETS += [f"{REPORTS}/diffae/table2.csv", f"{REPORTS}/diffae/table1.csv"]
DIFFAE_TARGETS += [f"{REPORTS}/diffae/table5.csv"]

# Diff-AE's paper presets: Tables 5 and 6 report their hyper-parameters.
DIFFAE_PAPER_PRESETS = sorted(glob.glob("presets/paper-diffae-*.yaml"))
DIFFAE_PAPER_PRESETS_ARG = ",".join(DIFFAE_PAPER_PRESETS)

# Claims and the metrics summary read Diff-AE Table 2 when the faces chain runs.
DIFFAE_TABLE2_INPUT = (
    {"diffae_table2": f"{REPORTS}/diffae/table2.csv"} if FACES_CHAIN else {}
)
DIFFAE_TABLE2_FLAG = "--diffae-table2 {input.diffae_table2} " if FACES_CHAIN else ""


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


rule train_diffae_faces:
    input:
        f"{FFHQ}/images.npy",
    output:
        f"{FACES}/diffae/final.pt",
    log:
        f"{LOGS}/train_diffae_faces.log",
    benchmark:
        f"{BENCH}/train_diffae_faces.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffae-faces"),
    shell:
        f"{TRAIN_LAUNCH} train-diffae-faces --params {{params.cfg}} --prepared {FFHQ} --out {FACES}/diffae 2>&1 "
        f"| tee {{log}}"


rule train_ddim_faces:
    input:
        f"{FFHQ}/images.npy",
    output:
        f"{FACES}/ddim/final.pt",
    log:
        f"{LOGS}/train_ddim_faces.log",
    benchmark:
        f"{BENCH}/train_ddim_faces.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-ddim-faces"),
    shell:
        f"{TRAIN_LAUNCH} train-ddim-faces --params {{params.cfg}} --prepared {FFHQ} --out {FACES}/ddim 2>&1 "
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
