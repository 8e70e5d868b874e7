"""The package installs offline into a venv over Debian's site packages
(pip install --no-build-isolation ./python) and finds the library of the
build tree beside it; a missing library is a clear ImportError."""
import os
import shutil
import subprocess
import sys

from conftest import BUILD, SRC

SNIPPET = ("import fidkit, json, sys; r = fidkit.fid(sys.argv[1], sys.argv[2], backbone=sys.argv[3]);"
           " print(json.dumps([fidkit.__file__, fidkit.LIBRARY_PATH, r.value]))")


def clean_env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("FIDKIT_LIB", None)
    return env


def test_pip_install_into_a_venv_offline(fx, tmp_path):
    import json
    import fidkit
    src = tmp_path / "src"
    shutil.copytree(os.path.join(SRC, "python"), src / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    os.symlink(BUILD, src / "build")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    p = subprocess.run([py, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index",
                        str(src / "python")], capture_output=True, text=True, env=clean_env())
    assert p.returncode == 0, p.stderr
    p = subprocess.run([py, "-c", SNIPPET, fx.real_dir, fx.fake_dir, fx.g4], capture_output=True,
                       text=True, env=clean_env(), cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    where, lib, value = json.loads(p.stdout)
    assert where.startswith(str(venv))
    assert os.path.realpath(lib) == os.path.realpath(os.path.join(BUILD, "libfidkit.so"))
    assert value == fidkit.fid(fx.real_dir, fx.fake_dir, backbone=fx.g4).value


def test_missing_library_is_a_clear_import_error(tmp_path):
    env = clean_env()
    env["FIDKIT_LIB"] = str(tmp_path / "nowhere" / "libfidkit.so")
    env["PYTHONPATH"] = os.path.join(SRC, "python")
    p = subprocess.run([sys.executable, "-c", "import fidkit"], capture_output=True, text=True,
                       env=env)
    assert p.returncode != 0
    assert "ImportError" in p.stderr and "libfidkit.so not found" in p.stderr
    assert "FIDKIT_LIB" in p.stderr and "cmake --build" in p.stderr
