"""Fixtures for tests/test_refs.c: reference statistics in each published
format, written with Debian's numpy and pickle, and the mu and sigma each
holds as plain .npy files for an exact comparison."""
import os
import pickle
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)
rng = np.random.default_rng(17)

d = 6
x = rng.standard_normal((80, d))
mu, sigma = x.mean(0), np.cov(x, rowvar=False)
np.save(p("mu.npy"), mu)
np.save(p("sigma.npy"), sigma)
# a second space (EDM2's fd_dinov2 entry), and a float32 pair
y = rng.standard_normal((40, 3))
mu2, sigma2 = y.mean(0), np.cov(y, rowvar=False)
np.save(p("mu2.npy"), mu2)
np.save(p("sigma2.npy"), sigma2)
mu32, sigma32 = mu.astype(np.float32), sigma.astype(np.float32)
np.save(p("mu32.npy"), mu32.astype(np.float64))       # widened exactly, as fidkit must
np.save(p("sigma32.npy"), sigma32.astype(np.float64))

# pytorch-fid --save-stats and EDM's fid.py ref: np.savez(mu=, sigma=)
np.savez(p("pytorch_fid.npz"), mu=mu, sigma=sigma)
# clean-fid: savez_compressed, named NAME_MODE_SPLIT_RES.npz
np.savez_compressed(p("cifar10_legacy_tensorflow_train_32.npz"), mu=mu, sigma=sigma)
# the ADM evaluator's reference batch: images plus pool3 and spatial stats
np.savez(p("VIRTUAL_adm_ref.npz"), arr_0=rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8),
         mu=mu, sigma=sigma, mu_s=mu2, sigma_s=sigma2)
# EDM2's reference statistics: a pickled dict per metric (protocol 4, the default)
with open(p("edm2.pkl"), "wb") as f:
    pickle.dump({"fid": {"mu": mu, "sigma": sigma},
                 "fd_dinov2": {"mu": mu2, "sigma": sigma2}}, f, protocol=4)
# a plain dict, protocol 5 (numpy's _frombuffer path), float32
with open(p("plain5.pkl"), "wb") as f:
    pickle.dump({"mu": mu32, "sigma": sigma32}, f, protocol=5)
# refused: a pickle that would call os.system
class Evil:
    def __reduce__(self):
        return (os.system, ("true",))
with open(p("evil.pkl"), "wb") as f:
    pickle.dump({"mu": Evil()}, f, protocol=4)
# refused: a Fortran-ordered array
with open(p("fortran.pkl"), "wb") as f:
    pickle.dump({"mu": mu, "sigma": np.asfortranarray(sigma)}, f,
                protocol=4)
