#!/usr/bin/python3
"""Reference for fidkit's CLIP tokenizer: the published simple_tokenizer
algorithm (OpenAI CLIP, clip/simple_tokenizer.py + clip.tokenize) written out
here with Python's own libraries, run on a corpus of tricky captions and on
seeded random ones.

    tokenizer.py OUTDIR

Writes OUTDIR/{captions,captions_off,raw_ids,raw_off,ctx77,bench,bench_off,
py_rate}.npy. The merge list is $FK_SOURCE_DIR/../shared/data/clip/
bpe_simple_vocab_16e6.txt.gz (or $FK_CLIP_BPE); without it this script fails.

ftfy: CLIP calls ftfy.fix_text. Debian 12 has no python3-ftfy, so unless the
`ftfy` module imports, the curated captions go through `fix_text_subset`
below, which re-implements the ftfy 6.x fixers that act on well-formed text
(see docs/tokenizer.md); with ftfy installed the curated captions use the real
ftfy.fix_text. The random captions always use the subset (they contain
strings ftfy's mojibake detector could rewrite, which fidkit does not do).
"""
import gzip
import html
import html.entities
import os
import random
import re as stdre
import sys
import time
import unicodedata

import numpy as np

try:
    import regex  # what CLIP's split uses: Debian's python3-regex
except ImportError:
    sys.exit("tokenizer.py: the Python module `regex` is missing (Debian python3-regex): "
             "run tools/install-deps.sh")

try:
    import ftfy  # noqa: F401
except ImportError:
    ftfy = None

CTX = 77

# ---------------------------------------------------------------- ftfy subset

_ENTITY = stdre.compile(r"&#?[0-9A-Za-z]{1,24};")
_ANSI = stdre.compile("\x1b\\[((?:\\d|;)*)([a-zA-Z])")
_LIG = {0x132: "IJ", 0x133: "ij", 0x149: "\u02bcn", 0x1C4: "D\u017d", 0x1C5: "D\u017e",
        0x1C6: "d\u017e", 0x1C7: "LJ", 0x1C8: "Lj", 0x1C9: "lj", 0x1CA: "NJ", 0x1CB: "Nj",
        0x1CC: "nj", 0x1F1: "DZ", 0x1F2: "Dz", 0x1F3: "dz", 0xFB00: "ff", 0xFB01: "fi",
        0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "\u017ft", 0xFB06: "st"}


def _entity_table():
    t = {}
    for name, val in html.entities.html5.items():
        if not name.endswith(";"):
            continue
        t["&" + name] = val
        # all-caps spellings of lower-case names that HTML itself does not know
        if name == name.lower():
            up = "&" + name.upper()
            if html.unescape(up) == up:
                t[up] = val.upper()
    return t


_ENT = _entity_table()


def _ftfy_entity(m):
    s = m.group(0)
    if s in _ENT:
        return _ENT[s]
    if s.startswith("&#"):
        u = html.unescape(s)
        return s if ";" in u else u
    return s


def _width(c):
    o = ord(c)
    if o == 0x3000:
        return " "
    if 0xFF01 <= o <= 0xFFEF:
        return unicodedata.normalize("NFKC", c)
    return c


def _c1(c):
    o = ord(c)
    if 0x80 <= o <= 0x9F:
        try:
            return bytes([o]).decode("cp1252")
        except UnicodeDecodeError:
            return c
    return c


_CONTROL = set(range(0, 9)) | {0x0B} | set(range(0x0E, 0x20)) | {0x7F} | \
    set(range(0x206A, 0x2070)) | {0xFEFF} | set(range(0xFFF9, 0xFFFD))


def _one_round(s, unescape):
    if unescape:
        s = _ENTITY.sub(_ftfy_entity, s)
    s = "".join(_c1(c) for c in s)
    s = "".join(_LIG.get(ord(c), c) for c in s)
    s = "".join(_width(c) for c in s)
    s = stdre.sub("[\u02bc\u2018-\u201b]", "'", s)
    s = stdre.sub("[\u201c-\u201f]", '"', s)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    for ch in "\u2028\u2029\u0085":
        s = s.replace(ch, "\n")
    s = _ANSI.sub("", s)
    s = "".join(c for c in s if ord(c) not in _CONTROL)
    return unicodedata.normalize("NFC", s)


def fix_text_subset(text):
    out = []
    unescape = True
    for seg in _lines(text):
        if "<" in seg:
            unescape = False
        while True:
            new = _one_round(seg, unescape)
            if new == seg:
                break
            seg = new
        out.append(seg)
    return "".join(out)


