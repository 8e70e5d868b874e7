#!/usr/bin/env bash
# tools/gpu_check.sh — the GPU check of issue 21, one script for an NVIDIA
# machine that has a CUDA build of PyTorch for Python (its libtorch, headers
# and CMake files), CMake and a compiler, but none of Debian's -dev packages
# and no network.
#
#   tools/gpu_check.sh [--bundle DIR] [--build DIR] [--work DIR] [--out FILE.md] [--dry-run]
#
#   --bundle DIR  .deb files from tools/gpu_bundle.sh (run where Debian's
#                 archive is): unpacked into WORK/prefix and built against.
#                 Without it the machine's own libraries are used.
#   --build DIR   an existing fidkit build to use instead of building one.
#   --work DIR    scratch folder (default /tmp/fidkit-gpu-check).
#   --out FILE    the Markdown report (default WORK/gpu_check.md).
#   --dry-run     the CPU fallback path with tiny sizes (also taken when
#                 torch sees no CUDA device): every step runs, on the CPU,
#                 to prove the script works; its numbers are not GPU results.
#
# Checks (random-weight configs, so no weights need downloading; the
# tolerance is the issue's):
#   1. features on --device auto (cuda:0) vs --device cpu, Inception-v3
#      pool3, CLIP ViT-B/32 image, DINOv2 ViT-L/14 (if configs/
#      dinov2_vitl14_dgm.yaml exists): max over rows of |a-b|/|b| <= 1e-4;
#   2. FID on cuda vs cpu (two sets, Inception): relative difference <= 1e-4;
#   3. forward throughput, img/s: fidkit extract on cuda (an .npz at the
#      input size, fp32 and tf32) vs eager PyTorch on the same GPU with the
#      same architecture (torchvision models, random weights; fp32 with TF32
#      off, and TF32 on);
#   4. end to end: `fidkit stats` on 10k generated 256x256 PNGs vs a
#      pytorch-fid style pipeline (DataLoader, 8 PIL workers; pytorch-fid's
#      InceptionV3 if importable with its weights cached, else torchvision's
#      Inception-v3 with random weights: said in the table).
# The checks (after the build) are bounded by TIME_LIMIT seconds (default
# 600; 1800 for a dry run on a small CPU machine): what would overrun is
# skipped and the table says so. Exit status 1 when a tolerance is missed.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=/tmp/fidkit-gpu-check
BUNDLE="" BUILD="" OUT="" DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OUT=${OUT:-$WORK/gpu_check.md}
# The Python with torch: $PYTHON, else the first of python3, /usr/bin/python3.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3 /usr/bin/python3; do
    if "$c" -c 'import torch, torchvision' 2>/dev/null; then PY=$c; break; fi
  done
  PY=${PY:-python3}
fi
T0=$(date +%s)
log() { echo "gpu_check [$(( $(date +%s) - T0 ))s]: $*" >&2; }

"$PY" -c 'import torch, torchvision' 2>/dev/null || { echo "gpu_check: $PY cannot import torch and torchvision" >&2; exit 1; }
HAS_CUDA=$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))')
if [ "$HAS_CUDA" != 1 ] && [ $DRY = 0 ]; then
  log "torch sees no CUDA device: taking the CPU fallback path (--dry-run)"
  DRY=1
fi

