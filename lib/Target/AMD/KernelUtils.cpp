//===- KernelUtils.cpp - Building blocks of the AMD kernels ---------------===//
#include "Kernels.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace einfuse::amd {

Value cIndex(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}

Value cF32(ImplicitLocOpBuilder &b, double v) {
  return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
}

Value cSplat(ImplicitLocOpBuilder &b, VectorType type, double v) {
  Type elem = type.getElementType();
  TypedAttr scalar = isa<FloatType>(elem)
                         ? TypedAttr(b.getFloatAttr(elem, v))
                         : TypedAttr(b.getIntegerAttr(elem, int64_t(v)));
  return arith::ConstantOp::create(b, DenseElementsAttr::get(type, scalar));
}

Value mfma16x16x16(ImplicitLocOpBuilder &b, Value a, Value bv, Value c) {
  return amdgpu::MFMAOp::create(b, c.getType(), /*m=*/16, /*n=*/16, /*k=*/16,
                                /*blocks=*/1, a, bv, c);
}

Value loadVector(ImplicitLocOpBuilder &b, VectorType type, Value base,
                 Value index, unsigned align) {
  return vector::LoadOp::create(b, type, base, ValueRange{index},
                                /*nontemporal=*/false, llvm::Align(align));
}

void storeVector(ImplicitLocOpBuilder &b, Value value, Value base, Value index,
                 unsigned align) {
  vector::StoreOp::create(b, value, base, ValueRange{index},
                          /*nontemporal=*/false, llvm::Align(align));
}

MemRefType getWorkgroupBuffer(Type type, int64_t size) {
  auto space = mlir::gpu::AddressSpaceAttr::get(
      type.getContext(), mlir::gpu::AddressSpace::Workgroup);
  return MemRefType::get({size}, type, MemRefLayoutAttrInterface{}, space);
}

mlir::gpu::GPUFuncOp createKernel(ImplicitLocOpBuilder &b,
                                  mlir::gpu::GPUModuleOp module, StringRef name,
                                  TypeRange args, TypeRange workgroup,
                                  int64_t threads) {
  b.setInsertionPointToEnd(module.getBody());
  auto fn = mlir::gpu::GPUFuncOp::create(b, name, b.getFunctionType(args, {}),
                                         workgroup);
  fn->setAttr(mlir::gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  fn.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({int32_t(threads), 1, 1}));
  b.setInsertionPointToStart(&fn.getBody().front());
  return fn;
}

std::string ceilDivExpr(const std::string &x, int64_t d) {
  return "((" + x + ") + " + std::to_string(d - 1) + ") / " + std::to_string(d);
}

std::string countExpr(const KernelArg &arg) {
  std::string out;
  for (int64_t d = 0; d < arg.type.getRank(); ++d)
    out += (d ? " * " : "") + std::string("(int64_t)") + getSizeExpr(arg, d);
  return out.empty() ? "1" : out;
}

} // namespace einfuse::amd