def _lines(text):
    pos = 0
    while pos < len(text):
        k = text.find("\n", pos)
        end = len(text) if k < 0 else k + 1
        yield text[pos:end]
        pos = end


# ------------------------------------------------------------- the tokenizer

def byte_map():
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    rest = [b for b in range(256) if b not in keep]
    order = keep + rest
    chars = [chr(b) for b in keep] + [chr(256 + i) for i in range(len(rest))]
    return dict(zip(order, chars)), order


class Tokenizer:
    PAT = regex.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|"
                        r"[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", regex.IGNORECASE)

    def __init__(self, path, fix):
        self.fix = fix
        self.bmap, order = byte_map()
        with gzip.open(path) as f:
            lines = f.read().decode("utf-8").split("\n")
        merges = [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]
        vocab = [self.bmap[b] for b in order]
        vocab += [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.enc = {}
        for i, v in enumerate(vocab):
            self.enc[v] = i
        self.rank = {}
        for i, m in enumerate(merges):
            self.rank[m] = i
        self.memo = {"<|startoftext|>": ["<|startoftext|>"], "<|endoftext|>": ["<|endoftext|>"]}

    def bpe(self, tok):
        if tok in self.memo:
            return self.memo[tok]
        word = list(tok[:-1]) + [tok[-1] + "</w>"]
        while len(word) > 1:
            ranked = [(self.rank.get((word[i], word[i + 1]), None), i) for i in range(len(word) - 1)]
            ranked = [r for r in ranked if r[0] is not None]
            if not ranked:
                break
            first, second = word[min(ranked)[1]], word[min(ranked)[1] + 1]
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.memo[tok] = word
        return word

    def clean(self, text):
        text = self.fix(text)
        text = html.unescape(html.unescape(text)).strip()
        text = regex.sub(r"\s+", " ", text).strip()
        return text.lower()

    def encode(self, text):
        ids = []
        for piece in self.PAT.findall(self.clean(text)):
            mapped = "".join(self.bmap[b] for b in piece.encode("utf-8"))
            ids.extend(self.enc[s] for s in self.bpe(mapped))
        return ids

    def tokenize(self, text):
        ids = [49406] + self.encode(text) + [49407]
        if len(ids) > CTX:
            ids = ids[:CTX]
            ids[-1] = 49407
        return ids + [0] * (CTX - len(ids))


# ------------------------------------------------------------------- corpora

CURATED = [
    "a photo of a cat",
    "A Photo Of A CAT",
    "",
    "   ",
    "\t\n \r\n",
    "two dogs\tplaying\nin the  snow   ",
    "Don't you think it's a dog's life? I'm sure they'll say we've I'd",
    "DON'T IT'S THEY'LL WE'VE",
    "it\u2019s \u201cquoted\u201d text \u2018here\u2019",
    "pi is 3.14 and 1,000 people paid $1,000,000.00 on 2023-01-05 at 10:30pm",
    "\u00e9t\u00e9 \u00e0 la plage, cr\u00e8me br\u00fbl\u00e9e, na\u00efve caf\u00e9",
    "e\u0301te\u0301 with combining accents; A\u030a and o\u0308 and n\u0303",
    "\u4e00\u53ea\u732b\u5728\u8349\u5730\u4e0a \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \ud55c\uad6d\uc5b4 \ubb38\uc7a5",
    "emoji \U0001F600\U0001F431\U0001F468\u200d\U0001F469\u200d\U0001F467 flags \U0001F1EB\U0001F1F7 \U0001F44D\U0001F3FD",
    "Tom &amp; Jerry &lt;3 &quot;cartoon&quot; &#39;classic&#39; &#x27;x&#x27;",
    "fish &amp;amp; chips &amp;amp;amp; peas",
    "caf&eacute; &EACUTE;T&Eacute; BUNDESSTRA&SZLIG;E &notit; &not that",
    "<b>bold</b> &amp; tags &amp;amp; stay",
    "first line &amp;amp;\nsecond <line> &amp;amp;\nthird &amp;",
    "<|startoftext|>a dog<|endoftext|>",
    "<|STARTOFTEXT|> shouting <|EndOfText|>",
    "!!<|endoftext|>??",
    "\u03a3\u039f\u03a6\u0399\u0391 \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u03a3 A\u03a3 \u03a3A",
    "\u0130stanbul \u0049\u0131\u015f\u0131k STRASSE Stra\u00dfe \u1e9e",
    "\ufb01sh \ufb02ower \ufb03ce \u0132sselmeer",
    "\uff21\uff22\uff23 \uff11\uff12\uff13 \uff76\uff9e\uff77\u3000\uff01",
    "numbers: \u00bd \u00b2 \u2163 \u0663\u0664 \u0e52 \u2460",
    "tabs\tand\x0bvertical\x0cfeeds\x1cand\x1dseparators\x85next\u2028line\u2029para",
    "nbsp\u00a0here and\u2009thin\u3000ideographic \u200bzero-width",
    "\x1b[31mred\x1b[0m terminal \x1b[1;4mbold\x1b[m",
    "control\x01\x02\x7f chars \ufeffbom \ufffc obj",
    "C1 \x93quoted\x94 \x85 ellipsis \x80 euro",
    "ypogegrammeni \u0345 alone and \u03b1\u0345",
    "long s: it'\u017f and \u017ftart <|\u017ftartoftext|> kelvin \u212a",
    "ALL CAPS CAPTION WITH NUMBERS 123 AND SYMBOLS #@!",
    "hyphen-ated words, e.g. state-of-the-art; semi;colons: and (parens) [brackets] {braces}",
    "url https://example.com/path?q=1&r=2 email someone@example.org",
    "repeated!!!!!!!! punctuation?!?! ... \u2026 \u2014 \u2013",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "Pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0627\u0644\u0633\u0644\u0627\u0645 \u05e9\u05dc\u05d5\u05dd \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",
    "\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439, \u043c\u0438\u0440! \u0401\u041b\u041a\u0410",
    "&#128512; &#x1F431; &#0; &#x110000; &#128; &#xD800; &#65 &#x41",
    "\u1100\u1161\u11a8 jamo and \uac00\u11a8",
    "a photo of a " + "very " * 60 + "long caption",
    " ".join("word%d" % i for i in range(100)),
    "x" * 300,
    "tr\u00e8s \u00ab guillemets \u00bb and \u201elow\u201c quotes",
    "'s 't 're 've 'm 'll 'd ''s",
    "math: 2+2=4, x^2, 50%, \u00b1 1e-3, \u221e, \u03c0r\u00b2",
    "AT&amp;T R&D &amp;lt;tag&amp;gt; & && &amp &#; &#x; trailing &",
    "&averyveryveryverylongentitynamethatgoesonandon; &abcdefghijklmnopqrstuvwxyz1234567;",
    "escape with other digits \x1b[\u0663m here \x1b[;m and \x1b[9",
    "\u212b\u2126 singletons, \u0344 \u0f73 excluded, \u1e0b\u0323 reorder \u0071\u0307\u0323",
    "\x01\x02\x03",
    "a " * 75,
    "a " * 76,
    "A dog's toy; the dogs' toys; rock 'n' roll; '90s",
    "\u00c5ngstr\u00f6m \u00d8resund \u0141\u00f3d\u017a \u0218\u021b",
]


def random_corpus(rng, n):
    pieces = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
              + list(" \t\n\r.,;:!?'\"-_()[]{}<>|/\\@#$%^*+=~`&")
              + ["&amp;", "&amp;amp;", "&lt;", "&gt;", "&#39;", "&#x27;", "&not", "&NTILDE;",
                 "&nbsp;", "&#8217;", "&#", "&;", "&#x;", "<|startoftext|>", "<|endoftext|>",
                 "'s", "'t", "'ll", "\x1b[0m", "\x1b[", "\r\n"]
              + list("\u00e9\u00e8\u00e0\u00fc\u00df\u0301\u0327\u0308\u0345\u03a3\u03c3\u03c2"
                     "\u0130\u0131\u017f\u212a\u1e9e\ufb01\ufb06\uff21\uff41\uff11\uff76\uff9e"
                     "\u3000\u00a0\u2028\u2029\u0085\u200b\u200d\ufeff\x01\x7f\x80\x93\x9d"
                     "\u2018\u2019\u201c\u201d\u02bc\u00bd\u00b2\u2163\u0663\u4e00\u732b"
                     "\uac00\u1100\u1161\u11a8\u0928\u094d\u0627\u05e9\u0e2a\u0416\u0436"
                     "\U0001F600\U0001F3FD\U0001F1EB\u2026\u2014\u00a9\u00ae\u2122\u01c4\u01c5")
              + ["cat", "dog", "photo", "the", "running", "beautiful", "sunset", "1,000", "3.14"])
    out = []
    for _ in range(n):
        k = rng.randrange(0, 30)
        parts = []
        for _ in range(k):
            r = rng.random()
            if r < 0.08:
                cp = rng.randrange(0x80, 0x30000)
                if 0xD800 <= cp <= 0xDFFF:
                    cp = 0x20
                parts.append(chr(cp))
            else:
                parts.append(rng.choice(pieces))
        out.append("".join(parts))
    return out


