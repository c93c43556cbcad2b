# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "Einfuse"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
# test/gpu holds the scripts the GPU machine runs (test/gpu/run.sh), not lit tests.
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "gpu"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.einfuse_obj_root, "test")

llvm_config.use_default_substitutions()
config.substitutions.append(("%einfuse_src", config.einfuse_src_root))
config.substitutions.append(("%einfuse_obj", config.einfuse_obj_root))
config.substitutions.append(("%cc", config.c_compiler))
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.einfuse_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["einfuse-opt", "einfuse-compile", "einfuse-e2e"], [config.einfuse_tools_dir])
# The libFuzzer target exists in builds with -DEINFUSE_ENABLE_FUZZER=ON.
if os.path.exists(os.path.join(config.einfuse_tools_dir, "einfuse-fuzz")):
    config.available_features.add("fuzzer")
    llvm_config.add_tool_substitutions(["einfuse-fuzz"], [config.einfuse_tools_dir])

# A sanitizer build (scripts/sanitize.sh) reports through these; they pass
# through to every tool the tests run.
for var in ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "ASAN_SYMBOLIZER_PATH"]:
    if var in os.environ:
        config.environment[var] = os.environ[var]
if config.einfuse_sanitizers:
    config.available_features.add("sanitizers")

if shutil.which("ptxas") or os.path.exists("/usr/local/cuda/bin/ptxas"):
    config.available_features.add("ptxas")
if os.path.exists("/usr/local/cuda/include/cuda.h"):
    config.available_features.add("cuda-headers")
# The AMD launchers include <hip/hip_runtime_api.h> (libamdhip64-dev).
if os.path.exists("/usr/include/hip/hip_runtime_api.h"):
    config.available_features.add("hip-headers")
