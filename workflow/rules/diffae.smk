# Diff-AE stage on iLab: diffusion autoencoder, DDIM baseline, latents, latent DDIM, Diff-AE Table 2.

MODELS = f"{DATA}/models"
LATENTS = f"{DATA}/latents"
EVAL = f"{DATA}/eval"  # our numbers, embeddings and image grids; the report rules format and draw them

DIFFAE_TARGETS = [
    f"{LATENTS}/diffae_ilab.npz",
    f"{MODELS}/latent_ddim/final.pt",
    f"{REPORTS}/diffae/table2.csv",
]


rule train_diffae:
    input:
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{MODELS}/diffae/final.pt",
    resources:
        gpu=1,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffae"),
    shell:
        "diffae train-diffae --params {params.cfg} --prepared "
        + ILAB
        + " --split {input.split} --out "
        + MODELS
        + "/diffae"


rule train_ddim:
    input:
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{MODELS}/ddim/final.pt",
    resources:
        gpu=1,
    params:
        cfg=PARAMS,
        tracked=tracked("train-ddim"),
    shell:
        "diffae train-ddim --params {params.cfg} --prepared "
        + ILAB
        + " --split {input.split} --out "
        + MODELS
        + "/ddim"


rule encode_diffae:
    input:
        model=f"{MODELS}/diffae/final.pt",
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{LATENTS}/diffae_ilab.npz",
    params:
        cfg=PARAMS,
        tracked=tracked("encode"),
    shell:
        "diffae encode --params {params.cfg} --model {input.model} --prepared "
        + ILAB
        + " --split {input.split} --out {output}"


rule train_latent_ddim:
    input:
        f"{LATENTS}/diffae_ilab.npz",
    output:
        f"{MODELS}/latent_ddim/final.pt",
    params:
        cfg=PARAMS,
        tracked=tracked("train-latent-ddim"),
    shell:
        "diffae train-latent-ddim --params {params.cfg} --latents {input} --out "
        + MODELS
        + "/latent_ddim"


rule eval_diffae_table2:
    input:
        diffae=f"{MODELS}/diffae/final.pt",
        ddim=f"{MODELS}/ddim/final.pt",
        images=f"{ILAB}/images.npy",
        split=f"{ILAB}/split.csv",
    output:
        f"{EVAL}/diffae_table2.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-table2"),
    shell:
        "diffae eval-diffae-table2 --params {params.cfg} --diffae {input.diffae} --ddim {input.ddim} --prepared "
        + ILAB
        + " --split {input.split} --out {output}"


rule table_diffae_recon:
    input:
        f"{EVAL}/diffae_table2.csv",
    output:
        f"{REPORTS}/diffae/table2.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-recon"),
    shell:
        "diffae table-diffae-recon --params {params.cfg} --numbers {input} --out {output}"
