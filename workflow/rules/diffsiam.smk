# DiffSiam (thesis Tables 4.1-4.2): a frozen DM on CIFAR-10 (our DDIM baseline, decision A8), one encoder per
# run of diffsiam.runs (DiffSiam variants, the SimSiam and PDAE baselines), each evaluated on CIFAR-10 and the
# transfer sets by many-shot linear and 5-way few-shot protocols.

CIFAR10 = f"{DATA}/prepared/cifar10"
DIFFSIAM = f"{MODELS}/diffsiam"
DIFFSIAM_RUNS = list(config["diffsiam"]["runs"]) if DIFFSIAM_CHAIN else []
DIFFSIAM_RUN_RE = "|".join(DIFFSIAM_RUNS) or "^$"
DIFFSIAM_NUMBERS = ",".join(f"{EVAL}/diffsiam/{r}.csv" for r in DIFFSIAM_RUNS)

DIFFSIAM_TABLES = [f"{REPORTS}/diffsiam/table4_{n}.csv" for n in (1, 2)]
DIFFSIAM_FIGURES = f"{REPORTS}/diffsiam/figures"
DIFFSIAM_FIG = config["eval"]["diffsiam_figures"]
# The generative runs (the figure runs over a zoo dataset's DDIM) on the zoo datasets that run; with or without
# the CIFAR-10 chain (a paper-diffae-* preset trains them over its dataset's DDIM).
DIFFSIAM_GEN = [d for d in config["diffsiam"]["generative_datasets"] if d in ZOO]
DIFFSIAM_GEN_RE = "|".join(DIFFSIAM_GEN) or "^$"
DIFFSIAM_FIG_RUN_RE = "|".join(DIFFSIAM_FIG["runs"])
DIFFSIAM_GRIDS = ([f"{EVAL}/diffsiam_figures"] if DIFFSIAM_CHAIN else []) + [
    f"{EVAL}/diffsiam_figures_{d}" for d in DIFFSIAM_GEN
]
DIFFSIAM_TARGETS = (DIFFSIAM_TABLES if DIFFSIAM_CHAIN else []) + (
    [DIFFSIAM_FIGURES] if DIFFSIAM_GRIDS else []
)
# Fig. 4.9 plots the CIFAR-10 runs' losses.
DIFFSIAM_LOSS_MODELS = (
    expand(f"{DIFFSIAM}/{{r}}/final.pt", r=DIFFSIAM_FIG["loss_runs"])
    if DIFFSIAM_CHAIN
    else []
)
DIFFSIAM_LOSS_FLAG = f"--models {DIFFSIAM} " if DIFFSIAM_CHAIN else ""

# Claims read the two tables when DiffSiam runs.
DIFFSIAM_TABLES_INPUT = (
    {f"diffsiam_table4_{n}": f"{REPORTS}/diffsiam/table4_{n}.csv" for n in (1, 2)}
    if DIFFSIAM_CHAIN
    else {}
)
DIFFSIAM_TABLES_FLAGS = "".join(
    f"--{key.replace('_', '-')} {{input.{key}}} " for key in DIFFSIAM_TABLES_INPUT
)


rule standin_cifar10:
    output:
        directory(f"{DATA}/raw/cifar10_standin"),
    log:
        f"{LOGS}/standin_cifar10.log",
    benchmark:
        f"{BENCH}/standin_cifar10.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("standin-cifar10"),
    shell:
        "diffae standin-cifar10 --params {params.cfg} --out {output} 2>&1 | tee {log}"


rule standin_transfer:
    output:
        directory(f"{DATA}/raw/transfer_standin"),
    log:
        f"{LOGS}/standin_transfer.log",
    benchmark:
        f"{BENCH}/standin_transfer.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("standin-transfer"),
    shell:
        "diffae standin-transfer --params {params.cfg} --out {output} 2>&1 | tee {log}"


rule prepare_cifar10:
    input:
        raw_input("cifar10"),
    output:
        expand("{d}/{f}", d=CIFAR10, f=PREPARED_FILES),
    log:
        f"{LOGS}/prepare_cifar10.log",
    benchmark:
        f"{BENCH}/prepare_cifar10.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-cifar10"),
    shell:
        f"diffae prepare-cifar10 --params {{params.cfg}} --standin {DATA}/raw/cifar10_standin --out {CIFAR10} "
        f"2>&1 | tee {{log}}"


rule train_diffsiam_dm:
    input:
        f"{CIFAR10}/images.npy",
    output:
        f"{DIFFSIAM}/dm/final.pt",
    log:
        f"{LOGS}/train_diffsiam_dm.log",
    benchmark:
        f"{BENCH}/train_diffsiam_dm.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffsiam-dm"),
    shell:
        f"{TRAIN_LAUNCH} train-diffsiam-dm --params {{params.cfg}} --prepared {CIFAR10} --out {DIFFSIAM}/dm "
        f"2>&1 | tee {{log}}"


rule train_diffsiam:
    input:
        images=f"{CIFAR10}/images.npy",
        dm=f"{DIFFSIAM}/dm/final.pt",
    output:
        f"{DIFFSIAM}/{{run}}/final.pt",
    log:
        f"{LOGS}/train_diffsiam_{{run}}.log",
    benchmark:
        f"{BENCH}/train_diffsiam_{{run}}.tsv"
    wildcard_constraints:
        run=DIFFSIAM_RUN_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffsiam"),
    shell:
        f"{TRAIN_LAUNCH} train-diffsiam --params {{params.cfg}} --diffsiam-run {{wildcards.run}} --prepared {CIFAR10} "
        f"--dm {{input.dm}} --out {DIFFSIAM}/{{wildcards.run}} 2>&1 | tee {{log}}"


