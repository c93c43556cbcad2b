// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=128 lanes=32},canonicalize,cse))" | FileCheck %s
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=128 lanes=32 vector-bytes=0},canonicalize,cse))" | FileCheck %s --check-prefix=SCALAR

// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=256 lanes=256 subgroup=32},canonicalize,cse))" | FileCheck %s --check-prefix=BLOCK

// A lane loop along a row of the kernel's arguments takes 16 bytes per lane
// at a time (8 bf16: lane l the chunks l, l + 32, ... of 8 elements): one
// vector load per chunk for the reduction, one vector load per input and
// one vector store for the output write. Whether the row's first chunk is
// aligned for it (and the row contiguous) is checked at run time; if not,
// the loop runs element by element over the lanes as before. The partial
// chunk at the end of the row runs element by element too.

// CHECK-LABEL: func.func @rms_rows
// CHECK:         %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// CHECK:         %{{.*}}, %[[OFF:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[ROW:.*]] :
// CHECK:         %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[ROW]]
// CHECK:         %[[ADDR:.*]] = arith.addi %[[PTR]]
// CHECK:         arith.remui %[[ADDR]], %c16
// CHECK:         %[[WHOLE:.*]] = arith.muli %{{.*}}, %c8
// CHECK:         scf.if %{{.*}} {
// CHECK:           %[[FIRST:.*]] = arith.muli %[[LANE]], %c8
// CHECK:           scf.for %[[C:.*]] = %[[FIRST]] to %{{.*}} step %c512 {
// CHECK:             vector.load %[[ROW]][%{{.*}}, %[[C]]] {alignment = 16 : i64} : memref<1x?xbf16, strided<[?, 1], offset: ?>>, vector<8xbf16>
// CHECK-COUNT-8:     arith.addf
// CHECK:             vector.load %[[ROW]]
// CHECK-COUNT-8:     arith.addf
// CHECK:           }
// CHECK:           scf.for {{.*}} step %c256 {
// CHECK:             vector.load
// CHECK:           scf.for {{.*}} step %c32 {
// CHECK:             memref.load %[[ROW]]
// CHECK:         } else {
// CHECK:           scf.for {{.*}} step %c128 {
// CHECK-COUNT-4:     memref.load %[[ROW]]
// CHECK:         gpu.subgroup_reduce add
// CHECK:         scf.if %{{.*}} {
// CHECK:           scf.for
// CHECK:             %[[X:.*]] = vector.load {{.*}} vector<8xbf16>
// CHECK:             %[[G:.*]] = vector.load {{.*}} memref<?xbf16>, vector<8xbf16>
// CHECK-COUNT-8:     arith.truncf
// CHECK:             %[[Y:.*]] = vector.from_elements {{.*}} : vector<8xbf16>
// CHECK:             vector.store %[[Y]], {{.*}} {alignment = 16 : i64} : memref<1x?xbf16, strided<[?, 1], offset: ?>>, vector<8xbf16>
// CHECK:         } else {
// CHECK:           memref.store
// SCALAR-LABEL: func.func @rms_rows
// SCALAR-NOT:    vector.
// A block of 256 lanes per row (8 subgroups of 32): one block per point;
// the lanes' partial sums combine within each subgroup (shuffles), then the
// 8 subgroup sums meet in a workgroup buffer between two barriers and every
// lane adds them in the same order.
// BLOCK-LABEL: func.func @rms_rows
// BLOCK:         gpu.launch blocks({{.*}}) in ({{.*}} = %{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c256{{.*}}) workgroup(%[[WG:.*]] : memref<8xf32, #gpu.address_space<workgroup>>)
// BLOCK:           %[[LANE:.*]] = arith.remui %{{.*}}, %c256
// BLOCK:           scf.for {{.*}} step %c4096 {
// BLOCK:             vector.load
// BLOCK:           %[[PART:.*]] = gpu.subgroup_reduce add %{{.*}} uniform cluster(size = 32) : (f32) -> f32
// BLOCK-NEXT:      gpu.barrier
// BLOCK:           %[[FIRST:.*]] = arith.cmpi eq, %{{.*}}, %c0
// BLOCK:           scf.if %[[FIRST]] {
// BLOCK:             memref.store %[[PART]], %[[WG]][%{{.*}}]
// BLOCK:           gpu.barrier
// BLOCK-COUNT-8:   memref.load %[[WG]]
func.func @rms_rows(%x: memref<?x?xbf16>, %g: memref<?xbf16>, %y: memref<?x?xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x?xbf16>
  %m = memref.dim %x, %c1 : memref<?x?xbf16>
  scf.forall (%i) in (%n) {
    %acc = memref.alloca() : memref<1xf32>
    linalg.fill ins(%zero : f32) outs(%acc : memref<1xf32>)
    %row = memref.subview %x[%i, 0] [1, %m] [1, 1] : memref<?x?xbf16> to memref<1x?xbf16, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a)>], iterator_types = ["parallel", "reduction"]}
        ins(%row : memref<1x?xbf16, strided<[?, 1], offset: ?>>) outs(%acc : memref<1xf32>) {
    ^bb0(%a: bf16, %o: f32):
      %e = arith.extf %a : bf16 to f32
      %q = arith.mulf %e, %e : f32
      %s = arith.addf %o, %q : f32
      linalg.yield %s : f32
    }
    %out = memref.subview %y[%i, 0] [1, %m] [1, 1] : memref<?x?xbf16> to memref<1x?xbf16, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a)>, affine_map<(a, b) -> (b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]}
        ins(%row, %acc, %g : memref<1x?xbf16, strided<[?, 1], offset: ?>>, memref<1xf32>, memref<?xbf16>) outs(%out : memref<1x?xbf16, strided<[?, 1], offset: ?>>) {
    ^bb0(%a: bf16, %s: f32, %w: bf16, %o: bf16):
      %e = arith.extf %a : bf16 to f32
      %r = math.rsqrt %s : f32
      %f = arith.extf %w : bf16 to f32
      %t = arith.mulf %e, %r : f32
      %u = arith.mulf %t, %f : f32
      %v = arith.truncf %u : f32 to bf16
      linalg.yield %v : bf16
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// A row of known length, 64 bf16 (a head dim), over 32 lanes: chunks of 2
// elements, so that every lane has one (16 bytes a lane would leave 24 of
// the 32 lanes idle).

// CHECK-LABEL: func.func @short_row
// CHECK:         scf.if
// CHECK:           scf.for {{.*}} step %c64 {
// CHECK:             vector.load {{.*}} {alignment = 4 : i64} : memref<1x64xbf16, {{.*}}>, vector<2xbf16>
// CHECK-NOT:       vector<8xbf16>
// CHECK:         } else {
func.func @short_row(%x: memref<?x64xbf16>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x64xbf16>
  scf.forall (%i) in (%n) {
    %acc = memref.alloca() : memref<1xf32>
    linalg.fill ins(%zero : f32) outs(%acc : memref<1xf32>)
    %row = memref.subview %x[%i, 0] [1, 64] [1, 1] : memref<?x64xbf16> to memref<1x64xbf16, strided<[64, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a)>], iterator_types = ["parallel", "reduction"]}
        ins(%row : memref<1x64xbf16, strided<[64, 1], offset: ?>>) outs(%acc : memref<1xf32>) {
    ^bb0(%a: bf16, %o: f32):
      %e = arith.extf %a : bf16 to f32
      %s = arith.addf %o, %e : f32
      linalg.yield %s : f32
    }
    %out = memref.subview %y[%i] [1] [1] : memref<?xf32> to memref<1xf32, strided<[1], offset: ?>>
    memref.copy %acc, %out : memref<1xf32> to memref<1xf32, strided<[1], offset: ?>>
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Chunks of f32 take 4 elements (16 bytes); an i1 mask is bits in a vector
// but bytes in memory, so it is read element by element inside the chunk
// while the f32 row is read as a vector.

// CHECK-LABEL: func.func @masked_sum
// CHECK:         scf.if
// CHECK:           scf.for {{.*}} step %c256 {
// CHECK:             vector.load {{.*}} vector<4xf32>
// CHECK-COUNT-4:     memref.load {{.*}} : memref<1x?xi1
// CHECK-NOT:       vector.load {{.*}}xi1
// CHECK:         } else {
func.func @masked_sum(%x: memref<?x?xf32>, %mask: memref<?x?xi1>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %m = memref.dim %x, %c1 : memref<?x?xf32>
  scf.forall (%i) in (%n) {
    %acc = memref.alloca() : memref<1xf32>
    linalg.fill ins(%zero : f32) outs(%acc : memref<1xf32>)
    %row = memref.subview %x[%i, 0] [1, %m] [1, 1] : memref<?x?xf32> to memref<1x?xf32, strided<[?, 1], offset: ?>>
    %mrow = memref.subview %mask[%i, 0] [1, %m] [1, 1] : memref<?x?xi1> to memref<1x?xi1, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a)>], iterator_types = ["parallel", "reduction"]}
        ins(%row, %mrow : memref<1x?xf32, strided<[?, 1], offset: ?>>, memref<1x?xi1, strided<[?, 1], offset: ?>>) outs(%acc : memref<1xf32>) {
    ^bb0(%a: f32, %k: i1, %o: f32):
      %v = arith.select %k, %a, %zero : f32
      %s = arith.addf %o, %v : f32
      linalg.yield %s : f32
    }
    %out = memref.subview %y[%i] [1] [1] : memref<?xf32> to memref<1xf32, strided<[1], offset: ?>>
    memref.copy %acc, %out : memref<1xf32> to memref<1xf32, strided<[1], offset: ?>>
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// A row updated in place through a view shifted by one element: the chunk
// would read elements that an earlier element's store changes, so the loop
// stays element by element.

