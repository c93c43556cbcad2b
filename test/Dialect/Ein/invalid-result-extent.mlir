// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

// The result's ranks in the wrong order: `c` is 64 (from %x), so the
// result [c, n] is 64 x ?, not ? x 64. It used to verify, and the kernel
// wrote past the end of its output.
func.func @swapped(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = ein.cascade [n, c] -> (tensor<?x64xf32>) {
    // expected-error @+1 {{'ein.einsum' op result dimension #0 is indexed by rank 'c', whose extent is 64, but its type leaves it dynamic ('?'); write 64 (are the result's ranks in the order of its type?)}}
    %y = ein.einsum exp(%x[n, c]) -> [c, n] : (tensor<?x64xf32>) -> tensor<?x64xf32>
    ein.yield %y : tensor<?x64xf32>
  }
  return %r : tensor<?x64xf32>
}

// -----

// A static extent declared by the cascade counts too.
func.func @declared(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n = 8] -> (tensor<?xf32>) {
    // expected-error @+1 {{result dimension #0 is indexed by rank 'n', whose extent is 8}}
    %y = ein.einsum exp(%x[n]) -> [n] : (tensor<?xf32>) -> tensor<?xf32>
    ein.yield %y : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}
