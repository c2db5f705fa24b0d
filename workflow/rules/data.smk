# Data stages: stand-ins (when no real root is set), preparation, split, GROUP(C, s) tables.

ILAB = f"{DATA}/prepared/ilab"
CELEBA = f"{DATA}/prepared/celeba"
PREPARED_FILES = ["images.npy", "labels.csv", "meta.json"]

DATA_TARGETS = [f"{ILAB}/{f}" for f in PREPARED_FILES] + [
    f"{ILAB}/split.csv",
    f"{ILAB}/groups_train.csv",
    f"{ILAB}/groups_test.csv",
    f"{REPORTS}/figures/ilab_groups.png",
]
if uses_celeba():
    DATA_TARGETS += [f"{CELEBA}/{f}" for f in PREPARED_FILES]


rule standin_ilab:
    output:
        directory(f"{DATA}/raw/ilab_standin"),
    log:
        f"{LOGS}/standin_ilab.log",
    benchmark:
        f"{BENCH}/standin_ilab.tsv"
    conda:
        "../envs/diffae.yaml"
    params:
        cfg=PARAMS,
        tracked=tracked("standin-ilab"),
    shell:
        f"diffae standin-ilab --params {{params.cfg}} --out {{output}} 2>&1 | tee {{log}}"


rule standin_celeba:
    output:
        directory(f"{DATA}/raw/celeba_standin"),
    log:
        f"{LOGS}/standin_celeba.log",
    benchmark:
        f"{BENCH}/standin_celeba.tsv"
    conda:
        "../envs/diffae.yaml"
    params:
        cfg=PARAMS,
        tracked=tracked("standin-celeba"),
    shell:
        f"diffae standin-celeba --params {{params.cfg}} --out {{output}} 2>&1 | tee {{log}}"


rule prepare_ilab:
    input:
        raw_input("ilab"),
    output:
        expand("{d}/{f}", d=ILAB, f=PREPARED_FILES),
    log:
        f"{LOGS}/prepare_ilab.log",
    benchmark:
        f"{BENCH}/prepare_ilab.tsv"
    conda:
        "../envs/diffae.yaml"
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-ilab"),
    shell:
        f"diffae prepare-ilab --params {{params.cfg}} --standin {DATA}/raw/ilab_standin --out {ILAB} 2>&1 "
        f"| tee {{log}}"


rule prepare_celeba:
    input:
        raw_input("celeba"),
    output:
        expand("{d}/{f}", d=CELEBA, f=PREPARED_FILES),
    log:
        f"{LOGS}/prepare_celeba.log",
    benchmark:
        f"{BENCH}/prepare_celeba.tsv"
    conda:
        "../envs/diffae.yaml"
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-celeba"),
    shell:
        f"diffae prepare-celeba --params {{params.cfg}} --standin {DATA}/raw/celeba_standin --out {CELEBA} "
        f"2>&1 | tee {{log}}"


rule split_ilab:
    input:
        f"{ILAB}/labels.csv",
    output:
        f"{ILAB}/split.csv",
    log:
        f"{LOGS}/split_ilab.log",
    benchmark:
        f"{BENCH}/split_ilab.tsv"
    conda:
        "../envs/diffae.yaml"
    params:
        cfg=PARAMS,
        tracked=tracked("split-ilab"),
    shell:
        f"diffae split-ilab --params {{params.cfg}} --prepared {ILAB} --out {{output}} 2>&1 | tee {{log}}"


rule groups_ilab:
    input:
        labels=f"{ILAB}/labels.csv",
        split=f"{ILAB}/split.csv",
    output:
        train=f"{ILAB}/groups_train.csv",
        test=f"{ILAB}/groups_test.csv",
    log:
        f"{LOGS}/groups_ilab.log",
    benchmark:
        f"{BENCH}/groups_ilab.tsv"
    conda:
        "../envs/diffae.yaml"
    params:
        cfg=PARAMS,
        tracked=tracked("groups-ilab"),
    shell:
        f"diffae groups-ilab --params {{params.cfg}} --prepared {ILAB} --split {{input.split}} --train-out "
        f"{{output.train}} --test-out {{output.test}} 2>&1 | tee {{log}}"


rule figure_groups:
    input:
        images=f"{ILAB}/images.npy",
        groups=f"{ILAB}/groups_train.csv",
    output:
        report(
            f"{REPORTS}/figures/ilab_groups.png",
            caption="../report/groups.rst",
            category="Data",
        ),
    log:
        f"{LOGS}/figure_groups.log",
    benchmark:
        f"{BENCH}/figure_groups.tsv"
    conda:
        "../envs/diffae.yaml"
    params:
        cfg=PARAMS,
        tracked=tracked("figure-groups"),
    shell:
        f"diffae figure-groups --params {{params.cfg}} --prepared {ILAB} --groups {{input.groups}} --out "
        f"{{output}} 2>&1 | tee {{log}}"
