#!/usr/bin/python3
"""Reference for fidkit's CLIP backbone, CLIP-Score and CLIP-FD.

    clip.py OUTDIR

OpenAI CLIP's architecture (clip/model.py: ViT image encoder with a class
token, ln_pre, residual attention blocks with packed q/k/v and QuickGELU,
ln_post, proj; text transformer with a causal mask, ln_final and the end
token's features times text_projection) written here with torch.nn, at the
size of fidkit's `vit-tiny-test` variant (widths 128, 2 layers each, 2 heads,
patch 32 at 224, embed 64, context 77, vocabulary 49408), with seeded random
weights rounded to float16 values (so that a float16 file holds them
exactly).

Writes the weights in the three forms users hold:
  clip_tiny.pt           TorchScript archive (torch.jit.trace + save), as
                         OpenAI publishes ViT-B-32.pt,
  clip_tiny_oa.pth       torch.save state dict under OpenAI's names,
  clip_tiny_hf.safetensors  Hugging Face CLIPModel names (separate q/k/v,
                         projections transposed), float16, written by hand,
and configs for each, PNG images, captions tokenized with the real merge list
(tests/ref/tokenizer.py's Python tokenizer), preprocessed inputs (PIL ->
torchvision Resize(224, BICUBIC) + CenterCrop(224) -> ToTensor -> CLIP's
Normalize), image and text embeddings, CLIP-Scores in both conventions and
RefCLIP-S for a manifest, and the Fréchet distance between the CLIP
embeddings of two folders.
"""
import csv
import gzip
import json
import math
import os
import shutil
import struct
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
import scipy.linalg
import torchvision.transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokenizer as tk  # noqa: E402

VISION_WIDTH, VISION_LAYERS, PATCH, RES = 128, 2, 32, 224
TEXT_WIDTH, TEXT_LAYERS, CTX, VOCAB, EMBED = 128, 2, 77, 49408, 64
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
PREFIX = "A photo depicts "


# ------------------------------------------------------------------ the model

