// A kernel function with its own #ein.gpu_config is compiled by the shared
// GPU lowering with that configuration, even where a hand-written kernel
// would take it (plain causal bf16 attention): the configuration is for
// the shared lowering. Without one, the hand-written kernel is used.
//
// RUN: rm -rf %t && einfuse-compile %s --target=nvidia:sm_90a --emit=assembly -o %t
// RUN: FileCheck %s < %t/pinned-config.ptx
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t/pinned-config.h

// CHECK:     .entry plain_fwd(
// CHECK:     .maxntid 128, 1, 1
// CHECK-NOT: .entry pinned_fwd(
// CHECK:     .entry pinned_kernel(
// CHECK:     .maxntid 64, 1, 1

// LAUNCHER: einfuse_status plain(
// LAUNCHER: einfuse_status pinned(

func.func @plain(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>,
                 %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>
      -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

func.func @pinned(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>,
                  %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16>
    attributes {ein.gpu_config = #ein.gpu_config<threads = 64, lanes = 32, tile_size = 32>} {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>
      -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}