def bench_corpus(rng, n):
    words = ("a an the photo picture image of with on in at near two three small large red "
             "blue green black white dog dogs cat cats man woman child people car bus train "
             "street city beach mountain snow grass tree table kitchen plate food pizza "
             "sitting standing running playing holding looking riding eating is are and "
             "young old wooden busy sunny cloudy night day river bridge building sign").split()
    caps = []
    for _ in range(n):
        k = rng.randrange(6, 18)
        s = " ".join(rng.choice(words) for _ in range(k))
        caps.append(s[0].upper() + s[1:] + rng.choice([".", "", " .", "!"]))
    return caps


def blob(strings):
    data = [s.encode("utf-8") for s in strings]
    off = np.zeros(len(data) + 1, dtype=np.int64)
    off[1:] = np.cumsum([len(d) for d in data])
    return np.frombuffer(b"".join(data), dtype=np.uint8).copy(), off


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    path = os.environ.get("FK_CLIP_BPE") or os.path.join(
        os.environ.get("FK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
        "..", "shared", "data", "clip", "bpe_simple_vocab_16e6.txt.gz")
    if not os.path.exists(path):
        sys.exit("tokenizer.py: the CLIP merge list %s is missing" % path)
    with open(os.path.join(out, "bpe_path.txt"), "w") as f:
        f.write(os.path.abspath(path))
    # the same list uncompressed, and one cut short, for the loader's tests
    with gzip.open(path) as f:
        text = f.read()
    with open(os.path.join(out, "bpe.txt"), "wb") as f:
        f.write(text)
    with open(os.path.join(out, "bpe_short.txt"), "wb") as f:
        f.write(b"\n".join(text.split(b"\n")[:1000]))
    # Hugging Face's merges.txt layout: its own header line, then exactly
    # the merges CLIP uses (49152 - 256 - 2 of them), nothing after
    with open(os.path.join(out, "bpe_hf_merges.txt"), "wb") as f:
        f.write(b"#version: 0.2\n" + b"\n".join(text.split(b"\n")[1:49152 - 256 - 2 + 1]) + b"\n")

    rng = random.Random(20240607)
    real = Tokenizer(path, ftfy.fix_text if ftfy else fix_text_subset)
    sub = real if ftfy is None else Tokenizer(path, fix_text_subset)
    curated = CURATED
    fuzz = random_corpus(rng, 3000)
    captions = curated + fuzz
    raw = [real.encode(c) for c in curated] + [sub.encode(c) for c in fuzz]
    ctx = np.array([real.tokenize(c) for c in curated] + [sub.tokenize(c) for c in fuzz],
                   dtype=np.int32)
    b, o = blob(captions)
    np.save(os.path.join(out, "captions.npy"), b)
    np.save(os.path.join(out, "captions_off.npy"), o)
    ids = np.array([i for r in raw for i in r], dtype=np.int32)
    roff = np.zeros(len(raw) + 1, dtype=np.int64)
    roff[1:] = np.cumsum([len(r) for r in raw])
    np.save(os.path.join(out, "raw_ids.npy"), ids)
    np.save(os.path.join(out, "raw_off.npy"), roff)
    np.save(os.path.join(out, "ctx77.npy"), ctx)

    # throughput of this reference (fresh tokenizers, cold caches): on plain
    # captions with a small vocabulary, and on the tricky corpus above
    bench = bench_corpus(rng, 20000)
    rates = []
    for corpus in (bench, captions):
        t = Tokenizer(path, fix_text_subset)
        t0 = time.perf_counter()
        for c in corpus:
            t.tokenize(c)
        rates.append(len(corpus) / (time.perf_counter() - t0))
    b, o = blob(bench)
    np.save(os.path.join(out, "bench.npy"), b)
    np.save(os.path.join(out, "bench_off.npy"), o)
    np.save(os.path.join(out, "py_rate.npy"), np.array(rates, dtype=np.float64))
    rate = rates[0]
    print("tokenizer.py: %d captions (%d curated), ftfy %s; python reference %.0f captions/s"
          % (len(captions), len(curated), ftfy.__version__ if ftfy else "absent (subset)", rate))


if __name__ == "__main__":
    main()