# ---- the libraries the core needs, from .debs --------------------------------
if [ -n "$BUNDLE" ]; then
  P=$WORK/prefix
  mkdir -p "$P"
  for d in "$BUNDLE"/*.deb; do
    if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$d" "$P"
    else (t=$(mktemp -d); cd "$t" && ar x "$d" && tar -xf data.tar.* -C "$P"; rm -rf "$t"); fi
  done
  # .pc files say prefix=/usr: point them into the prefix.
  find "$P" -name '*.pc' -exec sed -i "s|^prefix=/usr|prefix=$P/usr|" {} +
  # -dev symlinks may be absolute (/usr/lib/...): make them relative to P.
  find "$P" -type l | while read -r l; do
    t=$(readlink "$l"); case "$t" in /*) ln -sfn "$P$t" "$l" ;; esac; done
  ML=$(ls -d "$P"/usr/lib/*-linux-gnu 2>/dev/null | head -1)
  export PKG_CONFIG_PATH="$ML/pkgconfig:$P/usr/share/pkgconfig:$P/usr/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export CPATH="$P/usr/include:$P/usr/include/stb${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$ML:$ML/openblas-pthread${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export LD_LIBRARY_PATH="$ML:$ML/openblas-pthread:$ML/lapack:$ML/blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  [ -x "$P/usr/bin/pkgconf" ] && export PKG_CONFIG="$P/usr/bin/pkgconf"
  log "unpacked $(ls "$BUNDLE"/*.deb | wc -l) .debs into $P"
fi

# ---- build fidkit against the Python torch's libtorch --------------------------
if [ -z "$BUILD" ]; then
  BUILD=$WORK/build
  TD=$("$PY" -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')
  [ -f "$TD/TorchConfig.cmake" ] || { log "no TorchConfig.cmake in $TD: building against the default libtorch"; TD=""; }
  GEN=""; command -v ninja >/dev/null && GEN="-G Ninja"
  log "configuring against ${TD:-the default libtorch}"
  cmake -S "$SRC" -B "$BUILD" $GEN -DCMAKE_BUILD_TYPE=Release -DFIDKIT_TORCH_DIR="$TD" \
    -DFIDKIT_PLOTS=OFF -DFIDKIT_TIFF=OFF -DFIDKIT_WEBP=OFF -DFIDKIT_TESTS=OFF -DFIDKIT_MPI=OFF \
    -DFIDKIT_WERROR=OFF > "$WORK/configure.log" 2>&1 || { tail -30 "$WORK/configure.log"; exit 1; }
  TARGETS="fidkit_cli inception_v3 clip"
  [ -d "$SRC/backbones/dinov2" ] && TARGETS="$TARGETS dinov2"
  cmake --build "$BUILD" -j"$(nproc)" --target $TARGETS > "$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
fi
BUILD=$(cd "$BUILD" && pwd)
# The 10 minutes of checks start now (the build is not counted).
T0=$(date +%s)
FK=$BUILD/fidkit
[ -x "$FK" ] || { echo "gpu_check: no fidkit in $BUILD" >&2; exit 1; }
export FIDKIT_PLUGIN_PATH=$BUILD/plugins FIDKIT_OFFLINE=1 FIDKIT_NO_CACHE=1
unset FIDKIT_DEVICE FIDKIT_PRECISION
log "$("$FK" --version | tr '\n' ' ')"

# ---- the measurements (Python drives fidkit and the eager references) ----------
export FK SRC WORK OUT DRY T0
exec "$PY" - <<'PYEOF'
import os, re, subprocess, sys, time, json, glob, shutil
import numpy as np
import torch, torchvision
from multiprocessing import Pool

FK, SRC, WORK, OUT = os.environ["FK"], os.environ["SRC"], os.environ["WORK"], os.environ["OUT"]
DRY = os.environ["DRY"] == "1"
T0 = float(os.environ["T0"])
LIMIT = float(os.environ.get("TIME_LIMIT", "1800" if DRY else "600"))
DEV = "cuda" if torch.cuda.is_available() and not DRY else "cpu"
FDEV = "auto" if not DRY else "auto"   # fidkit's accelerated side: auto (cuda:0, else cpu)
# Sizes: (features, FID set, throughput, end-to-end)
N_FEAT, N_FID, N_THR, N_E2E = (4, 8, 8, 16) if DRY else (128, 1000, 2000, 10000)
rows_feat, rows_fid, rows_thr, rows_e2e, notes = [], [], [], [], []

def log(m):
    print("gpu_check [%ds]: %s" % (time.time() - T0, m), file=sys.stderr, flush=True)

def left():
    return LIMIT - (time.time() - T0)

def fk(*args, check=True):
    r = subprocess.run([FK] + list(args), capture_output=True, text=True)
    if check and r.returncode:
        raise RuntimeError("fidkit %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()[-600:]))
    return r

def random_config(name, src):
    """A copy of a config with seeded random weights (no download)."""
    text = open(src).read()
    out, skip = [], False
    for line in text.splitlines():
        if re.match(r"^weights:", line):
            out += ["weights:", "  random: 0"]
            skip = True
            continue
        if skip and (line.startswith(" ") or not line.strip()):
            continue
        skip = False
        out.append(line)
    p = os.path.join(WORK, name + ".yaml")
    open(p, "w").write("\n".join(out) + "\n")
    return p

backbones = [("Inception-v3 pool3", os.path.join(SRC, "configs/inception_v3_random.yaml"), 299),
             ("CLIP ViT-B/32 image", os.path.join(SRC, "configs/clip_vit_b32_random.yaml"), 224)]
dino = os.path.join(SRC, "configs/dinov2_vitl14_dgm.yaml")
if os.path.exists(dino):
    backbones.append(("DINOv2 ViT-L/14", random_config("dinov2_vitl14_random", dino), 224))
else:
    notes.append("DINOv2 ViT-L/14 skipped: configs/dinov2_vitl14_dgm.yaml does not exist in this tree.")

rng = np.random.default_rng(21)
def npz(name, n, side):
    p = os.path.join(WORK, "%s_%d_%d.npz" % (name, n, side))
    if not os.path.exists(p):
        # smooth-ish images: low-frequency noise upsampled, so features vary
        lo = rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8)
        x = torch.nn.functional.interpolate(torch.from_numpy(lo).permute(0, 3, 1, 2).float(),
                                            size=(side, side), mode="bilinear", align_corners=False)
        np.savez(p, arr_0=x.clamp(0, 255).round().byte().permute(0, 2, 3, 1).numpy())
    return p

def feats(path):
    return np.load(path)["feats"].astype(np.float64)

# ---- 1. features, accelerated vs CPU ----------------------------------------
data = npz("feat", N_FEAT, 256)
for label, cfg, side in backbones:
    try:
        a, b = os.path.join(WORK, "fa.npz"), os.path.join(WORK, "fb.npz")
        fk("extract", data, "--backbone", cfg, "--device", FDEV, "-o", a, "--quiet")
        fk("extract", data, "--backbone", cfg, "--device", "cpu", "-o", b, "--quiet")
        A, B = feats(a), feats(b)
        rel = float(np.max(np.linalg.norm(A - B, axis=1) / np.maximum(np.linalg.norm(B, axis=1), 1e-30)))
        rows_feat.append((label, N_FEAT, "%.2e" % rel, "yes" if rel <= 1e-4 else "**NO**"))
    except Exception as ex:
        rows_feat.append((label, N_FEAT, "error", str(ex)[:200]))
    log("features %s done" % label)

# ---- 2. FID, accelerated vs CPU ---------------------------------------------
try:
    inc = backbones[0][1]
    s1, s2 = npz("fidA", N_FID, 256), npz("fidB", N_FID, 256)
    fids = {}
    for dev in (FDEV, "cpu"):
        outs = []
        for i, s in enumerate((s1, s2)):
            o = os.path.join(WORK, "st_%s_%d.npz" % (dev, i))
            fk("stats", s, "--backbone", inc, "--device", dev, "-o", o, "--quiet")
            outs.append(o)
        r = fk("fd", outs[0], outs[1], "--json")
        fids[dev] = json.loads(r.stdout)["results"][0]["value"]
    rel = abs(fids[FDEV] - fids["cpu"]) / abs(fids["cpu"])
    rows_fid.append(("Inception-v3 (random weights)", N_FID, "%.6g" % fids[FDEV], "%.6g" % fids["cpu"],
                     "%.2e" % rel, "yes" if rel <= 1e-4 else "**NO**"))
except Exception as ex:
    rows_fid.append(("Inception-v3", N_FID, "error", "", "", str(ex)[:200]))
log("FID done")

# ---- 3. throughput: fidkit vs eager PyTorch ---------------------------------
def eager_model(label):
    from torchvision.models.vision_transformer import VisionTransformer
    if label.startswith("Inception"):
        m = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
        m.fc = torch.nn.Identity()
    elif label.startswith("CLIP"):
        m = VisionTransformer(224, 32, 12, 12, 768, 3072)
        m.heads = torch.nn.Identity()
    else:
        m = VisionTransformer(224, 14, 24, 16, 1024, 4096)
        m.heads = torch.nn.Identity()
    return m.eval().to(DEV)

def eager_rate(label, side, n, tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    m = eager_model(label)
    bs = 200 if DEV == "cuda" else 4
    x = torch.randn(bs, 3, side, side, device=DEV)
    with torch.inference_mode():
        m(x)
        if DEV == "cuda":
            torch.cuda.synchronize()
        t, done = time.time(), 0
        while done < n:
            m(x)
            done += bs
        if DEV == "cuda":
            torch.cuda.synchronize()
    return done / (time.time() - t)

def fidkit_rate(cfg, side, n, prec):
    """Steady-state img/s: (n - k) / (t(n) - t(k)), so that starting the
    process, loading libtorch and building the weights cancel out."""
    p = npz("thr", n, side)
    k = max(1, n // 8)
    extra = ["--precision", prec] if prec != "fp32" else []
    def run(limit):
        t = time.time()
        fk("extract", p, "--backbone", cfg, "--device", FDEV, "--limit", str(limit), "-o",
           os.path.join(WORK, "thr.npz"), "--quiet", *extra)
        return time.time() - t
    run(k)  # warm the page cache and the plugin
    tk, tn = run(k), run(n)
    if tn - tk < 0.1 * tn:  # too few images to tell the rate from start-up noise
        return float("nan")
    return (n - k) / (tn - tk)

for label, cfg, side in backbones:
    if left() < 200:
        notes.append("throughput of %s skipped: time limit" % label)
        continue
    for prec in ("fp32", "tf32"):
        try:
            if prec == "tf32" and DRY:
                rows_thr.append((label, prec, "refused on CPU", "%.1f" % eager_rate(label, side, N_THR, True), ""))
                continue
            a = fidkit_rate(cfg, side, N_THR, prec)
            b = eager_rate(label, side, N_THR, prec == "tf32")
            if a != a:
                rows_thr.append((label, prec, "n/a (start-up noise)", "%.1f" % b, ""))
            else:
                rows_thr.append((label, prec, "%.1f" % a, "%.1f" % b, "%.0f %%" % (100 * a / b)))
        except Exception as ex:
            rows_thr.append((label, prec, "error", "", str(ex)[:200]))
    log("throughput %s done" % label)
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

# ---- 4. end to end on generated PNGs ----------------------------------------
def write_png(args):
    from PIL import Image
    folder, i = args
    r = np.random.default_rng(i)
    lo = r.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(lo).resize((256, 256), Image.BILINEAR).save(os.path.join(folder, "%05d.png" % i))

class PngSet(torch.utils.data.Dataset):
    def __init__(self, files):
        self.files = files
    def __len__(self):
        return len(self.files)
    def __getitem__(self, i):
        from PIL import Image
        im = Image.open(self.files[i]).convert("RGB")
        return torchvision.transforms.functional.to_tensor(im)

def ptfid_model():
    try:
        from pytorch_fid.inception import InceptionV3
        m = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]])   # needs its cached weights
        return m.eval().to(DEV), "pytorch-fid InceptionV3 (FID weights)"
    except Exception:
        m = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
        m.fc = torch.nn.Identity()
        m = m.eval().to(DEV)
        def f(x):
            x = torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
            return [m(2 * x - 1)]
        return f, "pytorch-fid is absent: its pipeline with torchvision Inception-v3, random weights"

if left() > 120:
    try:
        folder = os.path.join(WORK, "png%d" % N_E2E)
        if len(glob.glob(os.path.join(folder, "*.png"))) != N_E2E:
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            with Pool(os.cpu_count()) as pool:
                pool.map(write_png, [(folder, i) for i in range(N_E2E)], chunksize=64)
        log("%d PNGs ready" % N_E2E)
        inc = backbones[0][1]
        t = time.time()
        fk("stats", folder, "--backbone", inc, "--device", FDEV, "-o", os.path.join(WORK, "e2e.npz"), "--quiet")
        t_fk = time.time() - t
        model, what = ptfid_model()
        files = sorted(glob.glob(os.path.join(folder, "*.png")))
        dl = torch.utils.data.DataLoader(PngSet(files), batch_size=50 if DEV == "cuda" else 4,
                                         num_workers=min(8, os.cpu_count()))
        t = time.time()
        feats_ = []
        with torch.inference_mode():
            for x in dl:
                y = model(x.to(DEV))[0]
                feats_.append(y.reshape(y.shape[0], -1).double().cpu())
        F = torch.cat(feats_).numpy()
        np.mean(F, axis=0), np.cov(F, rowvar=False)
        t_pt = time.time() - t
        rows_e2e.append(("fidkit stats, --device %s" % FDEV, N_E2E, "%.1f" % t_fk, "%.1f" % (N_E2E / t_fk)))
        rows_e2e.append((what + " (TF32 off)", N_E2E, "%.1f" % t_pt, "%.1f" % (N_E2E / t_pt)))
    except Exception as ex:
        rows_e2e.append(("error", N_E2E, "", str(ex)[:200]))
else:
    notes.append("end-to-end run skipped: time limit")
log("end to end done")

# ---- the report --------------------------------------------------------------
def table(head, rows):
    s = "| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n"
    return s + "".join("| " + " | ".join(str(c) for c in r) + " |\n" for r in rows)

ver = fk("--version").stdout.strip().replace("\n", "; ")
gpu = torch.cuda.get_device_name(0) if DEV == "cuda" else "none (CPU)"
md = []
if DRY:
    md.append("> **CPU dry run** (`--dry-run` or no CUDA device): tiny sizes, the accelerated side is "
              "`--device auto`, which fell back to the CPU. These numbers prove the script runs; "
              "they are **not GPU results**.\n")
md.append("- date: %s UTC\n- GPU: %s\n- %s\n- Python torch %s, torchvision %s, CUDA %s\n" % (
    time.strftime("%Y-%m-%d %H:%M", time.gmtime()), gpu, ver, torch.__version__, torchvision.__version__,
    torch.version.cuda))
md.append("\n**Features, `--device auto` vs `--device cpu`** (max over rows of |a-b|/|b|, tolerance 1e-4)\n\n")
md.append(table(["backbone", "images", "max rel. error", "within 1e-4"], rows_feat))
md.append("\n**FID, `--device auto` vs `--device cpu`** (tolerance 1e-4 relative)\n\n")
md.append(table(["backbone", "images per set", "FID auto", "FID cpu", "rel. difference", "within 1e-4"], rows_fid))
md.append("\n**Forward throughput, img/s** (fidkit: steady-state rate of `fidkit extract` on an "
          ".npz at the input size, (n-k)/(t(n)-t(k)) with k = n/8, decode and resize included; eager PyTorch: the same architecture from torchvision, random weights, "
          "input already on the device)\n\n")
md.append(table(["backbone", "precision", "fidkit", "eager PyTorch", "fidkit / eager"], rows_thr))
md.append("\n**End to end on generated 256x256 PNGs** (fidkit stats vs a pytorch-fid style "
          "DataLoader pipeline, 8 PIL workers)\n\n")
md.append(table(["pipeline", "images", "seconds", "img/s"], rows_e2e))
if notes:
    md.append("\n" + "".join("- %s\n" % n for n in notes))
md.append("\nTotal time: %.0f s.\n" % (time.time() - T0))
text = "".join(md)
open(OUT, "w").write(text)
print(text)
bad = any("**NO**" in str(r) or "error" in str(r[2]) for r in rows_feat + rows_fid)
sys.exit(1 if bad else 0)
PYEOF
