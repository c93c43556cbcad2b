# Shared by bootstrap.sh and test.sh.
PACKAGES=(cmake ninja-build python3 llvm-22-dev llvm-22-tools libmlir-22-dev
          mlir-22-tools clang-22 lld-22 libomp-22-dev libclang-rt-22-dev
          libamdhip64-dev python3-venv xz-utils)
CC=clang-22
CXX=clang++-22

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  echo "Installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build_einfuse() {
  if [ ! -f build/build.ninja ]; then
    cmake -G Ninja -S . -B build \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
      -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
  fi
  ninja -C build
}

# The ASan + UBSan build with libFuzzer coverage (scripts/sanitize.sh,
# scripts/fuzz.sh); only Einfuse's own code is instrumented.
build_einfuse_sanitized() {
  if [ ! -f build-sanitize/build.ninja ]; then
    cmake -G Ninja -S . -B build-sanitize \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
      -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
      -DEINFUSE_SANITIZERS=address,undefined -DEINFUSE_ENABLE_FUZZER=ON
  fi
  ninja -C build-sanitize
}
