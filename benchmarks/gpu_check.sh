#!/usr/bin/env bash
# Issue 14's measurements on one GPU, in parts that each fit a 10-minute job (a fresh node compiles every model):
#
#   bash benchmarks/gpu_check.sh training  # 128 px: the official recipe side by side with ours (one round), the tiny
#                                          # stages' steps/s at paper-ilab's sizes (batch 256) and host reads
#   bash benchmarks/gpu_check.sh fit       # the paper presets with least memory margin (preset_fit --estimate),
#                                          # 2 eager updates of each training command: peak memory or OUT OF MEMORY
#   bash benchmarks/gpu_check.sh eval      # 128 px: DDIM sampling at batches 64-512 (the evaluations' batch sizes),
#                                          # Table 2's path, eager and compiled
#
# Arguments after the part go to its benchmark (e.g. `training --rounds 3`). Each part writes RESULTS/<part>.log
# (and fit.csv), and stops after PART_TIMEOUT seconds with what it has printed so far.
#
# A GPU node often has a PyTorch environment of its own and no internet. Where its python lacks this project's other
# dependencies, `make wheelhouse` (run online, beside the checkout) fetches their wheels into wheelhouse/, pinned to
# the versions the suite tests (benchmarks/gpu_node_requirements.txt); this script installs them into a temporary
# folder and runs from src/ without installing the project.
#
# Environment: PYTHON (python3), WHEELHOUSE (wheelhouse), RESULTS (gpu-check), DEVICE (cuda), CONFIGS (paper-128),
# BATCH (64), SAMPLING_BATCHES (64 128 256 512), FIT_PRESETS (below), PART_TIMEOUT (540).
set -euo pipefail
cd "$(dirname "$0")/.."

part=${1:?usage: bash benchmarks/gpu_check.sh training|fit|eval [benchmark arguments]}
shift
case "$part" in
    training | fit | eval) ;;
    *) echo "gpu_check: unknown part '$part' (expected training, fit or eval)" >&2; exit 2 ;;
esac
py=${PYTHON:-python3}
wheelhouse=${WHEELHOUSE:-wheelhouse}
results=${RESULTS:-gpu-check}
device=${DEVICE:-cuda}
configs=${CONFIGS:-paper-128}
batch=${BATCH:-64}
limit=${PART_TIMEOUT:-540}
sampling_batches=${SAMPLING_BATCHES:-64 128 256 512}
# least margin first (preset_fit --estimate, eager bf16): DiffSiam's generative runs at 128 px (58.6 GiB), iLab
# fine-tuning and Diff-AE at batch 128 (46.9 / 48.7), the 128 px zoo and fine-tuning (46.0 / 42.1)
fit_presets=${FIT_PRESETS:-presets/paper-diffae-ffhq128.yaml presets/paper-diffsiam-cifar10.yaml presets/paper-ilab.yaml}

if ! "$py" -c "import pydantic, jsonschema, yaml, pandas, tqdm" 2>/dev/null; then
    if ! compgen -G "$wheelhouse/*.whl" >/dev/null; then
        echo "gpu_check: $py lacks this project's dependencies and $wheelhouse/ holds no wheels;" \
             "run \`make wheelhouse\` where there is internet and bring wheelhouse/ along" >&2
        exit 2
    fi
    site=$(mktemp -d)
    if ! "$py" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --target "$site" \
        "$wheelhouse"/*.whl; then
        echo "gpu_check: $py could not install the wheels of $wheelhouse/; were they fetched for its Python" \
             "version? (make wheelhouse NODE_PYTHON=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])'))" >&2
        exit 2
    fi
    export PYTHONPATH="$site"
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$results"

run() {  # the command, its output also in RESULTS/<part>.log; a timeout is reported, not fatal
    local rc=0
    "$py" -c "import torch; print('torch', torch.__version__, 'on', torch.cuda.get_device_name() if \
torch.cuda.is_available() else 'CPU')" | tee "$results/$part.log"
    timeout --signal=INT --kill-after=30 "$limit" "$py" "$@" 2>&1 | tee -a "$results/$part.log" || rc=$?
    if [ "$rc" -eq 124 ]; then
        echo "gpu_check: $part stopped after ${limit} s (PART_TIMEOUT); the log holds what it measured" \
            | tee -a "$results/$part.log"
    fi
    return "$rc"
}

case "$part" in
    training)
        run benchmarks/throughput.py --devices "$device" --configs $configs --batch "$batch" --rounds 1 \
            --parts side-by-side tiny host-reads --tiny-params presets/paper-ilab.yaml "$@" ;;
    fit)
        run benchmarks/preset_fit.py $fit_presets --device "$device" --eager --steps 2 --csv "$results/fit.csv" "$@" ;;
    eval)
        run benchmarks/throughput.py --devices "$device" --configs $configs --batch "$batch" \
            --parts sampling evaluation --sampling-batches $sampling_batches "$@" ;;
esac
