"""Records, at install time, where a build tree's libfidkit.so is (when
python/ sits in a fidkit source tree that has been built), so that an
installed package finds it without FIDKIT_LIB. Everything else is in
pyproject.toml."""
import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPy(build_py):
    def run(self):
        super().run()
        lib = os.path.join(os.path.dirname(HERE), "build", "libfidkit.so")
        target = os.path.join(self.build_lib, "fidkit", "_paths.py")
        with open(target, "w") as f:
            f.write("# written by setup.py at install time\nBUILD_LIB = %r\n"
                    % (lib if os.path.exists(lib) else None))


setup(cmdclass={"build_py": BuildPy})
