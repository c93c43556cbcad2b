/* The same through the C API: register the dialects, parse, compile. */
#include "einfuse-c/Einfuse.h"
#include "mlir-c/IR.h"

#include <stdio.h>
#include <string.h>

static void collect(MlirStringRef s, void *user) {
  int *calls = (int *)user;
  if (*calls % 2 == 0)
    printf("%.*s: ", (int)s.length, s.data);
  else
    printf("%zu bytes\n", s.length);
  ++*calls;
}

int main(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  einfuseRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreate();
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  const char *src =
      "func.func @rowsum(%x: tensor<4x?xf32>) -> tensor<4xf32> {\n"
      "  %r = ein.cascade [n, c] -> (tensor<4xf32>) {\n"
      "    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>\n"
      "    ein.yield %s : tensor<4xf32>\n"
      "  }\n"
      "  return %r : tensor<4xf32>\n"
      "}\n";
  /* Untrusted text goes through the hazard check first. */
  const char *bad = "func.func @f() attributes {a = array<index: 3>} { return }";
  printf("hazard at %ld\n",
         (long)einfuseFindParserHazard(mlirStringRefCreateFromCString(bad), 0, 0));
  if (einfuseFindParserHazard(mlirStringRefCreateFromCString(src), 0, 0) != -1)
    return 1;
  MlirModule module = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(src));
  if (mlirModuleIsNull(module))
    return 1;
  int calls = 0;
  MlirLogicalResult r = einfuseCompileModule(
      module, mlirStringRefCreateFromCString("cpu"),
      mlirStringRefCreateFromCString("rowsum"), collect, &calls);
  mlirModuleDestroy(module);
  /* With options, every file in memory: a cross build for AArch64. */
  module = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(src));
  EinfuseCompileOptions options;
  einfuseCompileOptionsInit(&options);
  options.target = "cpu:aarch64";
  options.name = "rowsum_arm";
  EinfuseArtifacts *a = einfuseCompileModuleWithOptions(module, &options);
  for (intptr_t i = 0; a && i < einfuseArtifactsGetNumFiles(a); ++i) {
    MlirStringRef name = einfuseArtifactsGetFileName(a, i);
    printf("with options: %.*s\n", (int)name.length, name.data);
  }
  int compiled = a != NULL;
  einfuseArtifactsDestroy(a);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return mlirLogicalResultIsSuccess(r) && calls == 8 && compiled ? 0 : 1;
}
