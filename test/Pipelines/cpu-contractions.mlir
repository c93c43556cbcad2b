// RUN: einfuse-opt %s --einfuse-cpu-contractions --split-input-file | FileCheck %s
// RUN: einfuse-opt %s --einfuse-cpu-contractions="vector-width=8 registers=16" --split-input-file | FileCheck %s --check-prefix=AVX2

// P.V in attention: C[b, i, j] += A[b, i, k] * B[b, k, j] with j contiguous
// and 64 wide: 4 vectors of 16 per row, 6 rows in registers (24
// accumulators), no masks; leftover rows by blocks of 4, 2, 1.
#a = affine_map<(b, i, j, k) -> (b, i, k)>
#bd = affine_map<(b, i, j, k) -> (b, k, j)>
#c = affine_map<(b, i, j, k) -> (b, i, j)>
// CHECK-LABEL: func @direct
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c6
// CHECK-COUNT-24: vector.load %arg2
// CHECK: scf.for %[[K:.*]] = {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>
// CHECK-COUNT-4: vector.load %arg1[%[[B]], %[[K]], %{{.*}}] : memref<?x?x64xf32>, vector<16xf32>
// CHECK: %[[S:.*]] = memref.load %arg0[%[[B]], %{{.*}}, %[[K]]]
// CHECK: %[[V:.*]] = vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK: vector.fma %[[V]], %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-COUNT-23: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-24: vector.store
// CHECK: scf.for %{{.*}} step %c4
// CHECK: scf.for %{{.*}} step %c2
// CHECK: scf.for %{{.*}} step %c1
// CHECK-NOT: vector.maskedload
// AVX2-LABEL: func @direct
// AVX2: scf.for %{{.*}} step %c2
// AVX2: vector.fma %{{.*}} : vector<8xf32>
func.func @direct(%a: memref<?x?x?xf32>, %b: memref<?x?x64xf32>, %c: memref<?x?x64xf32>) {
  linalg.generic {indexing_maps = [#a, #bd, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<?x?x?xf32>, memref<?x?x64xf32>) outs(%c : memref<?x?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m fastmath<reassoc> : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Q.K^T: B has the reduced rank k contiguous, so each batch's B is packed
// k-major first (16 x 16 vector transposes, scalar copies at the edges,
// zero padding up to whole blocks). The number of columns is dynamic: the
// loads and stores of C are masked.
#a = affine_map<(b, i, j, k) -> (b, i, k)>
#bt = affine_map<(b, i, j, k) -> (b, j, k)>
#c = affine_map<(b, i, j, k) -> (b, i, j)>
// CHECK-LABEL: func @packed
// CHECK: %[[P:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<64x?xf32>
// CHECK: scf.for
// CHECK: vector.transpose %{{.*}}, [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK: vector.store %{{.*}}, %[[P]]
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: scf.for %{{.*}} step %c8
// CHECK: scf.for
// CHECK: %[[M:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.maskedload %arg2[{{.*}}], %[[M]], %{{.*}} : memref<?x?x?xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: scf.for
// CHECK: vector.load %[[P]]
// CHECK: vector.fma
// CHECK: vector.maskedstore %arg2
// CHECK: memref.dealloc %[[P]]
// AVX2-LABEL: func @packed
// AVX2-NOT: vector.transpose
// AVX2: memref.store %{{.*}}, %{{.*}} : memref<64x?xf32>
func.func @packed(%a: memref<?x?x64xf32>, %b: memref<?x?x64xf32>, %c: memref<?x?x?xf32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<?x?x64xf32>, memref<?x?x64xf32>) outs(%c : memref<?x?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %y, %x : f32
    %s = arith.addf %m, %z : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not contractions this pass handles: left to convert-linalg-to-loops.
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
#row = affine_map<(i, k) -> (i, k)>
#vec = affine_map<(i, k) -> (k)>
#out = affine_map<(i, k) -> (i)>
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: vector.
func.func @left_alone(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>,
                      %ad: memref<?x?xf64>, %bd: memref<?x?xf64>, %cd: memref<?x?xf64>,
                      %v: memref<?xf32>, %o: memref<?xf32>) {
  // max-plus, not multiply-add
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.addf %x, %y : f32
    %s = arith.maximumf %z, %m : f32
    linalg.yield %s : f32
  }
  // f64
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%ad, %bd : memref<?x?xf64>, memref<?x?xf64>) outs(%cd : memref<?x?xf64>) {
  ^bb0(%x: f64, %y: f64, %z: f64):
    %m = arith.mulf %x, %y : f64
    %s = arith.addf %z, %m : f64
    linalg.yield %s : f64
  }
  // matrix-vector: the output has one rank
  linalg.generic {indexing_maps = [#row, #vec, #out], iterator_types = ["parallel", "reduction"]}
    ins(%a, %v : memref<?x?xf32>, memref<?xf32>) outs(%o : memref<?xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  // an extra op in the body (scaled product)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %n = arith.mulf %m, %m : f32
    %s = arith.addf %z, %n : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// B^T with k strided (a subview that skips columns): packed element by
// element, no vector reads of B.
#a = affine_map<(i, j, k) -> (i, k)>
#bt = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
// CHECK-LABEL: func @packed_strided
// CHECK-NOT: vector.transpose
// CHECK: memref.load %arg1
// CHECK: vector.fma
func.func @packed_strided(%a: memref<?x32xf32>, %b: memref<?x32xf32, strided<[64, 2]>>, %c: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<?x32xf32>, memref<?x32xf32, strided<[64, 2]>>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// bf16 inputs widened in the body (bf16 attention's P.V): the vectors of B
// are read as bf16 and widened, the scalars of A likewise.
#a = affine_map<(b, i, j, k) -> (b, i, k)>
#bd = affine_map<(b, i, j, k) -> (b, k, j)>
#c = affine_map<(b, i, j, k) -> (b, i, j)>
// CHECK-LABEL: func @widened
// CHECK: scf.for
// CHECK: %[[V:.*]] = vector.load %arg1[{{.*}}] : memref<?x?x64xbf16>, vector<16xbf16>
// CHECK: arith.extf %[[V]] : vector<16xbf16> to vector<16xf32>
// CHECK: %[[S:.*]] = memref.load %arg0[{{.*}}] : memref<?x?x?xbf16>
// CHECK: %[[W:.*]] = arith.extf %[[S]] : bf16 to f32
// CHECK: vector.broadcast %[[W]] : f32 to vector<16xf32>
// CHECK: vector.fma
func.func @widened(%a: memref<?x?x?xbf16>, %b: memref<?x?x64xbf16>, %c: memref<?x?x64xf32>) {
  linalg.generic {indexing_maps = [#a, #bd, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<?x?x?xbf16>, memref<?x?x64xbf16>) outs(%c : memref<?x?x64xf32>) {
  ^bb0(%x: bf16, %y: bf16, %z: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %m = arith.mulf %xf, %yf : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  }
  return
}
