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
    params:
        cfg=PARAMS,
        tracked=tracked("standin-ilab"),
    shell:
        "diffae standin-ilab --params {params.cfg} --out {output}"


rule standin_celeba:
    output:
        directory(f"{DATA}/raw/celeba_standin"),
    params:
        cfg=PARAMS,
        tracked=tracked("standin-celeba"),
    shell:
        "diffae standin-celeba --params {params.cfg} --out {output}"


rule prepare_ilab:
    input:
        raw_input("ilab"),
    output:
        expand("{d}/{f}", d=ILAB, f=PREPARED_FILES),
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-ilab"),
    shell:
        "diffae prepare-ilab --params {params.cfg} --standin "
        + DATA
        + "/raw/ilab_standin --out "
        + ILAB


rule prepare_celeba:
    input:
        raw_input("celeba"),
    output:
        expand("{d}/{f}", d=CELEBA, f=PREPARED_FILES),
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-celeba"),
    shell:
        "diffae prepare-celeba --params {params.cfg} --standin "
        + DATA
        + "/raw/celeba_standin --out "
        + CELEBA


rule split_ilab:
    input:
        f"{ILAB}/labels.csv",
    output:
        f"{ILAB}/split.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("split-ilab"),
    shell:
        "diffae split-ilab --params {params.cfg} --prepared " + ILAB + " --out {output}"


rule groups_ilab:
    input:
        labels=f"{ILAB}/labels.csv",
        split=f"{ILAB}/split.csv",
    output:
        train=f"{ILAB}/groups_train.csv",
        test=f"{ILAB}/groups_test.csv",
    params:
        cfg=PARAMS,
        tracked=tracked("groups-ilab"),
    shell:
        "diffae groups-ilab --params {params.cfg} --prepared "
        + ILAB
        + " --split {input.split} --train-out {output.train} --test-out {output.test}"


rule figure_groups:
    input:
        images=f"{ILAB}/images.npy",
        groups=f"{ILAB}/groups_train.csv",
    output:
        f"{REPORTS}/figures/ilab_groups.png",
    params:
        cfg=PARAMS,
        tracked=tracked("figure-groups"),
    shell:
        "diffae figure-groups --params {params.cfg} --prepared "
        + ILAB
        + " --groups {input.groups} --out {output}"
