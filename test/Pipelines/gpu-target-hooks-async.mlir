// RUN: einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-target-hooks{target=nvidia:sm_90a})" | FileCheck %s
// RUN: einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-target-hooks{target=amd:gfx942})" | FileCheck %s --check-prefix=AMD

// Staging copies (a lane's 16-byte chunks of a kernel argument into
// workgroup memory, as einfuse-gpu-map-tiles emits them) become the
// target's asynchronous copies where it has them: cp.async on NVIDIA, all
// of a lane's chunks in flight at once. The lane waits for them before the
// first op that may read workgroup memory: the barrier after the copy
// loop (@stage), or the end of the loop's body when the body reads
// workgroup memory before its copy (@reads_first: the next iteration's
// read must see this one's copy). A chunk whose value has another use
// (@used_twice), one from the lane's private memory (@from_private: the
// copy reads global memory only) and one of a size the copy lacks (2
// bytes, @odd_size: the 16-byte chunk beside it still becomes a copy and
// is waited for) stay loads and stores. AMD has no such copy: its chunks
// stay vector loads and stores.

// CHECK-LABEL: gpu.func @stage
// CHECK:         scf.for
// CHECK-NOT:       vector.load
// CHECK:           nvgpu.device_async_copy %{{.*}}[%{{.*}}], %{{.*}}[%{{.*}}], 8 {bypassL1} : memref<?xbf16> to memref<1024xbf16, #gpu.address_space<workgroup>>
// CHECK-NOT:       nvvm.cp.async.wait.group
// CHECK:         }
// CHECK-NEXT:    nvvm.cp.async.commit.group
// CHECK-NEXT:    nvvm.cp.async.wait.group 0
// CHECK-NEXT:    gpu.barrier
// CHECK-LABEL: gpu.func @reads_first
// CHECK:         scf.for
// CHECK:           memref.load %{{.*}} : memref<1024xbf16, #gpu.address_space<workgroup>>
// CHECK:           nvgpu.device_async_copy {{.*}}, 4 : memref<?xbf16> to memref<1024xbf16, #gpu.address_space<workgroup>>
// CHECK-NEXT:      nvvm.cp.async.commit.group
// CHECK-NEXT:      nvvm.cp.async.wait.group 0
// CHECK-NEXT:    }
// CHECK-LABEL: gpu.func @used_twice
// CHECK-NOT:     nvgpu.device_async_copy
// CHECK:         vector.store
// CHECK-NOT:     nvvm.cp.async
// CHECK-LABEL: gpu.func @from_private
// CHECK-NOT:     nvgpu.device_async_copy
// CHECK:         vector.store
// CHECK-NOT:     nvvm.cp.async
// CHECK-LABEL: gpu.func @odd_size
// CHECK:         nvgpu.device_async_copy {{.*}}, 8 {bypassL1}
// CHECK-NEXT:    vector.load %{{.*}} : memref<?xbf16>, vector<1xbf16>
// The wait comes before the next op that touches workgroup memory.
// CHECK-NEXT:    nvvm.cp.async.commit.group
// CHECK-NEXT:    nvvm.cp.async.wait.group 0
// CHECK-NEXT:    vector.store %{{.*}} : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<1xbf16>
// CHECK-NEXT:    gpu.barrier

// AMD-LABEL: gpu.func @stage
// AMD:         vector.load
// AMD:         vector.store
// AMD-NOT:     async
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @stage(%x: memref<?xbf16>, %y: memref<?xbf16>) workgroup(%wg: memref<1024xbf16, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %c8 = arith.constant 8 : index
      %c256 = arith.constant 256 : index
      %lane = gpu.lane_id
      %start = arith.muli %lane, %c8 : index
      scf.for %i = %start to %c256 step %c256 {
        %v = vector.load %x[%i] : memref<?xbf16>, vector<8xbf16>
        vector.store %v, %wg[%i] : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      }
      gpu.barrier
      %e = memref.load %wg[%lane] : memref<1024xbf16, #gpu.address_space<workgroup>>
      memref.store %e, %y[%lane] : memref<?xbf16>
      gpu.return
    }
    gpu.func @reads_first(%x: memref<?xbf16>, %y: memref<?xbf16>) workgroup(%wg: memref<1024xbf16, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %c4 = arith.constant 4 : index
      %c256 = arith.constant 256 : index
      %lane = gpu.lane_id
      scf.for %i = %c0 to %c256 step %c4 {
        %e = memref.load %wg[%lane] : memref<1024xbf16, #gpu.address_space<workgroup>>
        memref.store %e, %y[%i] : memref<?xbf16>
        %v = vector.load %x[%i] : memref<?xbf16>, vector<4xbf16>
        vector.store %v, %wg[%i] : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
      }
      gpu.return
    }
    gpu.func @used_twice(%x: memref<?xbf16>, %y: memref<?xbf16>) workgroup(%wg: memref<1024xbf16, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %v = vector.load %x[%c0] : memref<?xbf16>, vector<8xbf16>
      vector.store %v, %wg[%c0] : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      vector.store %v, %y[%c0] : memref<?xbf16>, vector<8xbf16>
      gpu.return
    }
    gpu.func @from_private(%y: memref<?xbf16>) workgroup(%wg: memref<1024xbf16, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %p = memref.alloca() : memref<16xbf16>
      %v = vector.load %p[%c0] : memref<16xbf16>, vector<8xbf16>
      vector.store %v, %wg[%c0] : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      gpu.barrier
      gpu.return
    }
    gpu.func @odd_size(%x: memref<?xbf16>) workgroup(%wg: memref<1024xbf16, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %c8 = arith.constant 8 : index
      %v = vector.load %x[%c0] : memref<?xbf16>, vector<8xbf16>
      vector.store %v, %wg[%c0] : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      %w = vector.load %x[%c8] : memref<?xbf16>, vector<1xbf16>
      vector.store %w, %wg[%c8] : memref<1024xbf16, #gpu.address_space<workgroup>>, vector<1xbf16>
      gpu.barrier
      gpu.return
    }
  }
}