// CHECK-LABEL: func.func @shifted
// CHECK-NOT:     vector.
// CHECK:         gpu.terminator
func.func @shifted(%x: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %m = memref.dim %x, %c1 : memref<?x?xf32>
  %k = arith.subi %m, %c1 : index
  scf.forall (%i) in (%n) {
    %src = memref.subview %x[%i, 1] [1, %k] [1, 1] : memref<?x?xf32> to memref<1x?xf32, strided<[?, 1], offset: ?>>
    %dst = memref.subview %x[%i, 0] [1, %k] [1, 1] : memref<?x?xf32> to memref<1x?xf32, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]}
        ins(%src : memref<1x?xf32, strided<[?, 1], offset: ?>>) outs(%dst : memref<1x?xf32, strided<[?, 1], offset: ?>>) {
    ^bb0(%a: f32, %o: f32):
      %d = arith.addf %a, %a : f32
      linalg.yield %d : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Packed and grouped reads along the row: int4 weights two to a byte
// (index k floordiv 2) and a scale per group of 128 (k floordiv 128). The
// chunk is 32 elements, so that the packed weights take 16 bytes per lane:
// 32 bf16 activations (64 bytes), 16 bytes of weights, and one scale the
// whole chunk shares.

// CHECK-LABEL: func.func @w4_dot
// CHECK:         scf.if
// CHECK:           scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %c2048 {
// CHECK:             vector.load %{{.*}}[%{{.*}}, %[[C]]] {alignment = 16 : i64} : {{.*}}, vector<32xbf16>
// CHECK:             %[[B:.*]] = arith.divui %[[C]], %c2
// CHECK:             vector.load %{{.*}}[%{{.*}}, %[[B]]] {alignment = 16 : i64} : {{.*}}, vector<16xi8>
// CHECK:             %[[G:.*]] = arith.divui %[[C]], %c128
// CHECK:             %[[S:.*]] = memref.load %{{.*}}[%{{.*}}, %[[G]]] : memref<1x?xbf16
// CHECK:             arith.extf %[[S]]
// CHECK:         } else {
func.func @w4_dot(%x: memref<?x?xbf16>, %w: memref<?x?xi8>, %s: memref<?x?xbf16>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x?xbf16>
  %k = memref.dim %x, %c1 : memref<?x?xbf16>
  %kb = memref.dim %w, %c1 : memref<?x?xi8>
  %kg = memref.dim %s, %c1 : memref<?x?xbf16>
  scf.forall (%i) in (%n) {
    %acc = memref.alloca() : memref<1xf32>
    linalg.fill ins(%zero : f32) outs(%acc : memref<1xf32>)
    %xr = memref.subview %x[%i, 0] [1, %k] [1, 1] : memref<?x?xbf16> to memref<1x?xbf16, strided<[?, 1], offset: ?>>
    %wr = memref.subview %w[%i, 0] [1, %kb] [1, 1] : memref<?x?xi8> to memref<1x?xi8, strided<[?, 1], offset: ?>>
    %sr = memref.subview %s[%i, 0] [1, %kg] [1, 1] : memref<?x?xbf16> to memref<1x?xbf16, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b floordiv 2)>, affine_map<(a, b) -> (a, b floordiv 128)>, affine_map<(a, b) -> (a)>], iterator_types = ["parallel", "reduction"]}
        ins(%xr, %wr, %sr : memref<1x?xbf16, strided<[?, 1], offset: ?>>, memref<1x?xi8, strided<[?, 1], offset: ?>>, memref<1x?xbf16, strided<[?, 1], offset: ?>>) outs(%acc : memref<1xf32>) {
    ^bb0(%a: bf16, %b: i8, %g: bf16, %o: f32):
      %kk = linalg.index 1 : index
      %odd = arith.remui %kk, %c1 : index
      %sh = arith.index_cast %odd : index to i8
      %q = arith.shrui %b, %sh : i8
      %qf = arith.sitofp %q : i8 to f32
      %gf = arith.extf %g : bf16 to f32
      %af = arith.extf %a : bf16 to f32
      %wv = arith.mulf %qf, %gf : f32
      %p = arith.mulf %af, %wv : f32
      %r = arith.addf %o, %p : f32
      linalg.yield %r : f32
    }
    %out = memref.subview %y[%i] [1] [1] : memref<?xf32> to memref<1xf32, strided<[1], offset: ?>>
    memref.copy %acc, %out : memref<1xf32> to memref<1xf32, strided<[1], offset: ?>>
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Two tiles copied in turn into one workgroup buffer (K's then V's key
// tile, as einfuse-gpu-matrix-ops stages them, a barrier around each
// copy): each copy takes 16-byte chunks, although two ops write the
// buffer: the lanes meet in it through the barriers, not through which
// lane wrote which element.

// CHECK-LABEL: func.func @staged_twice
// CHECK:         gpu.launch
// CHECK-SAME:      workgroup(%[[WG:.*]] : memref<1024xbf16, #gpu.address_space<workgroup>>)
// CHECK:           vector.load %{{.*}} {alignment = 16 : i64} : memref<1024xbf16, strided<[1]>>, vector<8xbf16>
// CHECK:           vector.store %{{.*}}, %[[WG]][%{{.*}}] {alignment = 16 : i64} : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           gpu.barrier
// CHECK:           vector.load %{{.*}} {alignment = 16 : i64} : memref<1024xbf16, strided<[1]>>, vector<8xbf16>
// CHECK:           vector.store %{{.*}}, %[[WG]][%{{.*}}] {alignment = 16 : i64} : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// SCALAR-LABEL: func.func @staged_twice
// SCALAR-NOT:    vector.
func.func @staged_twice(%k: memref<?xbf16>, %v: memref<?xbf16>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  %n = memref.dim %y, %c0 : memref<?xf32>
  scf.forall (%i) in (%n) {
    %tile = memref.alloc() : memref<1024xbf16, #gpu.address_space<workgroup>>
    %ks = memref.subview %k[0] [1024] [1] : memref<?xbf16> to memref<1024xbf16, strided<[1]>>
    %vs = memref.subview %v[0] [1024] [1] : memref<?xbf16> to memref<1024xbf16, strided<[1]>>
    gpu.barrier
    linalg.copy ins(%ks : memref<1024xbf16, strided<[1]>>) outs(%tile : memref<1024xbf16, #gpu.address_space<workgroup>>)
    gpu.barrier
    %a = memref.load %tile[%c5] : memref<1024xbf16, #gpu.address_space<workgroup>>
    gpu.barrier
    linalg.copy ins(%vs : memref<1024xbf16, strided<[1]>>) outs(%tile : memref<1024xbf16, #gpu.address_space<workgroup>>)
    gpu.barrier
    %b = memref.load %tile[%c5] : memref<1024xbf16, #gpu.address_space<workgroup>>
    %s = arith.addf %a, %b : bf16
    %f = arith.extf %s : bf16 to f32
    memref.store %f, %y[%i] : memref<?xf32>
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

