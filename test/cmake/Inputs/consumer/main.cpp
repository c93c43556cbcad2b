#include "einfuse/Compiler.h"
#include "einfuse/InitAll.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include <cstdio>
int main() {
  mlir::DialectRegistry registry;
  einfuse::registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  const char *src = R"(func.func @rowsum(%x: tensor<4x?xf32>) -> tensor<4xf32> {
    %r = ein.cascade [n, c] -> (tensor<4xf32>) {
      %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
      ein.yield %s : tensor<4xf32>
    }
    return %r : tensor<4xf32>
  })";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  if (!module) return 1;
  auto out = einfuse::compileModule(*module, einfuse::TargetKind::CPU, "rowsum");
  if (mlir::failed(out)) return 1;
  std::printf("object %zu bytes\n%s", out->object.size(), out->header.c_str());
  return 0;
}
