# Data stages: stand-ins (when no real root is set), preparation, split, GROUP(C, s) tables.

ILAB = "data/prepared/ilab"
CELEBA = "data/prepared/celeba"
PREPARED_FILES = ["images.npy", "labels.csv", "meta.json"]

DATA_TARGETS = [f"{ILAB}/{f}" for f in PREPARED_FILES] + [
    f"{ILAB}/split.csv",
    f"{ILAB}/groups_train.csv",
    f"{ILAB}/groups_test.csv",
    "reports/figures/ilab_groups.png",
]
if uses_celeba():
    DATA_TARGETS += [f"{CELEBA}/{f}" for f in PREPARED_FILES]


rule standin_ilab:
    output:
        directory("data/raw/ilab_standin"),
    params:
        cfg=PARAMS,
        standin=config["data"]["ilab"]["standin"],
    shell:
        "diffae standin-ilab --params {params.cfg} --out {output}"


rule standin_celeba:
    output:
        directory("data/raw/celeba_standin"),
    params:
        cfg=PARAMS,
        standin=config["data"]["celeba"]["standin"],
    shell:
        "diffae standin-celeba --params {params.cfg} --out {output}"


rule prepare_ilab:
    input:
        raw_input("ilab"),
    output:
        expand("{d}/{f}", d=ILAB, f=PREPARED_FILES),
    params:
        cfg=PARAMS,
        root=config["data"]["ilab"]["root"],
        identity=config["data"]["ilab"]["identity"],
        image_size=config["data"]["ilab"]["image_size"],
    shell:
        "diffae prepare-ilab --params {params.cfg} --standin data/raw/ilab_standin --out " + ILAB


rule prepare_celeba:
    input:
        raw_input("celeba"),
    output:
        expand("{d}/{f}", d=CELEBA, f=PREPARED_FILES),
    params:
        cfg=PARAMS,
        root=config["data"]["celeba"]["root"],
        image_size=config["data"]["celeba"]["image_size"],
    shell:
        "diffae prepare-celeba --params {params.cfg} --standin data/raw/celeba_standin --out " + CELEBA


rule split_ilab:
    input:
        f"{ILAB}/labels.csv",
    output:
        f"{ILAB}/split.csv",
    params:
        cfg=PARAMS,
        split=config["data"]["ilab"]["split"],
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
        groups=config["data"]["ilab"]["groups"],
    shell:
        "diffae groups-ilab --params {params.cfg} --prepared " + ILAB
        + " --split {input.split} --train-out {output.train} --test-out {output.test}"


rule figure_groups:
    input:
        images=f"{ILAB}/images.npy",
        groups=f"{ILAB}/groups_train.csv",
    output:
        "reports/figures/ilab_groups.png",
    params:
        cfg=PARAMS,
    shell:
        "diffae figure-groups --params {params.cfg} --prepared " + ILAB + " --groups {input.groups} --out {output}"
