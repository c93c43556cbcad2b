import os
import tempfile

import pytest

# Link the kernels into a cache of this run's own (not ~/.cache/einfuse),
# unless the caller chose one.
if "EINFUSE_CACHE_DIR" not in os.environ:
    os.environ["EINFUSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="einfuse-test-cache-")


@pytest.fixture(scope="session")
def build_module():
    """compile(source, **kw), or, when EINFUSE_TEST_PREBUILT names a folder
    (a GPU machine without the compiler), einfuse.load(<folder>/<key>) of a
    module saved there beforehand (python/tests/prebuild.py)."""
    import einfuse

    prebuilt = os.environ.get("EINFUSE_TEST_PREBUILT")

    def build(key, source, **kw):
        if prebuilt:
            path = os.path.join(prebuilt, key)
            if not os.path.isdir(path):
                pytest.skip(f"no prebuilt module {key} in {prebuilt}")
            return einfuse.load(path, options=kw.get("options", ""))
        return einfuse.compile(source, **kw)

    return build
