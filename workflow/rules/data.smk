# Data stages: stand-ins (when no real root is set), preparation, split, GROUP(C, s) tables.

ILAB = f"{DATA}/prepared/ilab"
CELEBA = f"{DATA}/prepared/celeba"
FFHQ = f"{DATA}/prepared/ffhq"  # Diff-AE's training faces
CELEBAHQ = f"{DATA}/prepared/celebahq"  # Diff-AE's test faces
HORSE = f"{DATA}/prepared/lsun_horse"
BEDROOM = f"{DATA}/prepared/lsun_bedroom"
PREPARED_FILES = ["images.npy", "labels.csv", "meta.json"]

DATA_TARGETS = []
if ILAB_CHAIN:
    DATA_TARGETS += [f"{ILAB}/{f}" for f in PREPARED_FILES] + [
        f"{ILAB}/split.csv",
        f"{ILAB}/groups_train.csv",
        f"{ILAB}/groups_test.csv",
        f"{REPORTS}/figures/ilab_groups.png",
    ]
for _dataset, _folder in [
    ("celeba", CELEBA),
    ("ffhq", FFHQ),
    ("celebahq", CELEBAHQ),
    ("lsun_horse", HORSE),
    ("lsun_bedroom", BEDROOM),
]:
    if uses(_dataset):
        DATA_TARGETS += [f"{_folder}/{f}" for f in PREPARED_FILES]


rule standin_ilab:
    output:
        directory(f"{DATA}/raw/ilab_standin"),
    log:
        f"{LOGS}/standin_ilab.log",
    benchmark:
        f"{BENCH}/standin_ilab.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
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
    resources:
        **CPU_JOB,
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
    resources:
        **CPU_JOB,
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
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-celeba"),
    shell:
        f"diffae prepare-celeba --params {{params.cfg}} --standin {DATA}/raw/celeba_standin --out {CELEBA} "
        f"2>&1 | tee {{log}}"


rule standin_ffhq:
    output:
        directory(f"{DATA}/raw/ffhq_standin"),
    log:
        f"{LOGS}/standin_ffhq.log",
    benchmark:
        f"{BENCH}/standin_ffhq.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("standin-ffhq"),
    shell:
        f"diffae standin-ffhq --params {{params.cfg}} --out {{output}} 2>&1 | tee {{log}}"


rule prepare_ffhq:
    input:
        raw_input("ffhq"),
    output:
        expand("{d}/{f}", d=FFHQ, f=PREPARED_FILES),
    log:
        f"{LOGS}/prepare_ffhq.log",
    benchmark:
        f"{BENCH}/prepare_ffhq.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-ffhq"),
    shell:
        f"diffae prepare-ffhq --params {{params.cfg}} --standin {DATA}/raw/ffhq_standin --out {FFHQ} "
        f"2>&1 | tee {{log}}"


rule standin_celebahq:
    output:
        directory(f"{DATA}/raw/celebahq_standin"),
    log:
        f"{LOGS}/standin_celebahq.log",
    benchmark:
        f"{BENCH}/standin_celebahq.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("standin-celebahq"),
    shell:
        f"diffae standin-celebahq --params {{params.cfg}} --out {{output}} 2>&1 | tee {{log}}"


rule prepare_celebahq:
    input:
        raw_input("celebahq"),
    output:
        expand("{d}/{f}", d=CELEBAHQ, f=PREPARED_FILES),
    log:
        f"{LOGS}/prepare_celebahq.log",
    benchmark:
        f"{BENCH}/prepare_celebahq.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-celebahq"),
    shell:
        f"diffae prepare-celebahq --params {{params.cfg}} --standin {DATA}/raw/celebahq_standin --out {CELEBAHQ} "
        f"2>&1 | tee {{log}}"


rule standin_horse:
    output:
        directory(f"{DATA}/raw/lsun_horse_standin"),
    log:
        f"{LOGS}/standin_horse.log",
    benchmark:
        f"{BENCH}/standin_horse.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("standin-horse"),
    shell:
        f"diffae standin-horse --params {{params.cfg}} --out {{output}} 2>&1 | tee {{log}}"


rule prepare_horse:
    input:
        raw_input("lsun_horse"),
    output:
        expand("{d}/{f}", d=HORSE, f=PREPARED_FILES),
    log:
        f"{LOGS}/prepare_horse.log",
    benchmark:
        f"{BENCH}/prepare_horse.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-horse"),
    shell:
        f"diffae prepare-horse --params {{params.cfg}} --standin {DATA}/raw/lsun_horse_standin --out {HORSE} "
        f"2>&1 | tee {{log}}"


rule standin_bedroom:
    output:
        directory(f"{DATA}/raw/lsun_bedroom_standin"),
    log:
        f"{LOGS}/standin_bedroom.log",
    benchmark:
        f"{BENCH}/standin_bedroom.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("standin-bedroom"),
    shell:
        f"diffae standin-bedroom --params {{params.cfg}} --out {{output}} 2>&1 | tee {{log}}"


rule prepare_bedroom:
    input:
        raw_input("lsun_bedroom"),
    output:
        expand("{d}/{f}", d=BEDROOM, f=PREPARED_FILES),
    log:
        f"{LOGS}/prepare_bedroom.log",
    benchmark:
        f"{BENCH}/prepare_bedroom.tsv"
    conda:
        "../envs/diffae.yaml"
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("prepare-bedroom"),
    shell:
        f"diffae prepare-bedroom --params {{params.cfg}} --standin {DATA}/raw/lsun_bedroom_standin --out {BEDROOM} "
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
    resources:
        **CPU_JOB,
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
    resources:
        **CPU_JOB,
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
    resources:
        **CPU_JOB,
    params:
        cfg=PARAMS,
        tracked=tracked("figure-groups"),
    shell:
        f"diffae figure-groups --params {{params.cfg}} --prepared {ILAB} --groups {{input.groups}} --out "
        f"{{output}} 2>&1 | tee {{log}}"
