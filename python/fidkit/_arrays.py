"""In-memory inputs: what a caller may hand over, checked and turned into
what the library takes (contiguous uint8 HWC images, float32 rows).

Images:
  * numpy uint8 (N, H, W, 3): RGB, used as is (no copy when C-contiguous);
  * torch uint8 (N, 3, H, W): torchmetrics' layout for normalize=False;
    transposed to (N, H, W, 3) (one copy);
  * float (N, 3, H, W) in [0, 1], numpy or torch CPU (float16/32/64):
    converted exactly as torchmetrics' FID/KID with normalize=True do,
    ``(imgs * 255).byte()``: multiplied by 255 in the array's own float
    type, then truncated toward zero to uint8 (so 0.999 -> 254, 1.0 -> 255).
    Values outside [0, 1] or NaN are refused rather than wrapped;
  * a list of numpy uint8 (H, W, 3) images of any sizes (each pushed alone).
Each image is then preprocessed by the library exactly as a decoded file of
the same pixels (resize, crop, normalisation of the backbone's config), so
an array equals the same images saved as PNG in a folder.
"""
import numpy as np

from .errors import BadInputError, UsageError


def _is_torch(x):
    return type(x).__module__.startswith("torch")


def _torch_to_numpy(x):
    if x.device.type != "cpu":
        raise UsageError("fidkit takes CPU tensors; call .cpu() on a %s tensor first"
                         % x.device.type)
    if x.requires_grad:
        x = x.detach()
    return x.numpy()  # shares memory when possible


def _floats_to_u8(x, what):
    if not np.all(np.isfinite(x)):
        raise BadInputError("%s: float images contain NaN or Inf" % what)
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise BadInputError("%s: float images must lie in [0, 1], found [%g, %g] (pass uint8 "
                            "0..255 in (N, H, W, 3) instead)" % (what, lo, hi))
    # torchmetrics: (imgs * 255).byte(), i.e. in the float type, truncated.
    return (x * x.dtype.type(255)).astype(np.uint8)


def image_batches(images, what="images"):
    """Yields contiguous uint8 (n, H, W, 3) blocks (one per size)."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise BadInputError("%s: an empty list of images" % what)
        if all(isinstance(im, np.ndarray) and im.ndim == 3 for im in images):
            for i, im in enumerate(images):
                yield from image_batches(im[None], "%s[%d]" % (what, i))
            return
        images = np.stack([_torch_to_numpy(t) if _is_torch(t) else np.asarray(t) for t in images])
    torch_in = _is_torch(images)
    x = _torch_to_numpy(images) if torch_in else images
    if not isinstance(x, np.ndarray):
        raise UsageError("%s: expected a numpy array or a torch tensor, not %s"
                         % (what, type(images).__name__))
    if x.ndim != 4:
        raise BadInputError("%s: expected a batch of 4 dimensions, uint8 (N, H, W, 3) or float "
                            "(N, 3, H, W), got shape %s" % (what, tuple(x.shape)))
    if x.shape[0] == 0:
        raise BadInputError("%s: an empty batch (N = 0)" % what)
    if x.dtype == np.uint8:
        if torch_in and x.shape[1] == 3:
            x = x.transpose(0, 2, 3, 1)       # torchmetrics' uint8 NCHW
        elif x.shape[3] != 3:
            raise BadInputError("%s: uint8 images must be (N, H, W, 3) RGB, got shape %s"
                                % (what, tuple(x.shape)))
    elif x.dtype in (np.float16, np.float32, np.float64):
        if x.shape[1] != 3:
            raise BadInputError("%s: float images must be (N, 3, H, W) in [0, 1], got shape %s"
                                % (what, tuple(x.shape)))
        x = _floats_to_u8(x, what).transpose(0, 2, 3, 1)
    else:
        raise BadInputError("%s: images must be uint8 (N, H, W, 3) or float (N, 3, H, W) in "
                            "[0, 1], not %s" % (what, x.dtype))
    if x.shape[1] < 1 or x.shape[2] < 1:
        raise BadInputError("%s: images of size %dx%d" % (what, x.shape[2], x.shape[1]))
    yield np.ascontiguousarray(x)


def feature_rows(x, what="features"):
    """float32 C-contiguous (n, d) rows from numpy or torch."""
    if _is_torch(x):
        x = _torch_to_numpy(x)
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise BadInputError("%s: expected numbers, got dtype %s" % (what, x.dtype))
    if x.ndim != 2:
        raise BadInputError("%s: expected (N, d) rows, got shape %s" % (what, tuple(x.shape)))
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise BadInputError("%s: empty (shape %s)" % (what, tuple(x.shape)))
    return np.ascontiguousarray(x, dtype=np.float32)


def is_array(x):
    return isinstance(x, (np.ndarray, list, tuple)) or _is_torch(x)
