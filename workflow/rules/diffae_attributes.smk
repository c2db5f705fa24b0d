# Diff-AE attributes: linear classifiers on z_sem (Table 8), manipulation of CelebA-HQ images (Tables 9-10,
# Figs 5, 13, 17) with FFHQ's Diff-AE, and few-shot class-conditional generation on CelebA (Table 3, Figs 18-19).


rule fit_attr_classifier:
    input:
        diffae=f"{FACES}/diffae/final.pt",
        latents=f"{LATENTS}/ffhq_zsem.npz",
        images=f"{CELEBAHQ}/images.npy",
    output:
        model=f"{FACES}/attr_classifier.npz",
        numbers=f"{EVAL}/diffae_table8.csv",
    log:
        f"{LOGS}/fit_attr_classifier.log",
    benchmark:
        f"{BENCH}/fit_attr_classifier.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("fit-attr-classifier"),
    shell:
        f"diffae fit-attr-classifier --params {{params.cfg}} --diffae {{input.diffae}} --norm-latents "
        f"{{input.latents}} --prepared {CELEBAHQ} --out-model {{output.model}} --out {{output.numbers}} 2>&1 | "
        f"tee {{log}}"


rule eval_diffae_manipulation:
    input:
        diffae=f"{FACES}/diffae/final.pt",
        classifier=f"{FACES}/attr_classifier.npz",
        images=f"{CELEBAHQ}/images.npy",
        examples=f"{FFHQ}/images.npy",
    output:
        numbers=f"{EVAL}/diffae_manipulation.csv",
        figures=directory(f"{EVAL}/diffae_manipulation_figures"),
    log:
        f"{LOGS}/eval_diffae_manipulation.log",
    benchmark:
        f"{BENCH}/eval_diffae_manipulation.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-manipulation"),
    shell:
        f"diffae eval-diffae-manipulation --params {{params.cfg}} --diffae {{input.diffae}} --classifier "
        f"{{input.classifier}} --prepared {CELEBAHQ} --examples {FFHQ} --out {{output.numbers}} --figures "
        f"{{output.figures}} 2>&1 | tee {{log}}"


rule eval_diffae_fewshot:
    input:
        diffae=f"{MODELS}/celeba/diffae/final.pt",
        latent=f"{MODELS}/celeba/latent_ddim/final.pt",
        images=f"{CELEBA}/images.npy",
    output:
        numbers=f"{EVAL}/diffae_table3.csv",
        figures=directory(f"{EVAL}/diffae_fewshot_figures"),
    log:
        f"{LOGS}/eval_diffae_fewshot.log",
    benchmark:
        f"{BENCH}/eval_diffae_fewshot.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffae-fewshot"),
    shell:
        f"diffae eval-diffae-fewshot --params {{params.cfg}} --diffae {{input.diffae}} --latent {{input.latent}} "
        f"--prepared {CELEBA} --out {{output.numbers}} --figures {{output.figures}} 2>&1 | tee {{log}}"


rule table_diffae_auroc:
    input:
        f"{EVAL}/diffae_table8.csv",
    output:
        report(
            f"{REPORTS}/diffae/table8.csv",
            caption="../report/diffae_table8.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_auroc.log",
    benchmark:
        f"{BENCH}/table_diffae_auroc.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-auroc"),
    shell:
        "diffae table-diffae-auroc --params {params.cfg} --numbers {input} --out {output} 2>&1 | tee {log}"


rule table_diffae_manipulation:
    input:
        f"{EVAL}/diffae_manipulation.csv",
    output:
        table9=report(
            f"{REPORTS}/diffae/table9.csv",
            caption="../report/diffae_table9.rst",
            category="Diff-AE",
        ),
        table10=report(
            f"{REPORTS}/diffae/table10.csv",
            caption="../report/diffae_table10.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_manipulation.log",
    benchmark:
        f"{BENCH}/table_diffae_manipulation.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-manipulation"),
    shell:
        "diffae table-diffae-manipulation --params {params.cfg} --numbers {input} --table9 {output.table9} "
        "--table10 {output.table10} 2>&1 | tee {log}"


rule table_diffae_fewshot:
    input:
        f"{EVAL}/diffae_table3.csv",
    output:
        report(
            f"{REPORTS}/diffae/table3.csv",
            caption="../report/diffae_table3.rst",
            category="Diff-AE",
        ),
    log:
        f"{LOGS}/table_diffae_fewshot.log",
    benchmark:
        f"{BENCH}/table_diffae_fewshot.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffae-fewshot"),
    shell:
        "diffae table-diffae-fewshot --params {params.cfg} --numbers {input} --out {output} 2>&1 | tee {log}"