rule eval_diffsiam_transfer:
    input:
        model=f"{DIFFSIAM}/{{run}}/final.pt",
        cifar10=raw_input("cifar10"),
        transfer=raw_input("transfer"),
    output:
        f"{EVAL}/diffsiam/{{run}}.csv",
    log:
        f"{LOGS}/eval_diffsiam_transfer_{{run}}.log",
    benchmark:
        f"{BENCH}/eval_diffsiam_transfer_{{run}}.tsv"
    wildcard_constraints:
        run=DIFFSIAM_RUN_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffsiam-transfer"),
    shell:
        f"diffae eval-diffsiam-transfer --params {{params.cfg}} --model {{input.model}} --cifar10-standin "
        f"{DATA}/raw/cifar10_standin --transfer-standin {DATA}/raw/transfer_standin --out {{output}} "
        f"2>&1 | tee {{log}}"


rule table_diffsiam:
    input:
        expand(f"{EVAL}/diffsiam/{{r}}.csv", r=DIFFSIAM_RUNS),
    output:
        t1=report(
            f"{REPORTS}/diffsiam/table4_1.csv",
            caption="../report/diffsiam_table4_1.rst",
            category="DiffSiam",
        ),
        t2=report(
            f"{REPORTS}/diffsiam/table4_2.csv",
            caption="../report/diffsiam_table4_2.rst",
            category="DiffSiam",
        ),
    log:
        f"{LOGS}/table_diffsiam.log",
    benchmark:
        f"{BENCH}/table_diffsiam.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("table-diffsiam"),
    shell:
        f"diffae table-diffsiam --params {{params.cfg}} --numbers {DIFFSIAM_NUMBERS} --table4-1 {{output.t1}} "
        f"--table4-2 {{output.t2}} 2>&1 | tee {{log}}"


rule eval_diffsiam_figures:
    input:
        dm=f"{DIFFSIAM}/dm/final.pt",
        models=expand(f"{DIFFSIAM}/{{r}}/final.pt", r=DIFFSIAM_FIG["runs"]),
        images=f"{CIFAR10}/images.npy",
    output:
        directory(f"{EVAL}/diffsiam_figures"),
    log:
        f"{LOGS}/eval_diffsiam_figures.log",
    benchmark:
        f"{BENCH}/eval_diffsiam_figures.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffsiam-figures"),
    shell:
        f"diffae eval-diffsiam-figures --params {{params.cfg}} --dataset cifar10 --dm {{input.dm}} --models "
        f"{DIFFSIAM} --prepared {CIFAR10} --outdir {{output}} 2>&1 | tee {{log}}"


rule train_diffsiam_gen:
    input:
        images=f"{DATA}/prepared/{{ds}}/images.npy",
        dm=f"{MODELS}/{{ds}}/ddim/final.pt",
    output:
        f"{MODELS}/{{ds}}/diffsiam/{{run}}/final.pt",
    log:
        f"{LOGS}/train_diffsiam_gen_{{ds}}_{{run}}.log",
    benchmark:
        f"{BENCH}/train_diffsiam_gen_{{ds}}_{{run}}.tsv"
    wildcard_constraints:
        ds=DIFFSIAM_GEN_RE,
        run=DIFFSIAM_FIG_RUN_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **TRAIN_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("train-diffsiam-gen"),
    shell:
        f"{TRAIN_LAUNCH} train-diffsiam-gen --params {{params.cfg}} --diffsiam-run {{wildcards.run}} --prepared "
        f"{DATA}/prepared/{{wildcards.ds}} --dm {{input.dm}} --out {MODELS}/{{wildcards.ds}}/diffsiam/"
        f"{{wildcards.run}} 2>&1 | tee {{log}}"


rule eval_diffsiam_gen_figures:
    input:
        dm=f"{MODELS}/{{ds}}/ddim/final.pt",
        models=expand(
            f"{MODELS}/{{{{ds}}}}/diffsiam/{{r}}/final.pt", r=DIFFSIAM_FIG["runs"]
        ),
        images=f"{DATA}/prepared/{{ds}}/images.npy",
        labels=f"{DATA}/prepared/{{ds}}/labels.csv",
    output:
        directory(f"{EVAL}/diffsiam_figures_{{ds}}"),
    log:
        f"{LOGS}/eval_diffsiam_gen_figures_{{ds}}.log",
    benchmark:
        f"{BENCH}/eval_diffsiam_gen_figures_{{ds}}.tsv"
    wildcard_constraints:
        ds=DIFFSIAM_GEN_RE,
    conda:
        "../envs/diffae.yaml"
    resources:
        **GPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("eval-diffsiam-figures"),
    shell:
        f"diffae eval-diffsiam-figures --params {{params.cfg}} --dataset {{wildcards.ds}} --dm {{input.dm}} "
        f"--models {MODELS}/{{wildcards.ds}}/diffsiam --prepared {DATA}/prepared/{{wildcards.ds}} --outdir "
        f"{{output}} 2>&1 | tee {{log}}"


rule figures_diffsiam:
    input:
        grids=DIFFSIAM_GRIDS,
        models=DIFFSIAM_LOSS_MODELS,
    output:
        report(
            directory(DIFFSIAM_FIGURES),
            patterns=["{name}.png"],
            caption="../report/diffsiam_figures.rst",
            category="DiffSiam",
        ),
    log:
        f"{LOGS}/figures_diffsiam.log",
    benchmark:
        f"{BENCH}/figures_diffsiam.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("figures-diffsiam"),
    shell:
        f"diffae figures-diffsiam --params {{params.cfg}} --grids {','.join(DIFFSIAM_GRIDS)} {DIFFSIAM_LOSS_FLAG}"
        f"--outdir {{output}} 2>&1 | tee {{log}}"