class LayerNorm(nn.LayerNorm):
    def forward(self, x):
        return super().forward(x.float())


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, mask):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(width, 4 * width)), ("gelu", QuickGELU()),
            ("c_proj", nn.Linear(4 * width, width))]))
        self.ln_2 = LayerNorm(width)
        self.mask = mask

    def forward(self, x):  # x: L, N, W (sequence first, as nn.MultiheadAttention)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=self.mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(width, heads, mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class Visual(nn.Module):
    def __init__(self):
        super().__init__()
        w = VISION_WIDTH
        self.conv1 = nn.Conv2d(3, w, PATCH, PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(w))
        self.positional_embedding = nn.Parameter(torch.randn((RES // PATCH) ** 2 + 1, w))
        self.ln_pre = LayerNorm(w)
        self.transformer = Transformer(w, VISION_LAYERS, w // 64)
        self.ln_post = LayerNorm(w)
        self.proj = nn.Parameter(torch.randn(w, EMBED))

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x).permute(1, 0, 2)
        x = self.transformer(x).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = Visual()
        mask = torch.full((CTX, CTX), float("-inf")).triu(1)
        self.transformer = Transformer(TEXT_WIDTH, TEXT_LAYERS, TEXT_WIDTH // 64, mask)
        self.token_embedding = nn.Embedding(VOCAB, TEXT_WIDTH)
        self.positional_embedding = nn.Parameter(torch.randn(CTX, TEXT_WIDTH))
        self.ln_final = LayerNorm(TEXT_WIDTH)
        self.text_projection = nn.Parameter(torch.randn(TEXT_WIDTH, EMBED))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        # OpenAI's archives carry these integers too; readers skip them
        self.register_buffer("input_resolution", torch.tensor(RES))
        self.register_buffer("context_length", torch.tensor(CTX))

    def encode_image(self, image):
        return self.visual(image)

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, image, text):
        return self.encode_image(image), self.encode_text(text)


def seeded_model():
    torch.manual_seed(20240611)
    m = CLIP().eval()
    with torch.no_grad():
        # scales as CLIP's initialize_parameters, plus non-trivial layer norms
        # and biases so that every parameter's place is tested
        for name, p in m.named_parameters():
            if name == "logit_scale":
                continue
            if "ln" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn_like(p))
            elif name == "token_embedding.weight":
                p.copy_(0.02 * torch.randn_like(p))
            elif name == "positional_embedding":
                p.copy_(0.01 * torch.randn_like(p))
            else:
                fan = p.shape[-1] if p.dim() == 2 else (p[0].numel() if p.dim() > 1 else p.shape[0])
                if name.endswith(".proj") or name in ("visual.proj", "text_projection"):
                    fan = p.shape[0]
                p.copy_(torch.randn_like(p) / math.sqrt(fan))
            p.copy_(p.half().float())
    return m


# ------------------------------------------------------------- weight files

def hf_state(sd):
    """transformers' CLIPModel names and layouts for an OpenAI state dict."""
    out = OrderedDict()

    def tower(oa, hf, layers):
        for i in range(layers):
            o, h = "%s.resblocks.%d." % (oa, i), "%s.layers.%d." % (hf, i)
            w, b = sd[o + "attn.in_proj_weight"], sd[o + "attn.in_proj_bias"]
            for j, name in enumerate(("q_proj", "k_proj", "v_proj")):
                n = w.shape[1]
                out[h + "self_attn.%s.weight" % name] = w[j * n:(j + 1) * n]
                out[h + "self_attn.%s.bias" % name] = b[j * n:(j + 1) * n]
            for a, c in (("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"),
                         ("ln_2", "layer_norm2"), ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")):
                out[h + c + ".weight"] = sd[o + a + ".weight"]
                out[h + c + ".bias"] = sd[o + a + ".bias"]

    out["text_model.embeddings.token_embedding.weight"] = sd["token_embedding.weight"]
    out["text_model.embeddings.position_embedding.weight"] = sd["positional_embedding"]
    out["text_model.embeddings.position_ids"] = torch.arange(CTX).unsqueeze(0)
    tower("transformer", "text_model.encoder", TEXT_LAYERS)
    out["text_model.final_layer_norm.weight"] = sd["ln_final.weight"]
    out["text_model.final_layer_norm.bias"] = sd["ln_final.bias"]
    out["vision_model.embeddings.class_embedding"] = sd["visual.class_embedding"]
    out["vision_model.embeddings.patch_embedding.weight"] = sd["visual.conv1.weight"]
    out["vision_model.embeddings.position_embedding.weight"] = sd["visual.positional_embedding"]
    out["vision_model.pre_layrnorm.weight"] = sd["visual.ln_pre.weight"]
    out["vision_model.pre_layrnorm.bias"] = sd["visual.ln_pre.bias"]
    tower("visual.transformer", "vision_model.encoder", VISION_LAYERS)
    out["vision_model.post_layernorm.weight"] = sd["visual.ln_post.weight"]
    out["vision_model.post_layernorm.bias"] = sd["visual.ln_post.bias"]
    out["visual_projection.weight"] = sd["visual.proj"].t()
    out["text_projection.weight"] = sd["text_projection"].t()
    out["logit_scale"] = sd["logit_scale"]
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            data, dt = t.numpy().astype("<i8").tobytes(), "I64"
        else:
            data, dt = t.half().numpy().astype("<f2").tobytes(), "F16"
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


CONFIG = """fidkit_config: 1
plugin: clip
variant: vit-tiny-test
weights:
  file: ./%s
input:
  size: 224
  resize: pil_bicubic
  crop: center
  scale: 0.00392156862745098
  mean: [0.48145466, 0.4578275, 0.40821073]
  std: [0.26862954, 0.26130258, 0.27577711]
output: image
device: cpu
threads: 0
batch_size: 8
options:
  bpe: %s
"""


# ------------------------------------------------------------------- images

def make_image(rng, w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    f = rng.uniform(0.01, 0.08, size=3)
    ph = rng.uniform(0, 6.28, size=3)
    img = np.stack([127 + 100 * np.sin(f[c] * x + ph[c]) * np.cos(f[(c + 1) % 3] * y) for c in range(3)], -1)
    img += rng.normal(0, 20, size=img.shape)
    return Image.fromarray(np.clip(np.round(img), 0, 255).astype(np.uint8), "RGB")


PREPROCESS = T.Compose([T.Resize(RES, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(RES),
                        T.ToTensor(), T.Normalize(MEAN, STD)])


def preprocess(path):
    with Image.open(path) as im:
        return PREPROCESS(im.convert("RGB"))


CAPTIONS = [
    "a photo of a cat",
    "Two dogs, playing in the snow",
    'a "quoted" caption, with commas',
    "Tom &amp; Jerry &lt;3 caf\u00e9 cr\u00e8me br\u00fbl\u00e9e",
    "emoji \U0001F600\U0001F431 and \u4e00\u53ea\u732b",
    "a photo of a " + "very " * 80 + "long caption",
]
SIZES = [(300, 200), (224, 224), (181, 261), (97, 131), (640, 480), (256, 257)]
REFS = {0: ["a cat on a mat", "a kitten"], 1: ["dogs in snow"], 3: ["a cartoon", "two friends", "dessert"],
        5: ["a very long description"]}


def main():
    t0 = time.time()
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    bpe = os.environ.get("FK_CLIP_BPE") or os.path.join(
        os.environ.get("FK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
        "..", "shared", "data", "clip", "bpe_simple_vocab_16e6.txt.gz")
    if not os.path.exists(bpe):
        sys.exit("clip.py: the CLIP merge list %s is missing" % bpe)
    bpe = os.path.abspath(bpe)
    torch.set_num_threads(2)
    model = seeded_model()
    sd = model.state_dict()

    # weights in three forms, with a config each
    img0 = torch.zeros(1, 3, RES, RES)
    txt0 = torch.zeros(1, CTX, dtype=torch.long)
    txt0[0, :3] = torch.tensor([49406, 320, 49407])
    with torch.no_grad():
        traced = torch.jit.trace(model, (img0, txt0), check_trace=False)
    torch.jit.save(traced, os.path.join(out, "clip_tiny.pt"))
    torch.save(OrderedDict((k, v) for k, v in sd.items() if v.is_floating_point()),
               os.path.join(out, "clip_tiny_oa.pth"))
    write_safetensors(os.path.join(out, "clip_tiny_hf.safetensors"), hf_state(sd))
    for cfg, weights, b in (("clip_jit.yaml", "clip_tiny.pt", bpe),
                            ("clip_oa.yaml", "clip_tiny_oa.pth", bpe),
                            ("clip_hf.yaml", "clip_tiny_hf.safetensors", '""')):
        with open(os.path.join(out, cfg), "w") as f:
            f.write(CONFIG % (weights, b))
    # clip_hf.yaml names no merge list: the default one beside the weights
    shutil.copyfile(bpe, os.path.join(out, "bpe_simple_vocab_16e6.txt.gz"))

    # tokens
    tok = tk.Tokenizer(bpe, tk.fix_text_subset)
    texts = CAPTIONS + [PREFIX + c for c in CAPTIONS] + \
        sorted({PREFIX + r for refs in REFS.values() for r in refs})
    texts += [c for c in tk.CURATED if c not in texts][:40]
    tokens = np.array([tok.tokenize(t) for t in texts], dtype=np.int32)
    truncated = np.array([len(tok.encode(t)) > CTX - 2 for t in texts], dtype=np.int32)
    with open(os.path.join(out, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
    b, o = tk.blob(texts)
    np.save(os.path.join(out, "texts.npy"), b)
    np.save(os.path.join(out, "texts_off.npy"), o)
    np.save(os.path.join(out, "tokens.npy"), tokens)
    np.save(os.path.join(out, "truncated.npy"), truncated)

    # images and the manifest of (image, caption) pairs
    rng = np.random.default_rng(7)
    names = []
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    for i, (w, h) in enumerate(SIZES):
        name = "images/im%d.png" % i
        make_image(rng, w, h).save(os.path.join(out, name))
        names.append(name)
    with open(os.path.join(out, "manifest.csv"), "w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(["image", "caption"])
        for n, c in zip(names, CAPTIONS):
            wr.writerow([n, c])
    with open(os.path.join(out, "manifest.jsonl"), "w", encoding="utf-8") as f:
        for n, c in zip(names, CAPTIONS):
            f.write(json.dumps({"image": n, "caption": c}, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "refs.csv"), "w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(["image", "caption"])
        for i, refs in REFS.items():
            for r in refs:
                wr.writerow([names[i], r])

    with torch.no_grad():
        x = torch.stack([preprocess(os.path.join(out, n)) for n in names])
        img_emb = model.encode_image(x)
        txt_emb = model.encode_text(torch.from_numpy(tokens).long())
    np.save(os.path.join(out, "inputs.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, "image_emb.npy"), img_emb.numpy().astype(np.float32))
    np.save(os.path.join(out, "text_emb.npy"), txt_emb.numpy().astype(np.float32))

    # CLIP-Scores, in float64 from the float32 embeddings
    I = img_emb.double().numpy()
    E = {t: txt_emb[i].double().numpy() for i, t in enumerate(texts)}

    def cos(a, b):
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    k = len(CAPTIONS)
    cos_h = np.array([cos(I[i], E[PREFIX + CAPTIONS[i]]) for i in range(k)])
    cos_t = np.array([cos(I[i], E[CAPTIONS[i]]) for i in range(k)])
    hessel = 2.5 * np.maximum(cos_h, 0)
    tm = 100 * cos_t
    ref_h = np.zeros(k)
    for i in range(k):
        rc = max([cos(E[PREFIX + CAPTIONS[i]], E[PREFIX + r]) for r in REFS.get(i, [])] or [0.0])
        rc = max(rc, 0.0)
        ref_h[i] = 0.0 if hessel[i] + rc == 0 else 2 * hessel[i] * rc / (hessel[i] + rc)
    scores = {
        "hessel_per": hessel.tolist(), "hessel_cos": cos_h.tolist(),
        "hessel_mean": float(hessel.mean()), "hessel_std": float(hessel.std()),
        "tm_per": tm.tolist(), "tm_mean_unclamped": float(tm.mean()),
        "tm_score": float(max(tm.mean(), 0.0)), "tm_std": float(tm.std()),
        "refclip_per": ref_h.tolist(), "refclip_mean": float(ref_h.mean()),
        "truncated_hessel": int(sum(len(tok.encode(PREFIX + c)) > CTX - 2 for c in CAPTIONS)),
        "truncated_tm": int(sum(len(tok.encode(c)) > CTX - 2 for c in CAPTIONS)),
    }
    with open(os.path.join(out, "scores.json"), "w") as f:
        json.dump(scores, f, indent=1)
    for key in ("hessel_per", "hessel_cos", "tm_per", "refclip_per"):
        np.save(os.path.join(out, key + ".npy"), np.array(scores[key], dtype=np.float64))
    np.save(os.path.join(out, "summary.npy"), np.array(
        [scores[k] for k in ("hessel_mean", "hessel_std", "tm_score", "tm_mean_unclamped", "tm_std",
                             "refclip_mean", "truncated_hessel", "truncated_tm")], dtype=np.float64))

    # CLIP-FD between two folders (clean-fid's CLIP features: encode_image,
    # not normalised): enough images for full-rank 64-d covariances
    feats = []
    for d, n, seed in (("fd_a", 80, 11), ("fd_b", 80, 12)):
        r = np.random.default_rng(seed)
        os.makedirs(os.path.join(out, d), exist_ok=True)
        xs = []
        for i in range(n):
            w, h = int(r.integers(40, 90)), int(r.integers(40, 90))
            p = os.path.join(out, d, "%03d.png" % i)
            make_image(r, w, h).save(p)
            xs.append(preprocess(p))
        with torch.no_grad():
            feats.append(model.encode_image(torch.stack(xs)).double().numpy())
    mu1, mu2 = feats[0].mean(0), feats[1].mean(0)
    s1, s2 = np.cov(feats[0], rowvar=False), np.cov(feats[1], rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    fd = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    np.save(os.path.join(out, "fd.npy"), np.array([fd], dtype=np.float64))
    print("clip.py: %d texts, %d images, CLIP-S %.4f, torchmetrics %.3f, FD %.5f (%.1f s)"
          % (len(texts), k, scores["hessel_mean"], scores["tm_score"], fd, time.time() - t0))


if __name__ == "__main__":
    main()
